"""Thin Celery tasks: validate the payload, run the pipeline, store, update the job.

Registered on an app by ``register_tasks(app)`` (the API never imports this
module: it sends tasks by name). Engines load once per worker process, in the
``worker_process_init`` signal (sent in each prefork child, and in the main
process by the solo pool), never per task; a load failure stops the worker
with the reason. The process then publishes its pipeline fingerprint and model
refs to Redis (``<prefix>:pipeline:<profile>``) and refreshes them on a
heartbeat, so the API can build request keys and tell when no worker is alive.

Retries: only transient trouble (Redis away, a TransientError) is retried,
with exponential backoff; bad input is never retried; it becomes a failed
job with the reason.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import task_failure, worker_process_init
from pydantic import ValidationError

from workers.article.fetch import PUBLIC_ONLY, FetchPolicy, post_json
from workers.article.segment import split_sentences
from workers.batch.plan import (
    PLAN_LEASE_S,
    BatchPlans,
    Follower,
    PlannedItem,
    chunks,
    plan_items,
)
from workers.batch.pretranslate import pretranslate
from workers.batch.summarize_together import ChunkArticle, summarize_together
from workers.contract import (
    TASK_SUMMARIZE,
    ArticleInput,
    BatchPlace,
    ErrorBody,
    SummaryJob,
    SummaryOptions,
    SummaryResult,
)
from workers.english.engines import Engines, load_engines
from workers.english.glossary import server_glossary
from workers.errors import FetchFailed, NewsumError, TransientError
from workers.pipeline import (
    PreparedArticle,
    prepare_article,
    summarize_article,
    summarize_prepared,
    translate_sentences,
)
from workers.queue.celery_app import (
    TASK_NOTIFY_BATCH,
    TASK_PLAN_BATCH,
    TASK_SUMMARIZE_PLANNED,
    TASK_TRANSLATE,
    QueueConfig,
    visibility_timeout_s,
)
from workers.settings import Settings
from workers.store.batches import BatchStore, batch_status
from workers.store.cache import (
    PIPELINE_HEARTBEAT_S,
    Keys,
    PipelineInfo,
    ResultCache,
    connect_redis,
    content_key,
    keys_for,
    publish_pipeline,
    request_key,
)
from workers.store.jobs import JobStore
from workers.store.translation_memory import TranslationMemory

log = logging.getLogger("newsum.worker")

EXIT_MODEL_LOAD = 3
# A task delivered this many times more than its retries was lost with its worker
# each time (out of memory, killed): fail it instead of killing workers forever.
MAX_LOST_DELIVERIES = 3
WEBHOOK_TIMEOUT_S = 5.0
# How long a task whose Redis went away waits for it before retrying (a restart
# takes seconds; past this the message's visibility timeout brings it back).
REDIS_WAIT_S = 60.0
_HTML_TAG = re.compile(r"(<[^>]+>)")
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass
class WorkerConfig:
    """What the worker command decided, before any process loads engines."""

    settings: Settings
    profile: str
    redis_url: str
    main_pid: int
    failure_file: Path  # a child that cannot start writes its reason here for the parent


@dataclass
class WorkerContext:
    """Everything a task needs, built once per worker process."""

    settings: Settings
    engines: Engines
    info: PipelineInfo
    client: redis.Redis
    keys: Keys
    jobs: JobStore
    cache: ResultCache
    batches: BatchStore
    plans: BatchPlans
    queues: QueueConfig
    fetch: Callable[[str], tuple[bytes, str | None]]


_config: WorkerConfig | None = None
_context: WorkerContext | None = None
_app: Celery | None = None


def configure_worker(settings: Settings, profile: str, redis_url: str) -> None:
    """Record the worker's settings; engines load later, in each worker process."""
    global _config
    failure_file = Path(tempfile.gettempdir()) / f"newsum-worker-{os.getpid()}.failed"
    failure_file.unlink(missing_ok=True)
    _config = WorkerConfig(settings, profile, redis_url, os.getpid(), failure_file)


