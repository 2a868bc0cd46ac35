"""Cross-article batching of summaries: a chunk of batch articles summarized in lockstep.

After ``workers.batch.pretranslate`` has translated a chunk's sentences in one call,
each article still needs the summarizer a few times (map over its chunks, then
reduce). One article at a time, those calls hold one or two long inputs, and on
a CPU the engine runs as many batches at once as it has cores
(``models.engines.ctranslate2_engine.thread_layout``): half of them idle. Here
every article of the chunk runs as steps (``workers.pipeline.summary_steps``)
driven together (``models.stepwise.run_together``): their map calls go to the
summarizer as one call, then their reduce calls as another.

Each article gets the result its own run would give (same inputs, same engine
settings; only batched with others), or the exception its own run would raise:
the worker then runs that article alone, under its job's own failure policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.stepwise import run_together
from workers.article.prepared import PreparedArticle
from workers.contract import SummaryOptions, SummaryResult
from workers.english.engines import Engines
from workers.english.review import DEFAULT_REVIEW_CONFIDENCE
from workers.pipeline import summary_steps


@dataclass(frozen=True)
class ChunkArticle:
    """One article of a chunk: what ``summarize_prepared`` takes, and its result key."""

    prepared: PreparedArticle
    options: SummaryOptions
    key: str


def summarize_together(
    articles: Sequence[ChunkArticle],
    engines: Engines,
    *,
    base_glossary: Mapping[str, str] | None = None,
    review_confidence: float = DEFAULT_REVIEW_CONFIDENCE,
    stop_on: tuple[type[BaseException], ...] = (),
) -> list[SummaryResult | Exception]:
    """Each article's ``summarize_prepared`` result (or exception), in order, with
    their summarizer calls joined. ``stop_on``: exceptions that stop them all and
    reach the caller (a task's soft time limit)."""
    steps = [
        summary_steps(
            article.prepared,
            article.options,
            engines,
            key=article.key,
            base_glossary=base_glossary,
            review_confidence=review_confidence,
        )
        for article in articles
    ]
    return run_together(steps, stop_on=stop_on)
