"""The translation step: Chinese sentences in, English sentences out, one for one.

Sentences longer than the model's window are cut at clause boundaries and their
pieces rejoined, so no input is truncated; each sentence carries the model's
confidence (``workers.english.review.confidence``) where the engine scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from models.chunking import split_long_sentence
from models.engines.base import TextGenerator, can_score
from workers.english.engines import Engines
from workers.english.glossary import repair_person_names
from workers.english.review import confidence
from workers.errors import ModelUnavailable


def translate_sentences(
    sentences: Sequence[str], engines: Engines, *, translator: TextGenerator | None = None
) -> list[str]:
    """zh→en, one English string per input sentence. Sentences longer than the
    model's window are cut at clause boundaries and their pieces rejoined, so no
    input is truncated. ``translator`` (default: the engines' own) may be a wrapper
    such as ``workers.english.glossary.GlossaryTranslator``. Raises ModelUnavailable with no
    translator."""
    return [text for text, _ in translate_scored(sentences, translator or engines.translator)]


def translate_scored(
    sentences: Sequence[str], translator: TextGenerator | None
) -> list[tuple[str, float | None]]:
    """Like ``translate_sentences``, with each sentence's confidence
    (``workers.english.review.confidence``; None when the engine gives no scores)."""
    if translator is None:
        raise ModelUnavailable(
            "no translation model is loaded: run `newsum models pull translation`"
        )
    budget = max(8, translator.max_input_tokens - 2)
    pieces: list[str] = []
    owners: list[int] = []
    for i, sentence in enumerate(sentences):
        for piece in split_long_sentence(sentence, translator.count_tokens, budget):
            pieces.append(piece)
            owners.append(i)
    means: list[float]
    if not pieces:
        outputs, means = [], []
    elif can_score(translator):
        scored = translator.generate_scored(pieces)  # type: ignore[attr-defined]
        outputs, means = [s.text for s in scored], [s.mean_logprob for s in scored]
    else:
        outputs = translator.generate(pieces)
        means = [math.nan] * len(outputs)
    joined: list[list[str]] = [[] for _ in sentences]
    logprobs: list[list[float]] = [[] for _ in sentences]
    for owner, text, mean in zip(owners, outputs, means, strict=True):
        joined[owner].append(text.strip())
        logprobs[owner].append(mean)
    # A NaN piece (no score) makes the sentence's mean NaN: no confidence, not a guess.
    return [
        (" ".join(parts), confidence(sum(lp) / len(lp)) if lp else None)
        for parts, lp in zip(joined, logprobs, strict=True)
    ]


def translate_keeping_names(
    sentences: Sequence[str], translator: TextGenerator | None, notes: list[str]
) -> tuple[list[str], list[float | None]]:
    """Translate, then put back person names the model mangled; the names it
    could not find are appended to ``notes`` (they become review reasons)."""
    pairs = translate_scored(sentences, translator)
    english = []
    for zh, (en, _) in zip(sentences, pairs, strict=True):
        fixed, missing = repair_person_names(zh, en)
        english.append(fixed)
        if missing:
            notes.append(
                f"A name could not be put right in the English of “{_clip(zh)}”: "
                f"{', '.join(missing)}. Check that sentence's translation."
            )
    return english, [c for _, c in pairs]


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
