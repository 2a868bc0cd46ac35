"""The built-in extractive engine: TextRank over jieba words, with a news position prior.

It needs no weights, so it is the offline default. How a sentence is scored:

1. Words: jieba cuts each sentence; stop words (``models/stopwords_zh.txt``),
   punctuation and one-character tokens go.
2. Graph: sentences are nodes; two sentences are linked by their word overlap,
   normalised by length as in TextRank (Mihalcea & Tarau 2004):
   ``|Si ∩ Sj| / (log|Si| + log|Sj|)``.
3. PageRank by power iteration in numpy, then a position prior: news puts
   what matters first, so a lead sentence's rank is multiplied by up to
   ``1 + lead_weight``, falling off down the article.
4. Picking: best first, skipping sentences too short to stand alone
   (headlines, section titles, "期盼什么?") and near-duplicates of one already
   picked; short sentences fill in only when nothing else is left.
5. The picked indices come back in article order.

Nothing happens at import: jieba's dictionary is loaded (quietly) on the
first ``rank`` call. Imports nothing of newsum outside ``models``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import cast

import numpy as np

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_END_MARK = re.compile(r"[。！？!?；;…”’」』）)\"']$")
_jieba_lock = threading.Lock()
_jieba_ready = False


@lru_cache(maxsize=1)
def stopwords_zh() -> frozenset[str]:
    """The Chinese stop words shipped in ``models/stopwords_zh.txt``, read once."""
    text = (Path(__file__).resolve().parent.parent / "stopwords_zh.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def load_jieba() -> ModuleType:
    """jieba, with its dictionary loaded once and its start-up chatter silenced."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                # jieba logs "Building prefix dict…" to stderr and writes a
                # cache file to the temp folder on first use; keep it quiet.
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return cast(ModuleType, jieba)


def _jieba_cut(text: str) -> list[str]:
    return list(load_jieba().cut(text))


def content_words(sentence: str, stopwords: frozenset[str] | None = None) -> list[str]:
    """The words of ``sentence`` that carry meaning: no stop words, punctuation, lone characters."""
    stop = stopwords_zh() if stopwords is None else stopwords
    return [
        w
        for w in (t.strip() for t in _jieba_cut(sentence))
        if len(w) >= 2 and _WORD.search(w) and w not in stop and not w.isdigit()
    ]


def _similarity(a: set[str], b: set[str]) -> float:
    overlap = len(a & b)
    if not overlap:
        return 0.0
    # log(1) is 0: one-word sentences would divide by zero; +1 keeps them finite.
    return overlap / (math.log(len(a) + 1) + math.log(len(b) + 1))


def _pagerank(weights: np.ndarray, teleport: np.ndarray, damping: float) -> np.ndarray:
    n = weights.shape[0]
    out_weight = weights.sum(axis=1)
    # A sentence sharing no word with any other (dangling node) hands its
    # rank back through the teleport vector.
    transition = np.divide(
        weights, out_weight[:, None], out=np.zeros_like(weights), where=out_weight[:, None] > 0
    )
    dangling = out_weight == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(100):
        new: np.ndarray = (1 - damping) * teleport + damping * (
            transition.T @ rank + rank[dangling].sum() * teleport
        )
        if np.abs(new - rank).sum() < 1e-9:
            return new
        rank = new
    return rank


class TextRankRanker:
    """TextRank with a lead prior; satisfies ``models.engines.base.SentenceRanker``.

    ``lead_weight`` is how much the first sentence's rank is raised over a
    sentence far down the article (sentence ``i`` is multiplied by
    ``1 + lead_weight / (1 + i / lead_span)``); ``min_chars`` is the shortest
    sentence that may be picked while longer ones remain; sentences whose word
    sets overlap by ``duplicate_overlap`` (Jaccard) or more count as one.
    """

    engine_name = "extractive"

    def __init__(
        self,
        *,
        damping: float = 0.85,
        lead_weight: float = 1.0,
        lead_span: float = 5.0,
        min_chars: int = 15,
        duplicate_overlap: float = 0.7,
        stopwords: frozenset[str] | None = None,
    ) -> None:
        if not 0 < damping < 1:
            raise ValueError(f"damping must be between 0 and 1 (got {damping})")
        self.damping = damping
        self.lead_weight = lead_weight
        self.lead_span = lead_span
        self.min_chars = min_chars
        self.duplicate_overlap = duplicate_overlap
        self._stopwords = stopwords

    def scores(self, sentences: Sequence[str]) -> list[float]:
        """The score of every sentence (position prior included), in input order."""
        return self._scores([set(content_words(s, self._stopwords)) for s in sentences])

    def _scores(self, words: list[set[str]]) -> list[float]:
        n = len(words)
        if n == 0:
            return []
        weights = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                weights[i, j] = weights[j, i] = _similarity(words[i], words[j])
        rank = _pagerank(weights, np.full(n, 1.0 / n), self.damping)
        # The lead prior multiplies the centrality: as a teleport vector it
        # only reaches 1 - damping of the mass and barely moves the choice.
        positions = np.arange(n, dtype=float)
        rank = rank * (1.0 + self.lead_weight / (1.0 + positions / self.lead_span))
        rank /= rank.sum()
        return [float(x) for x in rank]

    def _standalone(self, sentence: str) -> bool:
        # Headlines and section titles carry no end mark; rhetorical
        # questions and slogans are short.
        body = sum(1 for ch in sentence if _WORD.match(ch))
        return body >= self.min_chars and bool(_END_MARK.search(sentence.strip()))

    def rank(self, sentences: Sequence[str], k: int) -> list[int]:
        """Indices of the ``k`` best sentences, in article order (fewer if there are fewer)."""
        if k <= 0 or not sentences:
            return []
        words = [set(content_words(s, self._stopwords)) for s in sentences]
        scores = self._scores(words)
        order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
        preferred = [i for i in order if self._standalone(sentences[i])]
        fallback = [i for i in order if not self._standalone(sentences[i])]
        picked: list[int] = []
        for i in preferred + fallback:
            if len(picked) == k:
                break
            if any(self._duplicate(words[i], words[j], sentences[i], sentences[j]) for j in picked):
                continue
            picked.append(i)
        return sorted(picked)

    def _duplicate(self, a: set[str], b: set[str], text_a: str, text_b: str) -> bool:
        if text_a.strip() == text_b.strip():
            return True
        if not a or not b:
            return False
        return len(a & b) / len(a | b) >= self.duplicate_overlap
