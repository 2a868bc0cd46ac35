"""The built-in extractive engine: a lead-anchored brief over jieba words.

It needs no weights, so it is the offline default. News puts what matters
first, and a brief that drifts from the lead scores below the lead itself
(ROUGE against publishers' own descriptions, ``newsum eval summaries``), so
the brief is built on the lead:

1. Words: jieba cuts each sentence; stop words (``models/stopwords_zh.txt``),
   punctuation and one-character tokens go.
2. Who may lead: full sentences (an end mark, at least ``min_chars`` word
   characters) that are not captions, credits, bare datelines
   (``models.engines.side_sentences``), questions or whole quotes.
3. The anchor: the first of them, unless it is a one-line teaser that shares
   nothing with the headline; it is always in the brief.
4. Scores: position among the sentences that may lead, a bonus for the lead
   paragraph and for each paragraph's opening sentence, the share of the
   headline's character bigrams a sentence repeats, and its TextRank
   centrality (word overlap ``|Si ∩ Sj| / (log|Si| + log|Sj|)``, PageRank by
   power iteration; Mihalcea & Tarau 2004).
5. Picking the rest: maximal marginal relevance (score minus word overlap
   with what is already picked), near-duplicates never twice; other
   sentences fill in only when nothing else is left. The picked indices come
   back in article order.

The weights were chosen on the development set of ``newsum eval summaries``
(pages of ../shared/data whose publisher description is a summary) among round
values, preferring the lead when in doubt: it is what holds on pages nobody
has seen. Nothing happens at import: jieba's dictionary is loaded (quietly)
on the first ``rank`` call. Imports nothing of newsum outside ``models``.
"""

from __future__ import annotations

import itertools
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

from models.engines import side_sentences

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_END_MARK = re.compile(r"[。！？!?；;…”’」』）)\"']$")
# A one-line opener shorter than this that shares nothing with the headline is a hook.
TEASER_MAX_CHARS = 30
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


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in text.casefold() if _WORD.match(ch)]
    return {a + b for a, b in itertools.pairwise(chars)}


