"""Glossaries: zh → en terms the translation must render exactly as given.

Three layers, later ones winning (:func:`merged_glossary`):

1. the built-in default, official English names of places in mainland China,
   Hong Kong, Macau and Taiwan and of major institutions, generated from
   CC-CEDICT by ``workers/data/build_glossary.py`` (CC-CEDICT © MDBG and the
   CC-CEDICT contributors, CC BY-SA 4.0; ``NEWSUM_DEFAULT_GLOSSARY=false`` turns
   it off);
2. the server's file, ``NEWSUM_GLOSSARY_FILE`` (a JSON object or ``zh<TAB>en``
   lines), read once;
3. the request's ``options.glossary`` (the API merges a key's own glossary
   into it, so the cache key covers it).

:class:`GlossaryTranslator` wraps a translator (STYLE.md habit 3). Each
sentence is translated as it is first; a sentence whose English lacks a term's
given English is translated again with each term replaced by a placeholder
(``QX1``, ``QX2`` …: Latin letters and a digit, which opus-mt copies like the
product names and codes in its training data; not an English word, not pinyin),
and each placeholder in the output is replaced by the term's English. When a
placeholder does not come back (a model that garbles it, such as the
random-weight test models), the sentence is translated in pieces cut at the
terms, and the pieces are joined around the English terms: the terms are then
right and the sentence reads worse, so it is recorded in ``fallbacks`` and the
result is flagged for review.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from models.engines.base import ScoredText, TextGenerator, can_score
from workers.errors import InvalidRequest

if TYPE_CHECKING:
    from workers.settings import Settings

DEFAULT_GLOSSARY_FILE = Path(__file__).resolve().parents[1] / "data" / "glossary_zh_en.tsv"
MAX_TERMS = 5_000
_PLACEHOLDER = re.compile(r"Q\s*X\s*(\d+)", re.IGNORECASE)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ADMIN_SUFFIXES = frozenset("省市区县镇乡村州盟旗")


def parse_glossary(text: str, *, source: str) -> dict[str, str]:
    """A JSON object of strings, or ``zh<TAB>en`` lines (``#`` comments allowed).
    Raises InvalidRequest naming ``source`` and the bad line."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise InvalidRequest(f"glossary {source} is not valid JSON: {exc}") from None
        return validate_glossary(data, source=source, limit=None)
    terms: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        zh, tab, en = line.partition("\t")
        if not tab or not zh.strip() or not en.strip():
            raise InvalidRequest(f"glossary {source} line {number}: expected 'zh<TAB>en'")
        terms[zh.strip()] = en.strip()
    return terms


def validate_glossary(
    data: object, *, source: str, limit: int | None = MAX_TERMS
) -> dict[str, str]:
    """``data`` as a clean {zh: en} dict; raises InvalidRequest for a bad shape or too
    many terms (``limit``, None for no limit)."""
    if not isinstance(data, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InvalidRequest(f"glossary {source} must be an object of strings (zh → en)")
    if limit is not None and len(data) > limit:
        raise InvalidRequest(
            f"glossary {source} has {len(data):,} terms; the limit is {limit:,}", limit=limit
        )
    terms = {k.strip(): v.strip() for k, v in data.items() if k.strip() and v.strip()}
    placeholders = [k for k in terms if _PLACEHOLDER.search(k)]
    if placeholders:
        raise InvalidRequest(f"glossary {source}: terms may not look like QX1 ({placeholders[0]})")
    return terms


@lru_cache(maxsize=1)
def default_glossary() -> dict[str, str]:
    """The built-in CC-CEDICT glossary of place and institution names, read on first use."""
    return parse_glossary(DEFAULT_GLOSSARY_FILE.read_text(encoding="utf-8"), source="default")


@lru_cache(maxsize=8)
def _file_glossary(path: Path, mtime_ns: int) -> dict[str, str]:
    return parse_glossary(path.read_text(encoding="utf-8"), source=str(path))


def server_glossary(settings: Settings) -> dict[str, str]:
    """The default glossary (unless turned off) under ``NEWSUM_GLOSSARY_FILE``'s terms."""
    terms: dict[str, str] = dict(default_glossary()) if settings.default_glossary else {}
    if settings.glossary_file is not None:
        path = settings.glossary_file.expanduser()
        terms.update(_file_glossary(path, path.stat().st_mtime_ns))
    return terms


def merged_glossary(*layers: Mapping[str, str] | None) -> dict[str, str]:
    """Layers merged in order; a later layer's English wins for the same term."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer or {})
    return merged


class TermIndex:
    """Longest-match lookup of glossary terms in a text, left to right, at jieba word
    boundaries only (or before an administrative suffix, as in 河南省): 黄河南岸 (the
    Yellow River's south bank) holds the letters of 河南 (Henan), not the word."""

    def __init__(self, glossary: Mapping[str, str]) -> None:
        self.glossary = dict(glossary)
        self.longest = max((len(t) for t in self.glossary), default=0)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping ``(start, end, term)`` matches, longest first at each position."""
        if not self.longest or not text:
            return []
        from models.engines.extractive import load_jieba

        boundaries = {0}
        position = 0
        for word in load_jieba().lcut(text):
            position += len(word)
            boundaries.add(position)
        found: list[tuple[int, int, str]] = []
        i = 0
        while i < len(text):
            if i in boundaries:
                for size in range(min(self.longest, len(text) - i), 0, -1):
                    term = text[i : i + size]
                    end = i + size
                    # 河南省 is one jieba word; 河南 + an administrative suffix still counts.
                    ends_word = end in boundaries or text[end : end + 1] in _ADMIN_SUFFIXES
                    if ends_word and term in self.glossary:
                        found.append((i, i + size, term))
                        i += size
                        break
                else:
                    i += 1
            else:
                i += 1
        return found


def used_terms(text: str, glossary: Mapping[str, str]) -> dict[str, str]:
    """The glossary entries that occur in ``text``."""
    return {term: glossary[term] for _, _, term in TermIndex(glossary).find(text)}


class GlossaryTranslator:
    """A translator that renders glossary terms as given; see the module docstring."""

    def __init__(self, inner: TextGenerator, glossary: Mapping[str, str]) -> None:
        self.inner = inner
        self.index = TermIndex(glossary)
        self.model_id = inner.model_id
        self.revision = inner.revision
        self.engine_name = inner.engine_name
        self.max_input_tokens = inner.max_input_tokens
        self.placeholders: list[str] = []  # source sentences redone with placeholders
        self.fallbacks: list[str] = []  # source sentences translated in pieces

    def count_tokens(self, text: str) -> int:
        """Delegated to the wrapped model's tokenizer."""
        return self.inner.count_tokens(text)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One translation per input, every glossary term rendered as given."""
        return [s.text for s in self.generate_scored(texts, max_new_tokens=max_new_tokens)]

    def _inner(self, texts: Sequence[str], max_new_tokens: int | None) -> list[ScoredText]:
        if not texts:
            return []
        if can_score(self.inner):
            scored: list[ScoredText] = self.inner.generate_scored(  # type: ignore[attr-defined]
                texts, max_new_tokens=max_new_tokens
            )
            return scored
        outputs = self.inner.generate(texts, max_new_tokens=max_new_tokens)
        return [ScoredText(t, float("nan")) for t in outputs]

    def generate_scored(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[ScoredText]:
        """Like ``generate``, with the model's mean token log-probability (NaN when the
        wrapped engine gives no scores)."""
        matches = [self.index.find(t) for t in texts]
        results = self._inner(texts, max_new_tokens)
        # Only sentences whose plain translation misses a term's English are redone:
        # the model usually knows 北京 is Beijing, and plain text reads best.
        missed = [
            i
            for i, found in enumerate(matches)
            if any(
                self.index.glossary[t].casefold() not in results[i].text.casefold()
                for _, _, t in found
            )
        ]
        masked = self._inner([_mask(texts[i], matches[i]) for i in missed], max_new_tokens)
        for i, out in zip(missed, masked, strict=True):
            terms = [self.index.glossary[t] for _, _, t in matches[i]]
            restored = _restore(out.text, terms)
            if restored is not None:
                results[i] = ScoredText(restored, out.mean_logprob)
                self.placeholders.append(texts[i])
            else:
                results[i] = self._in_pieces(texts[i], matches[i], max_new_tokens)
                self.fallbacks.append(texts[i])
        return results

    def _in_pieces(
        self, text: str, found: list[tuple[int, int, str]], max_new_tokens: int | None
    ) -> ScoredText:
        parts: list[tuple[str, str]] = []  # ("zh", piece) or ("en", term's English)
        last = 0
        for start, end, term in found:
            parts.append(("zh", text[last:start]))
            parts.append(("en", self.index.glossary[term]))
            last = end
        parts.append(("zh", text[last:]))
        pieces = [p for kind, p in parts if kind == "zh" and _HAN.search(p)]
        translated = iter(self._inner(pieces, max_new_tokens))
        words: list[str] = []
        scores: list[float] = []
        for kind, part in parts:
            if kind == "en":
                words.append(part)
            elif _HAN.search(part):
                out = next(translated)
                words.append(out.text.strip().rstrip("."))
                scores.append(out.mean_logprob)
            elif part.strip(" ，,、。"):
                words.append(part.strip())
        english = re.sub(r"\s+", " ", " ".join(w for w in words if w)).strip()
        mean = sum(scores) / len(scores) if scores else 0.0
        return ScoredText(english, mean)


def _mask(text: str, found: list[tuple[int, int, str]]) -> str:
    out: list[str] = []
    last = 0
    for number, (start, end, _) in enumerate(found, start=1):
        # Spaces keep the placeholder a word of its own in the model's tokenizer.
        out.append(f"{text[last:start]} QX{number} ")
        last = end
    out.append(text[last:])
    return "".join(out)


def _restore(english: str, terms: list[str]) -> str | None:
    """Placeholders replaced by their English; None when one is missing or repeated."""
    if not terms:
        return english
    numbers = [int(m.group(1)) for m in _PLACEHOLDER.finditer(english)]
    if sorted(numbers) != list(range(1, len(terms) + 1)):
        return None
    restored = _PLACEHOLDER.sub(lambda m: terms[int(m.group(1)) - 1], english)
    return re.sub(r"\s+([,.;:!?。，；：！？])", r"\1", re.sub(r"\s+", " ", restored)).strip()


# ---------------------------------------------------------------- person names


def source_people(zh: str) -> list[str]:
    """People named in ``zh`` (jieba ``nr`` words that pass
    ``workers.english.terms.is_person_name``), in order of first appearance; foreign
    names written in characters (joined by · or -) are left out."""
    from workers.english.terms import classify, place_heads, tagged_words

    tokens = tagged_words(zh)
    heads = place_heads(tokens)
    people = [w for w, f in tokens if classify(w, f, before_place_suffix=w in heads) == "person"]
    # 约翰·米勒-怀特 is John Miller-White: a foreign name written in characters has
    # no pinyin romanization to restore.
    foreign = {w for w in people if re.search(rf"[·・•‧\-－]{w}|{w}[·・•‧\-－]", zh)}
    return [w for w in dict.fromkeys(people) if w not in foreign]


def repair_person_names(zh: str, english: str) -> tuple[str, list[str]]:
    """Put the pinyin romanization of each person ``zh`` names where the model mangled it.

    ``workers.english.name_checks.check_names`` lists the source's people missing from the English
    and the pinyin-looking names in it that the source cannot spell. When as many
    names are missing as are unsupported, each unsupported name (in English order) is
    replaced by the missing person's romanization (in source order): "Qiu Jianfang
    said" → "Qiu Jianfeng said". Returns the English and, for each person still
    missing, a note "裘建锋 (Qiu Jianfeng)".
    """
    from workers.english.name_checks import check_names
    from workers.english.person_names import person_english

    people = source_people(zh)
    if not people:
        return english, []
    check = check_names(zh, english)
    if not check.missing:
        return english, []
    missing = [p for p in people if any(m.endswith(f"({p})") for m in check.missing)]
    mangled = [g for g in check.unsupported if g in english]
    if mangled and len(mangled) == len(missing):
        ordered = sorted(mangled, key=english.index)
        for wrong, person in zip(ordered, missing, strict=True):
            english = english.replace(wrong, person_english(person) or wrong)
        return english, []
    return english, [f"{p} ({person_english(p)})" for p in missing]


def glossary_fingerprint(terms: Mapping[str, str]) -> str:
    """A short hash of a glossary, for cache keys: a server glossary that changes
    must change the key of every result it could have shaped."""
    import hashlib

    blob = json.dumps(sorted(terms.items()), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]
