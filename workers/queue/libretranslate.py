"""LibreTranslate's ``/translate`` on a worker: plain text or HTML to English.

The request's options (``translate_request``): a key's glossary, whose terms the
English renders as given (``workers.english.glossary.GlossaryTranslator``), and
``alternatives``, other translations from the engine's n-best list
(``generate_n_best`` of the transformers and CTranslate2 engines). A text's
k-th alternative joins its sentences' k-th hypotheses; alternatives equal to
the translation or to each other are dropped, and so are those that miss a
glossary term's English. As in LibreTranslate, HTML gets no alternatives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from models.chunking import split_long_sentence
from models.engines.base import TextGenerator
from workers.article.segment import split_sentences
from workers.english.engines import Engines
from workers.english.glossary import GlossaryTranslator, used_terms, validate_glossary
from workers.english.translate import translate_sentences

_HTML_TAG = re.compile(r"(<[^>]+>)")
_HAN = re.compile(r"[\u3400-\u9fff]")
MAX_ALTERNATIVES = 3

Plan = list[str | list[int]]


def _plan(texts: list[str], fmt: str) -> tuple[list[Plan], list[str]]:
    """Each text as kept parts (markup, non-Chinese runs) and sentence indices."""
    plans: list[Plan] = []
    sentences: list[str] = []
    for text in texts:
        parts = _HTML_TAG.split(text) if fmt == "html" else [text]
        plan: Plan = []
        for part in parts:
            if (fmt == "html" and part.startswith("<")) or not _HAN.search(part):
                plan.append(part)
                continue
            pieces = split_sentences(part) or [part]
            plan.append(list(range(len(sentences), len(sentences) + len(pieces))))
            sentences.extend(pieces)
        plans.append(plan)
    return plans, sentences


def _render(plan: Plan, english: Sequence[str]) -> str:
    return "".join(p if isinstance(p, str) else " ".join(english[i] for i in p) for p in plan)


def translate_texts(
    texts: list[str],
    fmt: str,
    engines: Engines,
    *,
    glossary: Mapping[str, str] | None = None,
) -> list[str]:
    """Each text (plain or HTML) to English, one batch for all: markup is kept as it
    is, Chinese runs are cut into sentences and translated together."""
    return translate_request(texts, fmt, engines, glossary=glossary)["translatedText"]


def translate_request(
    texts: list[str],
    fmt: str,
    engines: Engines,
    *,
    glossary: Mapping[str, str] | None = None,
    alternatives: int = 0,
) -> dict[str, Any]:
    """``{"translatedText": [...], "alternatives": [[...], ...]}``, one entry per text
    (``alternatives`` only when asked for)."""
    plans, sentences = _plan(texts, fmt)
    terms = used_terms("\n".join(sentences), glossary) if glossary and sentences else {}
    translator: TextGenerator | None = engines.translator
    if engines.translator is not None and terms:
        translator = GlossaryTranslator(engines.translator, terms)
    english = translate_sentences(sentences, engines, translator=translator) if sentences else []
    out = [_render(plan, english) for plan in plans]
    answer: dict[str, Any] = {"translatedText": out}
    if alternatives > 0:
        answer["alternatives"] = _alternatives(
            plans, sentences, out, fmt, engines.translator, alternatives, terms
        )
    return answer


def _alternatives(
    plans: list[Plan],
    sentences: list[str],
    translations: list[str],
    fmt: str,
    engine: TextGenerator | None,
    wanted: int,
    terms: Mapping[str, str],
) -> list[list[str]]:
    engine = n_best_engine(engine)
    if fmt != "text" or not sentences or engine is None:
        return [[] for _ in plans]
    # One more than asked: the best hypothesis is usually the translation itself.
    hypotheses = n_best_sentences(sentences, engine, wanted + 1)
    answers = []
    for plan, translation in zip(plans, translations, strict=True):
        source = "\n".join(sentences[i] for p in plan if isinstance(p, list) for i in p)
        needed = [en.casefold() for en in used_terms(source, terms).values()] if terms else []
        seen = {translation}
        kept: list[str] = []
        for k in range(wanted + 1):
            candidate = _render(plan, [h[min(k, len(h) - 1)] for h in hypotheses])
            folded = candidate.casefold()
            if candidate in seen or any(en not in folded for en in needed):
                continue
            seen.add(candidate)
            kept.append(candidate)
        answers.append(kept[:wanted])
    return answers


def can_n_best(engine: object) -> bool:
    """The engine's class can list its n best outputs (``generate_n_best``)."""
    return callable(getattr(type(engine), "generate_n_best", None))


def n_best_engine(translator: object) -> Any:
    """The engine under ``translator``'s wrappers (the translation memory, a glossary:
    each keeps the engine as ``inner``) that lists n-best outputs; None if none does."""
    seen = 0
    while translator is not None and seen < 8:
        if can_n_best(translator):
            return translator
        translator = getattr(translator, "inner", None)
        seen += 1
    return None


def n_best_sentences(sentences: Sequence[str], engine: Any, n: int) -> list[list[str]]:
    """Up to ``n`` English hypotheses per sentence, best first. A sentence over the
    model's window is cut as ``translate_sentences`` cuts it, and its k-th hypothesis
    joins its pieces' k-th ones."""
    budget = max(8, engine.max_input_tokens - 2)
    pieces: list[str] = []
    owners: list[int] = []
    for i, sentence in enumerate(sentences):
        for piece in split_long_sentence(sentence, engine.count_tokens, budget):
            pieces.append(piece)
            owners.append(i)
    listed: list[list[str]] = engine.generate_n_best(pieces, n) if pieces else []
    per_sentence: list[list[list[str]]] = [[] for _ in sentences]
    for owner, options in zip(owners, listed, strict=True):
        per_sentence[owner].append([o.strip() for o in options] or [""])
    return [
        [" ".join(p[min(k, len(p) - 1)] for p in parts) for k in range(n)] for parts in per_sentence
    ]


def request_options(options: Mapping[str, Any] | None) -> tuple[dict[str, str] | None, int]:
    """A task's options (the glossary, alternatives) checked: (glossary, alternatives)."""
    options = options or {}
    raw = options.get("glossary")
    glossary = validate_glossary(raw, source="of the key") if raw else None
    wanted = int(options.get("alternatives") or 0)
    return glossary, max(0, min(MAX_ALTERNATIVES, wanted))
