"""One summary job run on a worker: extract, summarize (or find it cached), store;
with its stages timed for /metrics and its progress on the job record.

Two cache entries come of a job (``workers.store.cache``): the page's own result
under its request key, and the model work alone under its content key (body and
headline), which other pages with that body and headline share. A result is
always its own page's: the fields that describe a page (date, outlet, bylines,
address, boilerplate, how the body was extracted, the original traditional text)
and the warnings its metadata gave come from the caller's own input every time,
never from the page whose run made the shared work.

A reader's job on the direct-LLM brief also puts the brief's text on its record
as the model writes it (``BriefTextReporter``), for ``/v1/jobs/{id}/events``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import redis

from workers.article.prepared import PreparedArticle
from workers.batch.plan import PlannedItem
from workers.contract import Author, Extraction, SummaryJob, SummaryOptions, SummaryResult
from workers.english.glossary import server_glossary
from workers.english.romanize import romanize_name
from workers.pipeline import prepare_article, summarize_prepared
from workers.queue.bootstrap import WorkerContext
from workers.queue.signals import enter_stage
from workers.store.digests import content_digest, request_digest
from workers.store.jobs import JobStore

log = logging.getLogger("newsum.worker")

_HAN = re.compile(r"[\u4e00-\u9fff]")
# The streamed brief goes onto the job record at most this often (and at its end).
BRIEF_TEXT_INTERVAL_S = 0.25


def record_stage(
    ctx: WorkerContext, stage: str, seconds: float, counters: Mapping[str, int] | None = None
) -> None:
    """Add a stage's run to /metrics (model and pipeline time per stage), with any
    ``counters`` (events) in the same round trip; a Redis error loses only these."""
    try:
        with ctx.client.pipeline(transaction=False) as pipe:
            pipe.hincrbyfloat(ctx.layout.stage_seconds, stage, seconds)
            pipe.hincrby(ctx.layout.stage_count, stage, 1)
            for event, count in (counters or {}).items():
                pipe.hincrby(ctx.layout.stats, event, count)
            pipe.execute()
    except redis.RedisError:  # numbers are nice to have; the results are not
        pass


class StageClock:
    """Turns progress callbacks into job updates and per-stage timings."""

    def __init__(self, ctx: WorkerContext, job_id: str) -> None:
        self.ctx = ctx
        self.job_id = job_id
        self.stage: str | None = None
        self.since = time.perf_counter()
        self.last_progress = -1.0

    def __call__(self, stage: str, fraction: float) -> None:
        if stage != self.stage:
            self._close_stage()
            self.stage = stage
            self.since = time.perf_counter()
        elif fraction - self.last_progress < 0.05:
            return
        self.last_progress = fraction
        try:
            self.ctx.jobs.set_progress(self.job_id, stage, fraction)
        except redis.RedisError as exc:  # progress is nice to have; the result is not
            log.warning("could not record progress of %s: %s", self.job_id, exc)

    def _close_stage(self) -> None:
        if self.stage is None or self.stage == "done":
            return
        record_stage(self.ctx, self.stage, time.perf_counter() - self.since)

    def finish(self) -> None:
        self._close_stage()
        self.stage = None


class BriefTextReporter:
    """Puts the direct-LLM brief's text so far on the job record as the model writes it
    (``workers.english.llm_brief.BriefText``): the first text at once, then at most
    every ``interval_s``, and the whole reply at the end, each only if it changed.

    A model writes tens of tokens a second; a write per token would cost Redis (and
    every open event stream) that many reads. Write errors are only logged: the
    text is nice to watch, the result is what counts.
    """

    def __init__(
        self,
        jobs: JobStore,
        job_id: str,
        *,
        interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jobs = jobs
        self.job_id = job_id
        self.interval_s = BRIEF_TEXT_INTERVAL_S if interval_s is None else interval_s
        self.clock = clock
        self.written = ""
        self.written_at: float | None = None

    def __call__(self, text: str, *, final: bool = False) -> None:
        if not text or text == self.written:
            return
        now = self.clock()
        due = self.written_at is None or now - self.written_at >= self.interval_s
        if not (final or due):
            return
        try:
            self.jobs.set_brief_text(self.job_id, text)
        except redis.RedisError as exc:  # the streamed text is nice to have; the result is not
            log.warning("could not record the brief of %s as it is written: %s", self.job_id, exc)
            return
        self.written, self.written_at = text, now


def run_summary_job(ctx: WorkerContext, payload: dict[str, Any], job_id: str) -> bool:
    """One summary job, end to end; False when it is a batch item left waiting for its
    batch's plan (``workers.batch.plan``). Raises InputError/NewsumError for the
    caller to record."""
    job = SummaryJob.model_validate(payload)
    clock = StageClock(ctx, job_id)
    ctx.jobs.mark_running(job_id, "extract")
    ctx.client.hincrby(ctx.layout.stats, "summaries_run", 1)
    clock("extract", 0.05)
    enter_stage(job.article, "extract", job_id)
    prepared = prepare_article(job.article, ctx.settings, fetch=ctx.fetch)
    # Stored under the request key this worker's own fingerprint gives; the API's
    # key differs only if it read another worker's fingerprint, and a result must
    # never sit under a key naming models that did not make it.
    own_key = request_digest(job.article, job.options, ctx.info.fingerprint)
    if job.batch is not None:
        clock.finish()
        item = PlannedItem(
            job.batch.index, job_id, job.key, own_key, job.options, prepared, job.batch.group
        )
        ctx.jobs.mark_waiting(job_id, "cluster", 0.2)
        ctx.batches.arrive(job.batch, item)
        return False
    summarize_and_store(ctx, job_id, prepared, job.options, own_key, clock, stream_brief=True)
    return True


def summarize_and_store(
    ctx: WorkerContext,
    job_id: str,
    prepared: PreparedArticle,
    options: SummaryOptions,
    own_key: str,
    clock: StageClock,
    *,
    computed: SummaryResult | None = None,
    stream_brief: bool = False,
) -> None:
    """Summarize a prepared article (or find its model work cached), store it, mark
    the job done. The job's result is its page's own, under its request key ``own_key``.

    ``computed``: its result, already made with its chunk (``workers.queue.batch_jobs``).
    ``stream_brief``: a reader's job: the direct-LLM brief's text goes on the job
    record as it is written (``BriefTextReporter``)."""
    ckey = content_digest(prepared.text, options, ctx.info.fingerprint, title=prepared.title)
    result = computed
    cached = False
    if result is None:
        work = ctx.cache.get(ckey)
        result = own_page(work, prepared) if work is not None else None
        cached = result is not None
    if result is None:
        result = summarize_prepared(
            prepared,
            options,
            ctx.engines,
            key=ckey,
            progress=clock,
            base_glossary=server_glossary(ctx.settings),
            review_confidence=ctx.settings.review_confidence,
            brief_text=BriefTextReporter(ctx.jobs, job_id) if stream_brief else None,
        )
    clock.finish()
    ctx.cache.put_each({own_key: result, ckey: shared_work(result, prepared)})
    ctx.jobs.mark_done(job_id, result_key=own_key, cached=cached)


# --- a page's own result and the model work pages share ------------------------------


def _no_page() -> dict[str, Any]:
    """What describes a page rather than its story, emptied: never kept in shared work."""
    return {
        "published": None,
        "outlet": None,
        "authors": [],
        "editors": [],
        "photo_credits": [],
        "url": None,
        "removed": [],
        "extraction": None,
        "original_text": None,
    }


def _people(names: Sequence[str]) -> list[Author]:
    """Names as a run gives them (``workers.pipeline``): romanized where Chinese."""
    return [Author(name=n, romanized=romanize_name(n) if _HAN.search(n) else None) for n in names]


def shared_work(result: SummaryResult, prepared: PreparedArticle) -> SummaryResult:
    """What the content key holds: ``result`` (made for ``prepared``'s page) without
    that page: no date, outlet, bylines, address, boilerplate, extraction or original
    text, and none of the warnings the page gave (``prepared.warnings``: no date
    shown, converted from traditional characters). The body, headline, summary,
    translation, key terms, checks and review stay: they are the models' work on
    the body and headline the key covers."""
    work = result.model_copy(deep=True)
    work.article = work.article.model_copy(update=_no_page())
    page = set(prepared.warnings)
    work.checks.warnings = [w for w in work.checks.warnings if w not in page]
    return work


def own_page(work: SummaryResult, prepared: PreparedArticle) -> SummaryResult | None:
    """``prepared``'s page's result from shared model work (``shared_work``): every
    field that describes the page, and the page's warnings first, as its own run
    would give them. The headline's English is the work's: the content key covers
    the headline, so it is this headline's. None when the work is not of this
    article (other sentences or another headline), to be made afresh."""
    if work.article.sentences != prepared.sentences or work.article.title != prepared.title:
        return None
    result = work.model_copy(deep=True)
    extraction = prepared.extraction
    result.article = result.article.model_copy(
        update={
            "published": prepared.published,
            "outlet": prepared.outlet,
            "authors": _people(prepared.authors),
            "editors": _people(prepared.editors),
            "photo_credits": list(prepared.photo_credits),
            "url": prepared.url,
            "language": prepared.language,
            "text": prepared.text,
            "original_text": prepared.original_text,
            "removed": list(prepared.removed),
            "extraction": Extraction.model_validate(extraction) if extraction else None,
        }
    )
    result.checks.warnings = list(dict.fromkeys([*prepared.warnings, *work.checks.warnings]))
    return result
