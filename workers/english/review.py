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
            f"low translation confidence (below {threshold:.2f}) in {len(low)} of "
            f"{len(result.translation or [])} sentences: translation[{_some(low)}]"
        )
    low_summary = [
        i
        for i, s in enumerate(result.summary.sentences)
        if s.confidence is not None and s.confidence < threshold
    ]
    if low_summary:
        reasons.append(
            f"low confidence (below {threshold:.2f}) in summary sentence(s) "
            f"{_some([i + 1 for i in low_summary])}"
        )
    checks = result.checks
    if checks.numbers.unsupported:
        reasons.append(
            "numbers in the English summary not found in the source: "
            + _some(checks.numbers.unsupported)
        )
    if checks.numbers.missing:
        reasons.append(
            "numbers of the cited source sentences missing from the English summary: "
            + _some(checks.numbers.missing)
        )
    if checks.names.unsupported:
        reasons.append(
            "names in the English summary the source cannot spell: "
            + _some(checks.names.unsupported)
        )
    if checks.names.missing:
        reasons.append(
            "people named in the cited source sentences missing from the English summary: "
            + _some(checks.names.missing)
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
