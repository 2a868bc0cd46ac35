"""One summary job run on a worker: extract, summarize (or find it cached), store;
with its stages timed for /metrics and its progress on the job record."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import redis

from workers.article.prepared import PreparedArticle
from workers.batch.plan import PlannedItem
from workers.contract import SummaryJob, SummaryOptions, SummaryResult
from workers.english.glossary import server_glossary
from workers.pipeline import prepare_article, summarize_prepared
from workers.queue.bootstrap import WorkerContext
from workers.queue.signals import enter_stage
from workers.store.digests import content_digest, request_digest

log = logging.getLogger("newsum.worker")


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
    summarize_and_store(ctx, job_id, prepared, job.options, own_key, clock)
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
) -> None:
    """Summarize a prepared article (or find it cached), store it, mark the job done.

    ``computed``: its result, already made with its chunk (``workers.queue.batch_jobs``)."""
    ckey = content_digest(prepared.text, options, ctx.info.fingerprint)
    result = computed or ctx.cache.get(ckey)
    cached = computed is None and result is not None
    if result is None:
        result = summarize_prepared(
            prepared,
            options,
            ctx.engines,
            key=ckey,
            progress=clock,
            base_glossary=server_glossary(ctx.settings),
            review_confidence=ctx.settings.review_confidence,
        )
    clock.finish()
    ctx.cache.put(result, ckey, own_key)
    ctx.jobs.mark_done(job_id, result_key=ckey, cached=cached)
