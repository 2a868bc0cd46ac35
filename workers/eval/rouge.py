"""ROUGE-1, ROUGE-2 and ROUGE-L F1 for Chinese summaries, counted in characters.

Chinese has no spaces, and word segmenters disagree, so scores here are
character-level (as in the LCSTS and CLTS papers):

* the text is NFKC-normalized (full-width ＡＢ１ → AB1) and case-folded;
* whitespace, punctuation (Unicode categories P*), separators (Z*) and
  control/format characters (C*) are removed;
* every remaining character is one token: a Han character, a digit, a Latin
  letter ("5G" is two tokens, 5 and g), a symbol (¥, +).

ROUGE-N: clipped n-gram overlap; ``P = overlap / candidate n-grams``,
``R = overlap / reference n-grams``, ``F1 = 2PR / (P + R)`` (0 when either
side has no n-grams). ROUGE-L: the longest common subsequence of the whole
token sequences (summary-level, no sentence split), ``P = LCS / len(candidate)``,
``R = LCS / len(reference)``, F1 as above.

English (for model output scored against English references) is tokenized as
lower-case words of letters and digits instead: see :func:`english_tokens`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_DROPPED_CATEGORIES = ("P", "Z", "C")
_EN_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class RougeScores:
    """F1 of ROUGE-1, ROUGE-2 and ROUGE-L, each in [0, 1]."""

    rouge1: float
    rouge2: float
    rougeL: float  # the metric's own name, as the JSON report spells it


def chinese_tokens(text: str) -> list[str]:
    """Characters of ``text`` that count: no whitespace or punctuation; Latin case-folded."""
    normalized = unicodedata.normalize("NFKC", text).casefold()
    return [
        ch
        for ch in normalized
        if not ch.isspace() and not unicodedata.category(ch).startswith(_DROPPED_CATEGORIES)
    ]


def english_tokens(text: str) -> list[str]:
    """Lower-case words of letters and digits ("U.S." → u, s)."""
    return _EN_WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if overlap == 0 or candidate == 0 or reference == 0:
        return 0.0
    precision = overlap / candidate
    recall = overlap / reference
    return 2 * precision * recall / (precision + recall)


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def rouge_n(candidate: Sequence[str], reference: Sequence[str], n: int) -> float:
    """ROUGE-N F1 of two token sequences (clipped n-gram counts)."""
    cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
    overlap = sum((cand & ref).values())
    return _f1(overlap, sum(cand.values()), sum(ref.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (O(len(a)·len(b)) time, O(len(b)) memory)."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F1 (β = 1) of two token sequences."""
    return _f1(lcs_length(candidate, reference), len(candidate), len(reference))


def rouge_tokens(candidate: Sequence[str], reference: Sequence[str]) -> RougeScores:
    """All three F1 scores of two token sequences."""
    return RougeScores(
        rouge1=rouge_n(candidate, reference, 1),
        rouge2=rouge_n(candidate, reference, 2),
        rougeL=rouge_l(candidate, reference),
    )


def rouge_chinese(candidate: str, reference: str) -> RougeScores:
    """Character-level ROUGE F1 of a Chinese candidate summary against a reference."""
    return rouge_tokens(chinese_tokens(candidate), chinese_tokens(reference))


def rouge_english(candidate: str, reference: str) -> RougeScores:
    """Word-level ROUGE F1 of an English candidate summary against a reference."""
    return rouge_tokens(english_tokens(candidate), english_tokens(reference))