class TextRankRanker:
    """A lead-anchored brief: satisfies ``models.engines.base.SentenceRanker``.

    Every sentence gets a score, the sum of four features:

    * ``lead_weight / (1 + r / lead_span)``: position, where ``r`` counts only
      sentences that may lead (captions, credits, datelines, headings,
      questions and whole quotes do not push the news down);
    * ``lead_paragraph_weight`` in the lead paragraph, ``paragraph_weight`` for
      the opening sentence of any other (when paragraphs are given);
    * ``title_weight`` × the share of the title's character bigrams it contains
      (when the title is given);
    * ``centrality_weight`` × its TextRank centrality, the best sentence at 1.

    The brief is anchored on the lead: the first sentence that may lead, unless
    it is a one-line teaser sharing nothing with the title. The other ``k - 1``
    are picked by maximal marginal relevance: score minus ``redundancy`` × the
    largest word overlap (Jaccard) with a sentence already picked;
    near-duplicates (overlap ``duplicate_overlap`` or more) are never picked
    twice. Sentences that may not lead fill in only when nothing else is left:
    full sentences first, then headings (fewer than ``min_chars`` word
    characters, or no end mark).
    """

    engine_name = "extractive"

    def __init__(
        self,
        *,
        damping: float = 0.85,
        lead_weight: float = 1.0,
        lead_span: float = 2.0,
        paragraph_weight: float = 0.15,
        lead_paragraph_weight: float = 0.3,
        title_weight: float = 0.5,
        centrality_weight: float = 0.2,
        redundancy: float = 0.5,
        min_chars: int = 15,
        duplicate_overlap: float = 0.7,
        stopwords: frozenset[str] | None = None,
    ) -> None:
        if not 0 < damping < 1:
            raise ValueError(f"damping must be between 0 and 1 (got {damping})")
        self.damping = damping
        self.lead_weight = lead_weight
        self.lead_span = lead_span
        self.paragraph_weight = paragraph_weight
        self.lead_paragraph_weight = lead_paragraph_weight
        self.title_weight = title_weight
        self.centrality_weight = centrality_weight
        self.redundancy = redundancy
        self.min_chars = min_chars
        self.duplicate_overlap = duplicate_overlap
        self._stopwords = stopwords

    # ------------------------------------------------------------ features

    def centrality(self, words: Sequence[set[str]]) -> np.ndarray:
        """TextRank centrality of each sentence (sums to 1)."""
        n = len(words)
        weights = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                weights[i, j] = weights[j, i] = _similarity(words[i], words[j])
        return _pagerank(weights, np.full(n, 1.0 / n), self.damping)

    def _standalone(self, sentence: str) -> bool:
        # Headlines and section titles carry no end mark; rhetorical
        # questions and slogans are short.
        body = sum(1 for ch in sentence if _WORD.match(ch))
        return body >= self.min_chars and bool(_END_MARK.search(sentence.strip()))

    def eligible(self, sentences: Sequence[str], paragraphs: Sequence[int] | None) -> list[bool]:
        """Whether each sentence may lead or fill the brief before the fallbacks."""
        caption_paragraphs: set[int] = set()
        if paragraphs is not None:
            text: dict[int, str] = {}
            for sentence, paragraph in zip(sentences, paragraphs, strict=True):
                text[paragraph] = text.get(paragraph, "") + sentence
            caption_paragraphs = {p for p, t in text.items() if side_sentences.is_caption(t)}
        return [
            self._standalone(s)
            and not side_sentences.is_side_sentence(s)
            and not side_sentences.is_question(s)
            and not side_sentences.is_quote(s)
            and (paragraphs is None or paragraphs[i] not in caption_paragraphs)
            for i, s in enumerate(sentences)
        ]

    def _feature_scores(
        self,
        sentences: Sequence[str],
        words: list[set[str]],
        ok: list[bool],
        paragraphs: Sequence[int] | None,
        title: str | None,
    ) -> np.ndarray:
        n = len(sentences)
        central = self.centrality(words)
        central = central / central.max() if central.max() > 0 else central
        # Position among the sentences that may lead: a caption does not push the news down.
        rank_among_ok = np.cumsum([0] + [int(x) for x in ok[:-1]]).astype(float)
        position = 1.0 / (1.0 + rank_among_ok / self.lead_span)
        opens = np.zeros(n)
        if paragraphs is not None:
            # The lead paragraph (导语) is the article's own summary; every other
            # paragraph's opening sentence is its topic sentence.
            seen: set[int] = set()
            lead = next((paragraphs[i] for i in range(n) if ok[i]), None)
            for i in range(n):
                if ok[i] and paragraphs[i] == lead:
                    opens[i] = self.lead_paragraph_weight
                elif ok[i] and paragraphs[i] not in seen:
                    opens[i] = self.paragraph_weight
                seen.add(paragraphs[i])
        overlap = np.zeros(n)
        title_grams = _bigrams(title or "")
        if title_grams:
            overlap = np.array(
                [len(_bigrams(s) & title_grams) / len(title_grams) for s in sentences]
            )
        return (
            self.lead_weight * position
            + opens
            + self.title_weight * overlap
            + self.centrality_weight * central
        )

    def scores(
        self,
        sentences: Sequence[str],
        *,
        paragraphs: Sequence[int] | None = None,
        title: str | None = None,
    ) -> list[float]:
        """The score of every sentence, in input order, normalised to sum to 1."""
        if not sentences:
            return []
        words = [set(content_words(s, self._stopwords)) for s in sentences]
        ok = self.eligible(sentences, paragraphs)
        raw = self._feature_scores(sentences, words, ok, paragraphs, title) + 1e-9
        return [float(x) for x in raw / raw.sum()]

    # ------------------------------------------------------------ picking

    def _anchor(
        self,
        sentences: Sequence[str],
        ok: list[bool],
        paragraphs: Sequence[int] | None,
        title: str | None,
    ) -> int | None:
        """The lead: the first sentence that may lead, past a one-line teaser."""
        leads = [i for i in range(len(sentences)) if ok[i]]
        if not leads:
            return None
        first = leads[0]
        title_grams = _bigrams(title or "")
        if paragraphs is None or not title_grams or len(leads) < 2:
            return first
        alone = sum(1 for p in paragraphs if p == paragraphs[first]) == 1
        short = side_sentences.word_chars(sentences[first]) < TEASER_MAX_CHARS
        following = leads[1]
        # A short line of its own that shares nothing with the headline, before a
        # sentence that does: a hook ("西方世界的一些反华分子正试图串联起来。").
        if (
            alone
            and short
            and not _bigrams(sentences[first]) & title_grams
            and _bigrams(sentences[following]) & title_grams
        ):
            return following
        return first

    def rank(
        self,
        sentences: Sequence[str],
        k: int,
        *,
        paragraphs: Sequence[int] | None = None,
        title: str | None = None,
    ) -> list[int]:
        """Indices of the ``k`` best sentences, in article order (fewer if there are fewer).

        ``paragraphs`` gives each sentence's paragraph number and ``title`` the
        headline; both are optional and only sharpen the choice.
        """
        if k <= 0 or not sentences:
            return []
        if paragraphs is not None and len(paragraphs) != len(sentences):
            raise ValueError("paragraphs must give one paragraph number per sentence")
        words = [set(content_words(s, self._stopwords)) for s in sentences]
        ok = self.eligible(sentences, paragraphs)
        picked: list[int] = []
        anchor = self._anchor(sentences, ok, paragraphs, title)
        if anchor is not None:
            # A teaser passed over for the lead is a side sentence too.
            ok = [flag and not (i < anchor) for i, flag in enumerate(ok)]
            picked.append(anchor)
        score = self._feature_scores(sentences, words, ok, paragraphs, title)
        standalone = [self._standalone(s) for s in sentences]
        # Tiers: sentences that may lead, then other full sentences, then the rest.
        for tier in (ok, standalone, [True] * len(sentences)):
            while len(picked) < k:
                best, best_value = -1, -math.inf
                for i in range(len(sentences)):
                    if not tier[i] or i in picked:
                        continue
                    overlaps = [self._overlap(words[i], words[j]) for j in picked]
                    if any(
                        o >= self.duplicate_overlap or sentences[i].strip() == sentences[j].strip()
                        for o, j in zip(overlaps, picked, strict=True)
                    ):
                        continue
                    value = score[i] - self.redundancy * max(overlaps, default=0.0)
                    if value > best_value:
                        best, best_value = i, value
                if best < 0:
                    break
                picked.append(best)
        return sorted(picked)

    @staticmethod
    def _overlap(a: set[str], b: set[str]) -> float:
        if not a or not b:
            return 0.0
        return len(a & b) / len(a | b)
