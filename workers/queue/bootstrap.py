"""A worker process's start: engines loaded once, warmed up, the pipeline published.

Engines load in the ``worker_process_init`` signal (sent in each prefork child,
and in the main process by the solo pool), never per task; a load failure stops
the worker with the reason. The process then publishes its pipeline fingerprint
and model refs to Redis (``<prefix>:pipeline:<profile>``) and refreshes them on a
heartbeat, so the API can build request keys and tell when no worker is alive,
and starts the job sweeper (``workers.queue.sweeper``: queued jobs whose message
was lost).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import PLAN_LEASE_S, BatchPlans
from workers.contract import ArticleInput, SummaryOptions
from workers.english.engines import Engines, load_engines
from workers.errors import NewsumError, TransientError
from workers.pipeline import summarize_article
from workers.queue.celery_app import (
    CeleryBatchTasks,
    QueueConfig,
    TaskSender,
    visibility_timeout_s,
)
from workers.queue.sweeper import Sweeper, start_sweeper
from workers.settings import Settings
from workers.store.batches import BatchStore
from workers.store.cache import (
    PIPELINE_HEARTBEAT_S,
    PipelineInfo,
    RedisLayout,
    ResultCache,
    connect_redis,
    publish_pipeline,
    redis_layout,
)
from workers.store.heartbeats import beat, worker_name
from workers.store.jobs import JobStore
from workers.store.translation_memory import TranslationMemory

log = logging.getLogger("newsum.worker")

EXIT_MODEL_LOAD = 3


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
    layout: RedisLayout
    jobs: JobStore
    cache: ResultCache
    batches: BatchCoordinator
    queues: QueueConfig
    fetch: Callable[[str], tuple[bytes, str | None]]


_config: WorkerConfig | None = None
_context: WorkerContext | None = None
_app: TaskSender | None = None


def attach_app(app: TaskSender) -> None:
    """The Celery app this worker's tasks send their follow-up tasks with."""
    global _app
    _app = app


def configure_worker(settings: Settings, profile: str, redis_url: str) -> None:
    """Record the worker's settings; engines load later, in each worker process."""
    global _config
    failure_file = Path(tempfile.gettempdir()) / f"newsum-worker-{os.getpid()}.failed"
    failure_file.unlink(missing_ok=True)
    _config = WorkerConfig(settings, profile, redis_url, os.getpid(), failure_file)


def worker_config() -> WorkerConfig | None:
    """The worker's settings (None in a Celery worker not started by ``newsum worker``)."""
    return _config


def startup_failure() -> str | None:
    """Why a worker process could not start, once the worker has stopped (else None)."""
    if _config is None or not _config.failure_file.exists():
        return None
    reason = _config.failure_file.read_text(encoding="utf-8")
    _config.failure_file.unlink(missing_ok=True)
    return reason


def batch_coordinator(
    client: redis.Redis, settings: Settings, *, plan_lease_s: int = PLAN_LEASE_S
) -> BatchCoordinator:
    """The batch protocol on this worker's Redis, sending with its Celery app."""
    layout = redis_layout(settings)
    return BatchCoordinator(
        BatchStore(client, layout, settings.job_ttl_s),
        BatchPlans(client, layout, settings.job_ttl_s, plan_lease_s=plan_lease_s),
        JobStore(client, layout, settings.job_ttl_s),
        CeleryBatchTasks(_app, QueueConfig.from_settings(settings)),
    )


def start_worker_process(config: WorkerConfig) -> WorkerContext:
    """Load the engines, wrap the translator in the translation memory, publish the
    pipeline and start its heartbeat. Raises on any failure."""
    settings = config.settings
    layout = redis_layout(settings)
    client = connect_redis(config.redis_url)
    client.ping()  # Redis away at start is a start-up failure, said plainly
    engines = load_engines(settings, config.profile)
    if engines.translator is not None:
        engines.translator = TranslationMemory(
            engines.translator, client, layout, ttl_s=settings.cache_ttl_s
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
    publish_pipeline(client, layout, info, also_as=aliases)
    _start_heartbeat(client, layout, info, aliases)

    from workers.article.fetch import url_fetcher

    # A plan's lease ends before its task's redelivery, so the redelivered plan runs.
    lease_s = max(5, min(PLAN_LEASE_S, visibility_timeout_s(settings) // 2))
    ctx = WorkerContext(
        settings=settings,
        engines=engines,
        info=info,
        client=client,
        layout=layout,
        jobs=JobStore(client, layout, settings.job_ttl_s),
        cache=ResultCache(client, layout, settings.cache_ttl_s),
        batches=batch_coordinator(client, settings, plan_lease_s=lease_s),
        queues=QueueConfig.from_settings(settings),
        fetch=url_fetcher(timeout_s=settings.fetch_timeout_s, max_bytes=settings.max_bytes),
    )
    # Queued jobs whose message was lost are failed with the reason (one worker a sweep).
    start_sweeper(Sweeper(client, layout, ctx.jobs, ctx.batches, settings, worker_name()))
    return ctx


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
    client: redis.Redis, layout: RedisLayout, info: PipelineInfo, aliases: tuple[str, ...]
) -> None:
    """Refresh the pipeline record and this process's own heartbeat
    (``workers.store.heartbeats``: /readyz counts the workers whose beat is fresh)."""
    name = worker_name()

    def refresh() -> None:
        try:
            publish_pipeline(client, layout, info, also_as=aliases)
            beat(client, layout, name, info)
        except redis.RedisError as exc:
            log.warning("could not refresh the pipeline record and heartbeat: %s", exc)

    def beat_forever() -> None:
        while True:
            time.sleep(PIPELINE_HEARTBEAT_S)
            refresh()

    refresh()
    threading.Thread(target=beat_forever, name="newsum-heartbeat", daemon=True).start()


def on_process_init(**_: Any) -> None:
    """``worker_process_init``: build this process's WorkerContext, or stop the worker."""
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
    """This worker process's context; TransientError before its engines loaded."""
    if _context is None:
        raise TransientError("this worker process has not loaded its engines")
    return _context
