"""What routes depend on: the service state (Redis stores, the task queue, limits).

Routes take ``State`` (an ``Annotated`` dependency) and stay short; unit tests
build the app with a fake ``TaskQueue`` instead of Celery. The API sends tasks
by name and never imports ``workers.queue.tasks`` (nor torch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from celery import Celery
from fastapi import Depends, Request
from redis import Redis

from service.job_updates import JobUpdates
from workers.contract import TASK_SUMMARIZE, SummaryJob
from workers.errors import TransientError
from workers.queue.celery_app import TASK_NOTIFY_BATCH, TASK_PLAN_BATCH, TASK_TRANSLATE, QueueConfig
from workers.settings import Settings
from workers.store.batches import BatchStore
from workers.store.cache import PipelineInfo, RedisLayout, ResultCache, read_pipeline, redis_layout
from workers.store.jobs import JobStore


@dataclass(frozen=True)
class ServiceLimits:
    """Limits of the HTTP API, taken from Settings (their defaults live there only):
    ``NEWSUM_MAX_BATCH_ITEMS``, ``NEWSUM_MAX_BODY_BYTES``, ``NEWSUM_MAX_WAIT_S``,
    ``NEWSUM_MAX_CHARS``, ``NEWSUM_MAX_QUEUE_DEPTH``."""

    max_batch_items: int
    max_body_bytes: int
    max_wait_s: float
    max_chars: int
    max_queue_depth: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceLimits:
        return cls(
            max_batch_items=settings.max_batch_items,
            max_body_bytes=settings.max_body_bytes,
            max_wait_s=settings.max_wait_s,
            max_chars=settings.max_chars,
            max_queue_depth=settings.max_queue_depth,
        )


class TaskQueue(Protocol):
    """The one thing the API does with Celery: send tasks by name."""

    def send_summary(self, job: SummaryJob, job_id: str, queue: str) -> None: ...

    def send_translate(
        self,
        texts: list[str],
        fmt: str,
        job_id: str,
        queue: str,
        options: dict[str, Any] | None = None,
    ) -> None:
        """``options``: the LibreTranslate request's ``glossary`` and ``alternatives``
        (``workers.queue.libretranslate.request_options``)."""
        ...

    def send_notify_batch(self, batch_id: str, queue: str) -> None: ...

    def send_plan_batch(self, batch_id: str, queue: str) -> None: ...


class CeleryQueue:
    """TaskQueue over a Celery app (JSON payloads, sent by task name)."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def send_summary(self, job: SummaryJob, job_id: str, queue: str) -> None:
        self.app.send_task(TASK_SUMMARIZE, args=[job.model_dump(mode="json"), job_id], queue=queue)

    def send_translate(
        self,
        texts: list[str],
        fmt: str,
        job_id: str,
        queue: str,
        options: dict[str, Any] | None = None,
    ) -> None:
        args: list[Any] = [texts, fmt, job_id]
        if options is not None:
            args.append(options)
        self.app.send_task(TASK_TRANSLATE, args=args, queue=queue)

    def send_notify_batch(self, batch_id: str, queue: str) -> None:
        self.app.send_task(TASK_NOTIFY_BATCH, args=[batch_id], queue=queue)

    def send_plan_batch(self, batch_id: str, queue: str) -> None:
        self.app.send_task(TASK_PLAN_BATCH, args=[batch_id], queue=queue)


@dataclass
class ServiceState:
    """Built once per API process (in the lifespan), shared by every request."""

    settings: Settings
    limits: ServiceLimits
    queues: QueueConfig
    redis: Redis
    layout: RedisLayout
    jobs: JobStore
    cache: ResultCache
    batches: BatchStore
    queue: TaskQueue
    metrics: Any  # service.metrics.Metrics (kept loose to avoid an import cycle)
    updates: JobUpdates

    @classmethod
    def build(
        cls,
        settings: Settings,
        client: Redis,
        queue: TaskQueue,
        metrics: Any,
    ) -> ServiceState:
        layout = redis_layout(settings)
        return cls(
            settings=settings,
            limits=ServiceLimits.from_settings(settings),
            queues=QueueConfig.from_settings(settings),
            redis=client,
            layout=layout,
            jobs=JobStore(client, layout, settings.job_ttl_s),
            cache=ResultCache(client, layout, settings.cache_ttl_s),
            batches=BatchStore(client, layout, settings.job_ttl_s),
            queue=queue,
            metrics=metrics,
            updates=JobUpdates(client, layout),
        )

    def pipeline(self, profile: str) -> PipelineInfo:
        """The pipeline a live worker serves; TransientError (503) when none answers."""
        info = read_pipeline(self.redis, self.layout, profile)
        if info is None:
            raise TransientError(
                "no worker is running (none has reported in the last 30 s): start one with "
                "`newsum worker`, or use `newsum serve`"
            )
        return info

    def queue_depth(self, queue: str) -> int:
        """Tasks waiting in ``queue``."""
        return queue_depths(self.redis, self.layout, [queue])[queue]


# kombu keeps a queue's messages of priority p>0 in "<queue>\x06\x16<p>"; we send at 0
# but count every step.
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)


def queue_depths(client: Redis, layout: RedisLayout, queues: list[str]) -> dict[str, int]:
    """Tasks waiting in each of ``queues``, in one round trip (back-pressure and /metrics)."""
    with client.pipeline(transaction=False) as pipe:
        for queue in queues:
            name = f"{layout.queue_prefix}{queue}"
            pipe.llen(name)
            for step in _PRIORITY_STEPS[1:]:
                pipe.llen(f"{name}{_PRIORITY_SEP}{step}")
        counts = [int(n) for n in pipe.execute()]
    per_queue = len(_PRIORITY_STEPS)
    return {q: sum(counts[i * per_queue : (i + 1) * per_queue]) for i, q in enumerate(queues)}


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.newsum
    return state


State = Annotated[ServiceState, Depends(get_state)]
