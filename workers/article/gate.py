"""The extraction's quality gate: score every candidate body, keep the best that passes.

Each candidate (``workers.article.candidates``) is scored as article text
(``workers.article.quality``); one passes with a sentence and a score of at least
``PASS_SCORE``. Among those that pass, the best is the one with the highest

    rank = reliability of its extractor × min(1, score / GOOD_SCORE)

Above ``GOOD_SCORE`` a body reads as article text and the more reliable extractor
wins; below it, the score decides. A score tells junk from prose; it does not
tell a complete article from a fragment of it (the scraped-text rules sometimes
keep one run of paragraphs out of several, and with them a higher prose share),
which the extractor's record does.

``RELIABILITY`` is each extractor's mean main-text F1 over the 21 pages of
../shared/data/html with a gold or silver answer, measured with the line rules of
this package (in-sample): readability 98.5, newspaper 94.7, rules 88.5,
trafilatura 84.6. The body newsum chose there scores 0.54 at the lowest (a
WeChat post whose code listings are lines without sentences), so ``GOOD_SCORE``
= 0.5 lets every such body count as good.

When no candidate passes, :class:`NoArticle` says what the page's text is, read
from the candidate with the most text (its body and the lines its rules took
out); when no candidate has any text, the page is empty (:class:`EmptyInput`).
"""

from __future__ import annotations

from collections.abc import Collection

from workers.article.candidates import Candidate
from workers.article.quality import TextScore, refusal_reason, score_text
from workers.contract import Extraction, ExtractionCandidate
from workers.errors import EmptyInput, NoArticle

GOOD_SCORE = 0.5
RELIABILITY = {"readability": 0.985, "newspaper": 0.947, "rules": 0.885, "trafilatura": 0.846}


def choose_body(
    bodies: list[Candidate], link_texts: Collection[str] | None
) -> tuple[Candidate, Extraction]:
    """The best passing candidate and the record of the choice; NoArticle when none passes.

    Ties go to the earlier candidate (readability first, the libxml2 parse before
    the HTML5 one).
    """
    scores = [score_of(body, bodies, link_texts) for body in bodies]
    best: tuple[float, Candidate, TextScore] | None = None
    for body, score in zip(bodies, scores, strict=True):
        if not score.passed:
            continue
        rank = _reliability(body.method) * min(1.0, score.score / GOOD_SCORE)
        if best is None or rank > best[0]:
            best = (rank, body, score)
    candidates = [
        ExtractionCandidate(method=body.method, score=score.score, chars=score.chars)
        for body, score in zip(bodies, scores, strict=True)
    ]
    if best is None:
        raise _refusal(bodies, link_texts)
    _, body, score = best
    return body, Extraction(method=body.method, score=score.score, candidates=candidates)


def _refusal(bodies: list[Candidate], link_texts: Collection[str] | None) -> Exception:
    """NoArticle saying what the page's text is: the fullest candidate read with the lines
    its rules took out (a share strip is gone from the body, but it is what the page is)."""
    found = ["\n".join([*body.removed, *body.paragraphs]) for body in bodies]
    fullest = max(
        (score_text(text, link_texts=link_texts) for text in found), key=_size, default=None
    )
    if fullest is None or fullest.chars == 0:
        return EmptyInput("the page has no visible text")
    return NoArticle(refusal_reason(fullest))


def _size(score: TextScore) -> tuple[int, float]:
    return score.chars, score.score


def score_of(
    body: Candidate, bodies: list[Candidate], link_texts: Collection[str] | None
) -> TextScore:
    """``body``'s score, agreement counted against the other extractors' bodies."""
    family = _family(body.method)
    others = [other.text for other in bodies if _family(other.method) != family]
    return score_text(body.text, link_texts=link_texts, others=others)


def _family(method: str) -> str:
    return method.split("+", 1)[0]


def _reliability(method: str) -> float:
    return RELIABILITY.get(_family(method), min(RELIABILITY.values()))
