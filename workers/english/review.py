"""Review flags: which outputs a person should read before they run.

A result ``needs_review`` when any of these holds, and ``review_reasons`` says
which, in words an editor can act on:

* a translated sentence's confidence is below the threshold
  (``NEWSUM_REVIEW_CONFIDENCE``, default 0.4). Confidence is the geometric mean
  probability the model gave its own output tokens, ``exp(mean log-prob)``
  (:func:`confidence`): low when the model hesitated, which is where garbled
  names, dropped clauses and hallucinated figures cluster;
* a summary sentence's confidence is below it (extractive summaries take their
  sentences' translation confidence; abstractive ones carry none);
* the number check finds a figure in the English summary that the source does
  not support, or a figure of the cited source sentences that the English lacks;
* the name check finds a pinyin name the source cannot spell, or a person the
  source names whom the English leaves out;
* the pipeline noted a problem it could not fix: a person's name it could not
  put back (``workers.english.glossary.repair_person_names``), glossary terms placed by
  translating a sentence in pieces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from workers.contract import SummaryResult
from workers.english.notices import unsupported_numbers

DEFAULT_REVIEW_CONFIDENCE = 0.4
_LISTED = 5


def confidence(mean_logprob: float | None) -> float | None:
    """``exp(mean_logprob)`` rounded to 3 places, in (0, 1]; None for None or NaN."""
    if mean_logprob is None or math.isnan(mean_logprob):
        return None
    return round(min(1.0, math.exp(mean_logprob)), 3)


def _some(items: Sequence[object]) -> str:
    shown = ", ".join(str(i) for i in items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def _sentences(indices: Sequence[int]) -> str:
    """Sentence positions as a reader counts them, from 1: "sentence 2", "sentences 1, 4"."""
    word = "sentence" if len(indices) == 1 else "sentences"
    return f"{word} {_some([i + 1 for i in indices])}"


def review_reasons(
    result: SummaryResult,
    *,
    threshold: float = DEFAULT_REVIEW_CONFIDENCE,
    notes: Sequence[str] = (),
) -> list[str]:
    """Why ``result`` needs a person's eye (empty: it does not). ``notes`` are problems
    the pipeline recorded on the way."""
    reasons: list[str] = []
    low = [
        i
        for i, s in enumerate(result.translation or [])
        if s.confidence is not None and s.confidence < threshold
    ]
    if low:
        reasons.append(
            f"The translation of {len(low)} of {len(result.translation or [])} sentences is "
            f"uncertain (model confidence below {threshold:.2f}): {_sentences(low)} of the "
            f"full translation. Read {'it' if len(low) == 1 else 'them'} against the Chinese "
            "before use."
        )
    low_summary = [
        i
        for i, s in enumerate(result.summary.sentences)
        if s.confidence is not None and s.confidence < threshold
    ]
    if low_summary:
        reasons.append(
            f"Summary {_sentences(low_summary)} "
            f"{'is' if len(low_summary) == 1 else 'are'} uncertain (model confidence below "
            f"{threshold:.2f}): read against the source sentences before use."
        )
    checks = result.checks
    if checks.numbers.unsupported:
        reasons.append(unsupported_numbers(_some(checks.numbers.unsupported)))
    if checks.numbers.missing:
        reasons.append(
            "The English summary leaves out figures that its source sentences give: "
            + _some(checks.numbers.missing)
            + "."
        )
    if checks.names.unsupported:
        reasons.append(
            "Check these names: the English summary has "
            + _some(checks.names.unsupported)
            + ", which no name in the Chinese article spells."
        )
    if checks.names.missing:
        reasons.append(
            "The English summary leaves out people that its source sentences name: "
            + _some(checks.names.missing)
            + "."
        )
    reasons.extend(notes)
    return list(dict.fromkeys(reasons))


def flag_for_review(
    result: SummaryResult,
    *,
    threshold: float = DEFAULT_REVIEW_CONFIDENCE,
    notes: Sequence[str] = (),
) -> SummaryResult:
    """Set ``needs_review`` and ``review_reasons`` on ``result`` (in place) and return it."""
    result.review_reasons = review_reasons(result, threshold=threshold, notes=notes)
    result.needs_review = bool(result.review_reasons)
    return result
