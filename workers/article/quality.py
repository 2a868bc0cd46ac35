"""Is this article text? The score behind the extraction's quality gate.

Every candidate body of a page (``workers.article.candidates``) is scored from
what the text itself shows, whatever tool produced it:

* **sentences**: pieces that end in sentence-final punctuation (。！？!? and a
  Latin full stop before a space) with at least ``_SENTENCE_UNITS`` words or Han
  characters in them; a share strip or a menu has none;
* **prose share**: the share of the text's words in lines that hold a sentence
  or a long clause, against headings, menus and lists of short links;
* **interface share**: the share of characters that are interface words standing
  alone (``workers.article.interface_words``: 已发送 发送中 微信扫一扫 分享 首页 …);
* **link density** where the page is known: the share of characters in lines that
  are the text of one of the page's links;
* **length**: short posts count, but a body under ``_FULL_UNITS`` words counts less;
* **agreement**: the share of the body's sentences that another extractor found too.

Words are Han, kana and Hangul characters and Latin words, so an English page
scores as text (and is then refused as ``not_chinese`` by the language check,
not here).

``score = purity × (0.6 + 0.4 × length) × (0.85 + 0.15 × agreement)``, with
``purity = prose share × (1 − interface share) × (1 − link density)``. A body
passes when its score is at least ``PASS_SCORE`` and it has at least
``MIN_PROSE_WORDS`` words in prose lines (one notice sentence is no article).

Thresholds, set on the 48 pages of ../shared/data/html (in-sample): the body
newsum keeps there scores 0.54 at the lowest (gne__wechat__2, a WeChat post whose
code listings are lines without sentences), 0.61 next (a WeChat-style post of
short lines), 0.93 or more on the other 46; its prose has 100 words at the
fewest (a 114-character news flash). Every candidate of the hand-made pages of
only navigation and share buttons (tests/fixtures/pages) scores 0.0: they hold
no sentence. ``PASS_SCORE`` = 0.35 and ``MIN_PROSE_WORDS`` = 40 sit between.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from workers.article.interface_words import interface_chars

PASS_SCORE = 0.35
MIN_PROSE_WORDS = 40
_SENTENCE_UNITS = 6
_FULL_UNITS = 120
# A line without final punctuation still reads as prose when it is this long and
# has clause punctuation (a last paragraph cut before its full stop).
_CLAUSE_UNITS = 20

_WORD = re.compile(r"[\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]|[A-Za-z]+(?:['’][A-Za-z]+)?")
_SENTENCE = re.compile(r"[^。！？!?]*?(?:[。！？!?]+|\.(?=\s|$))")
_CLAUSE_MARK = re.compile(r"[，,、；;：:]")


@dataclass(frozen=True)
class TextScore:
    """What the gate saw in one candidate body."""

    score: float
    chars: int
    words: int
    sentences: int
    prose_words: int
    prose_share: float
    interface_share: float
    link_density: float | None
    agreement: float

    @property
    def passed(self) -> bool:
        return (
            self.sentences > 0 and self.prose_words >= MIN_PROSE_WORDS and self.score >= PASS_SCORE
        )


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def sentences_of(text: str) -> list[str]:
    """The sentences of ``text``: pieces ending in final punctuation, long enough to count."""
    found = []
    for line in text.splitlines():
        for match in _SENTENCE.finditer(line):
            piece = match.group(0).strip()
            if word_count(piece) >= _SENTENCE_UNITS:
                found.append(piece)
    return found


def score_text(
    text: str,
    *,
    link_texts: Collection[str] | None = None,
    others: Sequence[str] = (),
) -> TextScore:
    """Score ``text`` as article text.

    ``link_texts`` are the page's link texts (whitespace squashed); ``None`` when the
    page is unknown (plain text), which leaves link density out. ``others`` are the
    bodies other extractors found on the same page, for agreement.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    chars = sum(len("".join(line.split())) for line in lines)
    words = sum(word_count(line) for line in lines)
    sentences = sentences_of(text)
    prose_words = sum(word_count(line) for line in lines if _is_prose_line(line))
    prose_share = prose_words / words if words else 0.0
    interface_share = sum(interface_chars(line) for line in lines) / chars if chars else 0.0
    link_density: float | None = None
    if link_texts is not None:
        linked = sum(len("".join(line.split())) for line in lines if line in link_texts)
        link_density = linked / chars if chars else 0.0
    agreement = _agreement(sentences, others)
    purity = prose_share * (1 - interface_share) * (1 - (link_density or 0.0))
    length = min(1.0, words / _FULL_UNITS)
    score = purity * (0.6 + 0.4 * length) * (0.85 + 0.15 * agreement)
    return TextScore(
        score=round(score, 3),
        chars=chars,
        words=words,
        sentences=len(sentences),
        prose_words=prose_words,
        prose_share=round(prose_share, 3),
        interface_share=round(interface_share, 3),
        link_density=None if link_density is None else round(link_density, 3),
        agreement=round(agreement, 3),
    )


def _is_prose_line(line: str) -> bool:
    if sentences_of(line):
        return True
    return word_count(line) >= _CLAUSE_UNITS and bool(_CLAUSE_MARK.search(line))


def _agreement(sentences: list[str], others: Sequence[str]) -> float:
    """Share of ``sentences`` that occur in at least one of ``others``."""
    if not sentences:
        return 0.0
    squashed = ["".join(other.split()) for other in others if other.strip()]
    if not squashed:
        return 0.0
    found = sum(1 for s in sentences if any("".join(s.split()) in other for other in squashed))
    return found / len(sentences)


def refusal_reason(score: TextScore) -> str:
    """Why a page's best candidate is not an article, in a reader's words."""
    size = f"{score.chars} characters"
    sentences = {0: "no sentences", 1: "1 sentence"}.get(
        score.sentences, f"{score.sentences} sentences"
    )
    if score.chars == 0:
        return "the page has no text an extractor could find"
    if score.interface_share >= 0.3:
        what = "navigation and share buttons"
    elif score.link_density is not None and score.link_density >= 0.5:
        what = "a list of links"
    elif score.sentences == 0:
        what = "short lines without sentences (headings, labels or captions)"
    else:
        what = "too little prose to be an article"
    return f"the page's text is {what} ({size}, {sentences})"
