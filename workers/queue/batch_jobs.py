"""A batch's plan and its chunks, run on a worker (the steps ``workers.batch.plan``
describes): group the arrived articles, send the representatives in chunks, and
summarize each chunk together, every article under its own job's failure policy.

A batch item's task carries its batch's glossary by ref (``SummaryJob.glossary_ref``,
stored once: ``workers.store.batches.BatchGlossaries``); ``with_stored_glossary``
puts the terms back before the job runs."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import Follower, PlannedItem, chunks, plan_items
from workers.batch.pretranslate import pretranslate
from workers.batch.summarize_together import ChunkArticle, summarize_together
from workers.contract import SummaryResult
from workers.english.glossary import server_glossary
from workers.errors import Expired, InvalidRequest
from workers.queue.bootstrap import WorkerContext, context
from workers.queue.celery_app import QueueConfig
from workers.queue.failure import guarded, time_out_job
from workers.queue.summary_job import StageClock, record_stage, summarize_and_store
from workers.store.digests import content_digest

log = logging.getLogger("newsum.worker")

# The stage of a chunk's jobs while their summaries are made together.
TOGETHER_STAGE = "summarize_together"


def _client_ids(ctx: WorkerContext, batch_id: str) -> list[str]:
    """Each batch item's id as ``ClusterInfo.representative_id`` shows it."""
    items = ctx.batches.store.items(batch_id)
    return [str(item.index if item.id is None else item.id) for item in items]


def with_stored_glossary(ctx: WorkerContext, payload: Any) -> Any:
    """A summarize task's payload with its batch glossary back in its options (the
    payload as it is when it carries none). Expired (410) once the glossary expired
    with its batch."""
    ref = payload.get("glossary_ref") if isinstance(payload, dict) else None
    if not isinstance(ref, str) or not ref:
        return payload
    try:
        glossary = ctx.batches.plans.glossaries.get(ref)
    except ValueError:  # not a ref: the payload is refused as it is
        raise InvalidRequest(f"bad task payload: glossary_ref {ref!r}") from None
    if glossary is None:
        if ctx.batches.store.abandoned(ref.split("/", 1)[0]):
            raise Expired(
                "its batch could not be queued whole and was abandoned, its glossary "
                "with it: submit it again"
            )
        raise Expired("the batch's glossary expired with its batch (NEWSUM_JOB_TTL_S)")
    options = dict(payload.get("options") or {})
    options["glossary"] = glossary
    return {**payload, "options": options, "glossary_ref": None}


def plan_batch_items(ctx: WorkerContext, batch_id: str) -> None:
    """Group the batch's arrived articles; followers wait, the rest are sent in chunks.
    An abandoned batch (the API could not queue it whole) is never planned."""
    plans = ctx.batches.plans
    if ctx.batches.store.abandoned(batch_id):
        return
    lease = plans.start_plan(batch_id)
    if lease is None:
        return
    items = {item.index: item for item in plans.items(batch_id)}
    plan = plan_items(list(items.values()), _client_ids(ctx, batch_id))
    for index, info in plan.clusters.items():
        item = items[index]
        leader = plan.follows.get(index)
        if leader is None:
            ctx.jobs.set_cluster(item.job_id, info.model_dump())
            continue
        # The member's result will be its representative's, shown under its own key.
        ctx.jobs.set_cluster(item.job_id, info.model_dump(), member_key=item.key)
        ctx.jobs.mark_waiting(item.job_id, f"shares the summary of item {leader}", 0.5)
        ctx.batches.follow(items[leader].job_id, Follower(item.job_id, item.key, batch_id, index))
    for chunk in chunks(plan.summarize, ctx.settings.batch_chunk_articles):
        ctx.batches.send_planned(batch_id, chunk)
    plans.finish_plan(batch_id, lease)
    log.info(
        "batch %s planned: %d articles to summarize, %d near-duplicates share a summary",
        batch_id,
        len(plan.summarize),
        len(plan.follows),
    )