def startup_failure() -> str | None:
    """Why a worker process could not start, once the worker has stopped (else None)."""
    if _config is None or not _config.failure_file.exists():
        return None
    reason = _config.failure_file.read_text(encoding="utf-8")
    _config.failure_file.unlink(missing_ok=True)
    return reason


def start_worker_process(config: WorkerConfig) -> WorkerContext:
    """Load the engines, wrap the translator in the translation memory, publish the
    pipeline and start its heartbeat. Raises on any failure."""
    settings = config.settings
    keys = keys_for(settings)
    client = connect_redis(config.redis_url)
    client.ping()  # Redis away at start is a start-up failure, said plainly
    engines = load_engines(settings, config.profile)
    if engines.translator is not None:
        engines.translator = TranslationMemory(
            engines.translator, client, keys, ttl_s=settings.cache_ttl_s
        )
    warm_up(engines, settings)
    info = PipelineInfo(
        profile=engines.profile,
        fingerprint=engines.fingerprint(),
        models=engines.model_refs(),
        has_translator=engines.translator is not None,
        warnings=list(engines.warnings),
    )
    aliases = tuple({"auto", config.profile} - {engines.profile})
    publish_pipeline(client, keys, info, also_as=aliases)
    _start_heartbeat(client, keys, info, aliases)

    from workers.article.fetch import url_fetcher

    fetch_timeout = settings.fetch_timeout_s
    return WorkerContext(
        settings=settings,
        engines=engines,
        info=info,
        client=client,
        keys=keys,
        jobs=JobStore(client, keys, settings.job_ttl_s),
        cache=ResultCache(client, keys, settings.cache_ttl_s),
        batches=BatchStore(client, keys, settings.job_ttl_s),
        plans=BatchPlans(
            client,
            keys,
            settings.job_ttl_s,
            plan_lease_s=max(5, min(PLAN_LEASE_S, visibility_timeout_s(settings) // 2)),
        ),
        queues=QueueConfig.from_settings(settings),
        fetch=url_fetcher(timeout_s=fetch_timeout, max_bytes=settings.max_bytes),
    )


WARM_UP_ARTICLE = (
    "新华社北京1月9日电 国务院常务会议今天在北京召开。会议决定加快发展新能源汽车产业，"
    "全年投资120亿元。会议指出，要加强充电基础设施建设。有关部门负责人出席会议。"
)


def warm_up(engines: Engines, settings: Settings) -> None:
    """Run one short article through the pipeline before taking tasks.

    The first run loads the dictionaries (jieba, CC-CEDICT: ~8 s here); that cost
    belongs to start-up, not to the first reader's request. Models are not run
    here: they are loaded already, and a random-weight test model may generate
    to its length limit. A failure here means the pipeline is broken: it stops
    the worker.
    """
    started = time.perf_counter()
    summarize_article(
        ArticleInput(text=WARM_UP_ARTICLE),
        SummaryOptions(strategy="extractive", translate=False, sentences=1),
        engines,
        settings,
        key="warm-up",
    )
    log.info("pipeline warmed up in %.1f s", time.perf_counter() - started)


def _start_heartbeat(
    client: redis.Redis, keys: Keys, info: PipelineInfo, aliases: tuple[str, ...]
) -> None:
    def beat() -> None:
        while True:
            time.sleep(PIPELINE_HEARTBEAT_S)
            try:
                publish_pipeline(client, keys, info, also_as=aliases)
            except redis.RedisError as exc:
                log.warning("could not refresh the pipeline record: %s", exc)

    threading.Thread(target=beat, name="newsum-heartbeat", daemon=True).start()


def _on_process_init(**_: Any) -> None:
    global _context
    if _config is None:  # a Celery worker not started by `newsum worker`
        return
    try:
        _context = start_worker_process(_config)
    except Exception as exc:
        reason = exc.message if isinstance(exc, NewsumError) else f"{type(exc).__name__}: {exc}"
        log.critical("newsum worker cannot start: %s", reason)
        print(f"newsum worker: cannot start: {reason}", file=sys.stderr, flush=True)
        with contextlib.suppress(OSError):
            _config.failure_file.write_text(reason, encoding="utf-8")
        if os.getpid() == _config.main_pid:  # solo pool: this is the worker
            raise SystemExit(EXIT_MODEL_LOAD) from None
        # A prefork child: stop the parent too, or it would fork a new child forever.
        os.kill(_config.main_pid, signal.SIGTERM)
        os._exit(EXIT_MODEL_LOAD)
    log.info(
        "worker process %d ready: profile %s, pipeline %s",
        os.getpid(),
        _context.info.profile,
        _context.info.fingerprint,
    )


def context() -> WorkerContext:
    if _context is None:
        raise TransientError("this worker process has not loaded its engines")
    return _context


# --------------------------------------------------------------------------- summaries


def record_stage(
    ctx: WorkerContext, stage: str, seconds: float, counters: Mapping[str, int] | None = None
) -> None:
    """Add a stage's run to /metrics (model and pipeline time per stage), with any
    ``counters`` (events) in the same round trip; a Redis error loses only these."""
    try:
        with ctx.client.pipeline(transaction=False) as pipe:
            pipe.hincrbyfloat(ctx.keys.stage_seconds, stage, seconds)
            pipe.hincrby(ctx.keys.stage_count, stage, 1)
            for event, count in (counters or {}).items():
                pipe.hincrby(ctx.keys.stats, event, count)
            pipe.execute()
    except redis.RedisError:  # numbers are nice to have; the results are not
        pass


class _StageClock:
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
    clock = _StageClock(ctx, job_id)
    ctx.jobs.mark_running(job_id, "extract")
    ctx.client.hincrby(ctx.keys.stats, "summaries_run", 1)
    clock("extract", 0.05)
    if ctx.settings.fault_inject:
        inject_fault(ctx.settings.fault_inject, job.article)
    prepared = prepare_article(job.article, ctx.settings, fetch=ctx.fetch)
    # Stored under the request key this worker's own fingerprint gives; the API's
    # key differs only if it read another worker's fingerprint, and a result must
    # never sit under a key naming models that did not make it.
    own_key = request_key(job.article, job.options, ctx.info.fingerprint)
    if job.batch is not None:
        clock.finish()
        item = PlannedItem(
            job.batch.index, job_id, job.key, own_key, job.options, prepared, job.batch.group
        )
        ctx.jobs.mark_waiting(job_id, "cluster", 0.2)
        _arrive(ctx.plans, ctx.queues, job.batch, item)
        return False
    summarize_and_store(ctx, job_id, prepared, job.options, own_key, clock)
    return True


def summarize_and_store(
    ctx: WorkerContext,
    job_id: str,
    prepared: PreparedArticle,
    options: SummaryOptions,
    own_key: str,
    clock: _StageClock,
    *,
    computed: SummaryResult | None = None,
) -> None:
    """Summarize a prepared article (or find it cached), store it, mark the job done.

    ``computed``: its result, already made with its chunk (``_summarize_chunk``)."""
    ckey = content_key(prepared.text, options, ctx.info.fingerprint)
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


# --------------------------------------------------------------------------- batch plans


def _arrive(
    plans: BatchPlans, queues: QueueConfig, place: BatchPlace, item: PlannedItem | None
) -> None:
    """Count a batch item in (None: it failed); the last one sends the plan."""
    if plans.arrive(place.batch_id, place.index, item) and _app is not None:
        # On the interactive queue: a plan takes a moment and must not wait behind
        # other batches' articles.
        _app.send_task(TASK_PLAN_BATCH, args=[place.batch_id], queue=queues.interactive)


def send_planned(batch_id: str, indices: list[int], queues: QueueConfig) -> None:
    """One task for a chunk of planned articles, its time limits the chunk's."""
    if _app is None:
        raise TransientError("this worker has no Celery app to send tasks with")
    n = len(indices)
    _app.send_task(
        TASK_SUMMARIZE_PLANNED,
        args=[batch_id, indices],
        queue=queues.batch,
        soft_time_limit=queues.soft_time_limit_s * n,
        time_limit=queues.time_limit_s * n,
    )


def _client_ids(ctx: WorkerContext, batch_id: str) -> list[str]:
    """Each batch item's id as ``ClusterInfo.representative_id`` shows it."""
    return [str(item.index if item.id is None else item.id) for item in ctx.batches.items(batch_id)]


def plan_batch_items(ctx: WorkerContext, batch_id: str) -> None:
    """Group the batch's arrived articles; followers wait, the rest are sent in chunks."""
    if not ctx.plans.start_plan(batch_id):
        return
    items = {item.index: item for item in ctx.plans.items(batch_id)}
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
        ctx.plans.follow(items[leader].job_id, Follower(item.job_id, item.key, batch_id, index))
    for chunk in chunks(plan.summarize, ctx.settings.batch_chunk_articles):
        send_planned(batch_id, chunk, ctx.queues)
    ctx.plans.finish_plan(batch_id)
    log.info(
        "batch %s planned: %d articles to summarize, %d near-duplicates share a summary",
        batch_id,
        len(plan.summarize),
        len(plan.follows),
    )


# The stage of a chunk's jobs while their summaries are made together.
TOGETHER_STAGE = "summarize_together"


def summarize_planned_chunk(task: Task, batch_id: str, indices: list[int]) -> None:
    """A chunk of a batch's planned articles: their sentences translated together,
    their summaries made together, then each stored under its own job's failure
    policy (an article whose joint run failed runs alone there). Past the chunk's
    soft time limit, the articles not yet summarized are sent again one task each."""
    ctx = context()
    items = [item for item in ctx.plans.get(batch_id, indices) if item is not None]
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
            _send_each(batch_id, live, ctx.queues)
            return
        except Exception as exc:  # each article translates its own, and fails on its own
            log.warning("batch %s: translating the chunk together failed: %s", batch_id, exc)
        try:
            computed = _summarize_chunk(ctx, batch_id, live)
        except SoftTimeLimitExceeded:
            _send_each(batch_id, live, ctx.queues)
            return
        except Exception as exc:  # each article runs on its own, and fails on its own
            log.warning("batch %s: summarizing the chunk together failed: %s", batch_id, exc)
    for position, item in enumerate(live):

        def work(ctx: WorkerContext, item: PlannedItem = item) -> None:
            ctx.jobs.mark_running(item.job_id, "summarize")
            ctx.client.hincrby(ctx.keys.stats, "summaries_run", 1)
            clock = _StageClock(ctx, item.job_id)
            summarize_and_store(
                ctx,
                item.job_id,
                item.prepared,
                item.options,
                item.own_key,
                clock,
                computed=computed.pop(item.job_id, None),
            )

        _guarded(task, item.job_id, item.key, work, counter="deliveries_summarize")
        ctx.plans.drop(batch_id, item.index)
        record = ctx.jobs.get(item.job_id)
        if record is not None and record.error is not None and record.error.code == "timeout":
            _send_each(batch_id, live[position + 1 :], ctx.queues)
            return


def _summarize_chunk(
    ctx: WorkerContext, batch_id: str, items: Sequence[PlannedItem]
) -> dict[str, SummaryResult]:
    """The summaries of a chunk's articles not cached yet, made together
    (``workers.batch.summarize_together``): job id → result, for those that succeeded.

    Meanwhile their jobs run in stage ``summarize_together``. A joint run cut short
    is not tried again: a chunk killed at its hard time limit sends those articles
    again rather than failing them (``_time_out_chunk``), and after a lost worker
    (the task redelivered) they run one by one, each under its own delivery count.
    """
    engines = ctx.engines
    if engines.summarizer is None and engines.direct is None:
        return {}  # the extractive engine makes no model calls to join
    wanted: dict[str, tuple[str, PlannedItem]] = {}  # content key → (job id, item)
    for item in items:
        ckey = content_key(item.prepared.text, item.options, ctx.info.fingerprint)
        if ckey not in wanted and ctx.cache.get_raw(ckey) is None:
            wanted[ckey] = (item.job_id, item)
    if len(wanted) < 2:
        return {}
    job_ids = [job_id for job_id, _ in wanted.values()]
    with ctx.client.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hincrby(ctx.keys.job(job_id), "deliveries_together", 1)
            # Which process holds it now, as _guarded records it.
            pipe.hset(ctx.keys.job(job_id), "worker_pid", os.getpid())
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


def _send_each(batch_id: str, items: Sequence[PlannedItem], queues: QueueConfig) -> None:
    for item in items:
        send_planned(batch_id, [item.index], queues)


def finish_followers(
    jobs: JobStore, batches: BatchStore, plans: BatchPlans, leader: str, queues: QueueConfig
) -> None:
    """A representative's job has finished: so do the jobs that share its summary;
    if it failed, each is sent to be summarized on its own (nothing is lost)."""
    followers = plans.take_followers(leader)
    if not followers:
        return
    record = jobs.get(leader)
    for follower in followers:
        if record is not None and record.state == "done" and record.result_key:
            jobs.mark_done(follower.job_id, result_key=record.result_key, cached=True)
            jobs.release(follower.key, follower.job_id)
            plans.drop(follower.batch_id, follower.index)
            for batch_id in batches.job_finished(follower.job_id):
                _notify_if_wanted(batches, batch_id, queues)
        else:
            jobs.set_cluster(follower.job_id, None)
            send_planned(follower.batch_id, [follower.index], queues)


class InjectedFault(RuntimeError):
    """The crash NEWSUM_FAULT_INJECT asked for (tests only)."""


def inject_fault(spec: str, article: ArticleInput) -> None:
    """TEST ONLY (``NEWSUM_FAULT_INJECT``): misbehave on articles holding a marker.

    ``crash-on:<marker>`` raises InjectedFault (a stage that crashes: poison input);
    ``sleep-on:<marker>:<seconds>`` sleeps (a slow article, for kill and time-limit
    tests); ``kill-on:<marker>`` SIGKILLs this worker process (an article that
    takes its worker down); ``hang-on:<marker>`` ignores the soft time limit until
    the hard one kills the process. Several specs may be joined with ``;``. Never set it
    in production: the tests in tests/reliability are its only users.
    """
    given = article.text or article.html or article.url or ""
    for part in spec.split(";"):
        action, _, rest = part.strip().partition(":")
        marker, _, seconds = rest.partition(":") if action == "sleep-on" else (rest, "", "")
        if not marker or marker not in given:
            continue
        if action == "crash-on":
            raise InjectedFault(f"injected crash on marker {marker!r} (NEWSUM_FAULT_INJECT)")
        if action == "sleep-on":
            time.sleep(float(seconds or 1))
        elif action == "kill-on":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "hang-on":  # stuck past the soft limit (C code would be)
            while True:
                with contextlib.suppress(SoftTimeLimitExceeded):
                    time.sleep(1)


def _finish(ctx: WorkerContext, job_id: str, key: str | None) -> None:
    _after_job(ctx.jobs, ctx.batches, ctx.plans, ctx.queues, job_id, key)


def _after_job(
    jobs: JobStore,
    batches: BatchStore,
    plans: BatchPlans,
    queues: QueueConfig,
    job_id: str,
    key: str | None,
) -> None:
    """After done or failed: free the single-flight marker, settle batches, finish the
    jobs of near-duplicates that share this one's summary."""
    if key:
        jobs.release(key, job_id)
    for batch_id in batches.job_finished(job_id):
        _notify_if_wanted(batches, batch_id, queues)
    finish_followers(jobs, batches, plans, job_id, queues)


def _notify_if_wanted(batches: BatchStore, batch_id: str, queues: QueueConfig) -> None:
    record = batches.get(batch_id)
    if record is not None and record.webhook and _app is not None:
        _app.send_task(TASK_NOTIFY_BATCH, args=[batch_id], queue=queues.interactive)


def _fail(ctx: WorkerContext, job_id: str, error: ErrorBody) -> None:
    ctx.jobs.mark_failed(job_id, error)
    ctx.client.hincrby(ctx.keys.stats, "jobs_failed", 1)


def _backoff(retries: int) -> int:
    return int(min(60, 2 ** (retries + 1)))


def _wait_for_redis(ctx: WorkerContext, limit_s: float) -> bool:
    """Until Redis answers again (True) or ``limit_s`` passes (False)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            ctx.client.ping()
            return True
        except redis.RedisError:
            time.sleep(0.5)
    return False


def _guarded(
    task: Task,
    job_id: str,
    key: str | None,
    work: Callable[[WorkerContext], bool | None],
    counter: str = "deliveries",
) -> None:
    """The failure policy shared by the job tasks. ``work`` returns False when it left
    the job unfinished on purpose (a batch item waiting for its plan). ``counter``:
    the job field counting this step's deliveries (a planned batch item's summarize
    step counts its own, ``deliveries_summarize``)."""
    ctx = context()
    deliveries = int(ctx.client.hincrby(ctx.keys.job(job_id), counter, 1))
    # Which process holds it now: the reliability tests kill exactly that worker.
    ctx.client.hset(ctx.keys.job(job_id), "worker_pid", os.getpid())
    limits = ctx.queues
    if deliveries > limits.max_retries + 1 + MAX_LOST_DELIVERIES:
        _fail(
            ctx,
            job_id,
            ErrorBody(
                code="worker_lost",
                message="the worker running this job "
                f"was lost {deliveries - 1} times (out of memory?); not trying again",
            ),
        )
        _finish(ctx, job_id, key)
        return
    existing = ctx.jobs.get(job_id)
    if existing is not None and existing.finished:  # redelivered after it finished
        return
    finished: bool | None = True
    try:
        finished = work(ctx)
    except (TransientError, redis.ConnectionError, redis.TimeoutError) as exc:
        if isinstance(exc, redis.RedisError):
            # A retry is a new message: sent now, to a Redis that is away, it would be
            # lost with this one (Celery rejects the task when the retry cannot be sent).
            _wait_for_redis(ctx, REDIS_WAIT_S)
        if task.request.retries < limits.max_retries:
            log.warning("job %s: transient error, retrying: %s", job_id, exc)
            raise task.retry(exc=exc, countdown=_backoff(task.request.retries)) from exc
        _fail(
            ctx,
            job_id,
            ErrorBody(
                code="transient",
                message=f"gave up after {limits.max_retries} retries: {exc}",
                limit=limits.max_retries,
            ),
        )
    except ValidationError as exc:
        _fail(ctx, job_id, ErrorBody(code="invalid_request", message=f"bad task payload: {exc}"))
    except NewsumError as exc:  # bad input, a page that would not fetch, no model: the reason
        _fail(ctx, job_id, exc.to_body())
    except SoftTimeLimitExceeded:
        _fail(
            ctx,
            job_id,
            ErrorBody(
                code="timeout",
                message="the job took longer than "
                f"{limits.soft_time_limit_s} s (NEWSUM_TASK_SOFT_TIME_LIMIT_S)",
                limit=limits.soft_time_limit_s,
            ),
        )
    except Exception as exc:  # a bug: logged with its traceback once, here
        log.exception("job %s failed", job_id)
        _fail(ctx, job_id, ErrorBody(code="internal", message=f"{type(exc).__name__}: {exc}"))
    if finished is not False:
        _finish(ctx, job_id, key)


def _job_of(args: Any) -> tuple[str | None, str | None]:
    """(job id, request key) from a summarize or translate task's arguments."""
    if not isinstance(args, list | tuple) or not args:
        return None, None
    job_id = args[-1] if isinstance(args[-1], str) else None
    payload = args[0]
    key = payload.get("key") if isinstance(payload, dict) else None
    return job_id, key if isinstance(key, str) else None


def _on_task_failure(
    sender: Task | None = None, exception: BaseException | None = None, args: Any = None, **_: Any
) -> None:
    """A task killed at its hard time limit: fail its job with the reason.

    The pool kills the child, so the task's own handlers never run; Celery acks
    the message (it is not redelivered) and fires ``task_failure`` here, in the
    worker's main process, where no WorkerContext exists: a short-lived client
    does the bookkeeping. A chunk of planned batch articles fails the article that
    was running and sends the ones it had not reached again.
    """
    if not isinstance(exception, TimeLimitExceeded) or _config is None:
        return
    settings = _config.settings
    limits = QueueConfig.from_settings(settings)
    keys = keys_for(settings)
    try:
        client = connect_redis(_config.redis_url)
        jobs = JobStore(client, keys, settings.job_ttl_s)
        batches = BatchStore(client, keys, settings.job_ttl_s)
        plans = BatchPlans(client, keys, settings.job_ttl_s)
        if getattr(sender, "name", None) == TASK_SUMMARIZE_PLANNED:
            _time_out_chunk(jobs, batches, plans, limits, args)
            client.close()
            return
        job_id, key = _job_of(args)
        if job_id is None:
            return
        _time_out_job(jobs, batches, plans, limits, job_id, key)
        place = _batch_place(args)
        if place is not None:
            _arrive(plans, limits, place, None)
        client.close()
    except redis.RedisError as exc:
        log.warning("could not record the time-out of task %s: %s", args, exc)


def _time_out_job(
    jobs: JobStore,
    batches: BatchStore,
    plans: BatchPlans,
    limits: QueueConfig,
    job_id: str,
    key: str | None,
) -> None:
    existing = jobs.get(job_id)
    if existing is not None and existing.finished:
        return
    jobs.mark_failed(
        job_id,
        ErrorBody(
            code="timeout",
            message=f"the job was stopped after {limits.time_limit_s} s (NEWSUM_TASK_TIME_LIMIT_S)",
            limit=limits.time_limit_s,
        ),
    )
    jobs.client.hincrby(jobs.keys.stats, "jobs_failed", 1)
    _after_job(jobs, batches, plans, limits, job_id, key)


def _time_out_chunk(
    jobs: JobStore, batches: BatchStore, plans: BatchPlans, limits: QueueConfig, args: Any
) -> None:
    if not isinstance(args, list | tuple) or len(args) != 2:
        return
    batch_id, indices = str(args[0]), [int(i) for i in args[1]]
    items = [i for i in plans.get(batch_id, indices) if i is not None]
    records = jobs.get_many([i.job_id for i in items])
    not_reached = []
    for item, record in zip(items, records, strict=True):
        # Articles summarized together were not what ran over: sent again, each alone.
        if record is not None and record.state == "running" and record.stage != TOGETHER_STAGE:
            _time_out_job(jobs, batches, plans, limits, item.job_id, item.key)
            plans.drop(batch_id, item.index)
        elif record is None or not record.finished:
            not_reached.append(item.index)
    if not_reached:
        send_planned(batch_id, not_reached, limits)


def _batch_place(args: Any) -> BatchPlace | None:
    """The batch place of a summarize task's payload, if it has one."""
    if not isinstance(args, list | tuple) or not args or not isinstance(args[0], dict):
        return None
    place = args[0].get("batch")
    try:
        return BatchPlace.model_validate(place) if place else None
    except ValidationError:
        return None


# --------------------------------------------------------------------------- translation


def translate_texts(texts: list[str], fmt: str, engines: Engines) -> list[str]:
    """LibreTranslate's job: each text (plain or HTML) to English, one batch for all."""
    # Each text becomes parts: markup kept as is, Chinese runs cut into sentences.
    plans: list[list[str | list[int]]] = []
    sentences: list[str] = []
    for text in texts:
        parts = _HTML_TAG.split(text) if fmt == "html" else [text]
        plan: list[str | list[int]] = []
        for part in parts:
            if (fmt == "html" and part.startswith("<")) or not _HAN.search(part):
                plan.append(part)
                continue
            pieces = split_sentences(part) or [part]
            plan.append(list(range(len(sentences), len(sentences) + len(pieces))))
            sentences.extend(pieces)
        plans.append(plan)
    english = translate_sentences(sentences, engines) if sentences else []
    out = []
    for plan in plans:
        pieces_out = [p if isinstance(p, str) else " ".join(english[i] for i in p) for p in plan]
        out.append("".join(pieces_out))
    return out


# --------------------------------------------------------------------------- webhooks


def notify_batch(
    ctx: WorkerContext, batch_id: str, *, policy: FetchPolicy = PUBLIC_ONLY
) -> int | None:
    """POST the batch summary to its webhook, best effort; the webhook's HTTP status.

    The URL is checked again here and the connection pinned to the checked address
    (``workers.article.fetch.post_json``), so a name that now resolves inside our network
    is refused. None when the batch has no webhook (or is gone).
    """
    record = ctx.batches.get(batch_id)
    if record is None or not record.webhook:
        return None
    status = batch_status(ctx.batches, ctx.jobs, batch_id)
    if status is None:
        return None
    status["results"] = f"/v1/batches/{batch_id}/results"
    return post_json(record.webhook, status, timeout_s=WEBHOOK_TIMEOUT_S, policy=policy)


# --------------------------------------------------------------------------- registration


def register_tasks(app: Celery) -> None:
    """Add newsum's tasks to ``app`` and hook engine loading to worker start."""
    global _app
    _app = app
    worker_process_init.connect(_on_process_init, weak=False, dispatch_uid="newsum-init")
    task_failure.connect(_on_task_failure, weak=False, dispatch_uid="newsum-hard-timeout")

    @app.task(name=TASK_SUMMARIZE, bind=True, max_retries=None)
    def summarize(self: Task, payload: dict[str, Any], job_id: str) -> None:
        key = payload.get("key") if isinstance(payload, dict) else None
        _guarded(self, job_id, key, lambda ctx: run_summary_job(ctx, payload, job_id))
        place = _batch_place([payload])
        if place is not None:
            # A batch item that failed before its plan (or ran before) is counted in.
            ctx = context()
            record = ctx.jobs.get(job_id)
            if record is None or record.finished:
                _arrive(ctx.plans, ctx.queues, place, None)

    @app.task(name=TASK_PLAN_BATCH, bind=True, max_retries=None)
    def plan(self: Task, batch_id: str) -> None:
        try:
            plan_batch_items(context(), batch_id)
        except (TransientError, redis.ConnectionError, redis.TimeoutError) as exc:
            raise self.retry(exc=exc, countdown=_backoff(min(self.request.retries, 5))) from exc

    @app.task(name=TASK_SUMMARIZE_PLANNED, bind=True, max_retries=None)
    def summarize_planned(self: Task, batch_id: str, indices: list[int]) -> None:
        summarize_planned_chunk(self, batch_id, [int(i) for i in indices])

    @app.task(name=TASK_TRANSLATE, bind=True, max_retries=None)
    def translate(self: Task, texts: list[str], fmt: str, job_id: str) -> None:
        def work(ctx: WorkerContext) -> None:
            ctx.jobs.mark_running(job_id, "translate")
            ctx.jobs.mark_done(job_id, result=translate_texts(list(texts), fmt, ctx.engines))

        _guarded(self, job_id, None, work)

    @app.task(name=TASK_NOTIFY_BATCH, bind=True, max_retries=2)
    def notify(self: Task, batch_id: str) -> None:
        try:
            answered = notify_batch(context(), batch_id)
        except FetchFailed as exc:  # the network: tried again twice
            if self.request.retries < 2:
                raise self.retry(exc=exc, countdown=5 * (self.request.retries + 1)) from exc
            log.warning("webhook of batch %s failed: %s", batch_id, exc.message)
        except NewsumError as exc:  # an unsafe webhook URL: never retried
            log.warning("webhook of batch %s refused: %s", batch_id, exc.message)
        else:
            if answered is not None and answered >= 400:
                log.warning("webhook of batch %s answered HTTP %s", batch_id, answered)