def summarize_planned_chunk(task: Task, batch_id: str, indices: list[int]) -> None:
    """A chunk of a batch's planned articles: their sentences translated together,
    their summaries made together, then each stored under its own job's failure
    policy (an article whose joint run failed runs alone there). Past the chunk's
    soft time limit, the articles not yet summarized are sent again one task each."""
    ctx = context()
    plans = ctx.batches.plans
    items = [item for item in plans.get(batch_id, indices) if item is not None]
    records = ctx.jobs.get_many([item.job_id for item in items])
    live = [i for i, r in zip(items, records, strict=True) if r is None or not r.finished]
    computed: dict[str, SummaryResult] = {}
    if len(live) > 1:
        try:
            sent = pretranslate([(i.prepared, i.options) for i in live], ctx.engines)
            log.info(
                "batch %s: %d sentences of %d articles translated together",
                batch_id,
                sent,
                len(live),
            )
        except SoftTimeLimitExceeded:
            ctx.batches.send_planned(batch_id, [i.index for i in live], each=True)
            return
        except Exception as exc:  # each article translates its own, and fails on its own
            log.warning("batch %s: translating the chunk together failed: %s", batch_id, exc)
        try:
            computed = summarize_chunk(ctx, batch_id, live)
        except SoftTimeLimitExceeded:
            ctx.batches.send_planned(batch_id, [i.index for i in live], each=True)
            return
        except Exception as exc:  # each article runs on its own, and fails on its own
            log.warning("batch %s: summarizing the chunk together failed: %s", batch_id, exc)
    for position, item in enumerate(live):

        def work(ctx: WorkerContext, item: PlannedItem = item) -> None:
            ctx.jobs.mark_running(item.job_id, "summarize")
            ctx.client.hincrby(ctx.layout.stats, "summaries_run", 1)
            clock = StageClock(ctx, item.job_id)
            summarize_and_store(
                ctx,
                item.job_id,
                item.prepared,
                item.options,
                item.own_key,
                clock,
                computed=computed.pop(item.job_id, None),
            )

        guarded(task, item.job_id, item.key, work, counter="deliveries_summarize")
        plans.drop(batch_id, item.index)
        record = ctx.jobs.get(item.job_id)
        if record is not None and record.error is not None and record.error.code == "timeout":
            rest = [i.index for i in live[position + 1 :]]
            ctx.batches.send_planned(batch_id, rest, each=True)
            return


def summarize_chunk(
    ctx: WorkerContext, batch_id: str, items: Sequence[PlannedItem]
) -> dict[str, SummaryResult]:
    """The summaries of a chunk's articles not cached yet, made together
    (``workers.batch.summarize_together``): job id → result, for those that succeeded.

    Meanwhile their jobs run in stage ``summarize_together``. A joint run cut short
    is not tried again: a chunk killed at its hard time limit sends those articles
    again rather than failing them (``time_out_chunk``), and after a lost worker
    (the task redelivered) they run one by one, each under its own delivery count.
    """
    engines = ctx.engines
    if engines.summarizer is None and engines.direct is None:
        return {}  # the extractive engine makes no model calls to join
    wanted: dict[str, tuple[str, PlannedItem]] = {}  # content key → (job id, item)
    for item in items:
        ckey = content_digest(
            item.prepared.text, item.options, ctx.info.fingerprint, title=item.prepared.title
        )
        if ckey not in wanted and ctx.cache.get_raw(ckey) is None:
            wanted[ckey] = (item.job_id, item)
    if len(wanted) < 2:
        return {}
    job_ids = [job_id for job_id, _ in wanted.values()]
    with ctx.client.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hincrby(ctx.layout.job(job_id), "deliveries_together", 1)
            # Which process holds it now, as the failure policy records it.
            pipe.hset(ctx.layout.job(job_id), "worker_pid", os.getpid())
        tries = pipe.execute()[::2]  # the counts (each hset answers in between)
    if any(int(n) > 1 for n in tries):
        log.warning("batch %s: a joint summary run was cut short; one by one now", batch_id)
        return {}
    for job_id in job_ids:
        ctx.jobs.mark_running(job_id, TOGETHER_STAGE)
    started = time.perf_counter()
    results = summarize_together(
        [ChunkArticle(i.prepared, i.options, ckey) for ckey, (_, i) in wanted.items()],
        ctx.engines,
        base_glossary=server_glossary(ctx.settings),
        review_confidence=ctx.settings.review_confidence,
        stop_on=(SoftTimeLimitExceeded,),
    )
    elapsed = time.perf_counter() - started
    computed: dict[str, SummaryResult] = {}
    for (job_id, _), result in zip(wanted.values(), results, strict=True):
        if isinstance(result, SummaryResult):
            computed[job_id] = result
        else:
            log.info("batch %s: job %s runs alone after: %s", batch_id, job_id, result)
    log.info("batch %s: %d articles summarized together in %.1f s", batch_id, len(wanted), elapsed)
    # /metrics: stage summarize_together, newsum_events{event="summaries_together"}.
    record_stage(ctx, TOGETHER_STAGE, elapsed, {"summaries_together": len(computed)})
    return computed


def time_out_chunk(batches: BatchCoordinator, limits: QueueConfig, args: Any) -> None:
    """A chunk killed at its hard time limit: the article that was running alone fails;
    the ones not reached (or cut short in the joint run) are sent again, in one task."""
    if not isinstance(args, list | tuple) or len(args) != 2:
        return
    batch_id, indices = str(args[0]), [int(i) for i in args[1]]
    items = [i for i in batches.plans.get(batch_id, indices) if i is not None]
    records = batches.jobs.get_many([i.job_id for i in items])
    not_reached = []
    for item, record in zip(items, records, strict=True):
        # Articles summarized together were not what ran over: sent again, each alone.
        if record is not None and record.state == "running" and record.stage != TOGETHER_STAGE:
            time_out_job(batches, limits, item.job_id, item.key)
            batches.plans.drop(batch_id, item.index)
        elif record is None or not record.finished:
            not_reached.append(item.index)
    batches.send_planned(batch_id, not_reached)
