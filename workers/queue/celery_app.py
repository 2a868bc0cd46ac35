"""The Celery app, built by a factory (nothing happens at import).

Queues, and why a 10,000-article batch never starves a reader
---------------------------------------------------------------
There are two explicit queues: ``interactive`` (one article a person waits
for, LibreTranslate calls, webhooks) and ``batch`` (batch items). A worker
consumes both, ``-Q interactive,batch``, and kombu's Redis transport is told
to read them in *priority* order (``queue_order_strategy="priority"``): every
time a worker process is free it takes from ``interactive`` first and touches
``batch`` only when ``interactive`` is empty. With ``worker_prefetch_multiplier
= 1`` and late acks a process holds at most one task, so a reader's article
waits at most for the batch article each busy process is finishing (seconds),
never behind the batch queue itself.

Why priority order rather than a second, interactive-only worker in ``newsum
serve``: each worker process loads every model once, so a dedicated worker
doubles the model memory on a one-machine install and leaves its cores idle
while no reader is waiting. Production can still run a dedicated pool
(``newsum worker --queues interactive``) beside the shared ones when readers
must never wait for a batch article at all.

Everything else is the reliable-delivery set from Celery's "Tasks" and
"Optimizing" guides: JSON only, ``task_acks_late`` with
``task_reject_on_worker_lost`` (a killed worker's task runs again; results are
idempotent by content key), soft and hard time limits, no result backend (job
records in Redis are ours, see ``workers.store.jobs``), and every Celery key under
the newsum prefix (kombu ``global_keyprefix``). The transport is kombu's Redis one
with out-of-memory answered, not raised (``workers.queue.broker``): a worker
survives a Redis at ``maxmemory`` and loses no message it took.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from celery import Celery
from kombu import Exchange, Queue

from workers.errors import TransientError
from workers.queue.broker import transport_url
from workers.settings import Settings
from workers.store.cache import celery_broker_url, redis_layout

TASK_TRANSLATE = "newsum.translate"
TASK_NOTIFY_BATCH = "newsum.notify_batch"
TASK_PLAN_BATCH = "newsum.plan_batch"
TASK_SUMMARIZE_PLANNED = "newsum.summarize_planned"
# How long a new pool process may take to load its engines before Celery gives up on it.
WORKER_PROCESS_START_S = 600.0


@dataclass(frozen=True)
class QueueConfig:
    """Queue names and task limits, as ``Settings`` gives them (``NEWSUM_QUEUE_*``,
    ``NEWSUM_TASK_*``; the defaults live there): the hard limit always outlasts the soft."""

    interactive: str
    batch: str
    soft_time_limit_s: int
    time_limit_s: int
    max_retries: int

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueConfig:
        soft = settings.task_soft_time_limit_s
        return cls(
            interactive=settings.queue_interactive,
            batch=settings.queue_batch,
            soft_time_limit_s=soft,
            time_limit_s=max(settings.task_time_limit_s, soft + 1),
            max_retries=settings.task_max_retries,
        )


class TaskSender(Protocol):
    """What sending needs of a Celery app (tests pass a recorder)."""

    def send_task(self, name: str, args: Any = None, **options: Any) -> Any: ...


class CeleryBatchTasks:
    """The batch protocol's tasks (``workers.batch.coordinator.BatchTasks``), sent by
    name on a worker's Celery app."""

    def __init__(self, app: TaskSender | None, queues: QueueConfig) -> None:
        self.app = app
        self.queues = queues

    def _sender(self) -> TaskSender:
        if self.app is None:
            raise TransientError("this worker has no Celery app to send tasks with")
        return self.app

    def send_plan(self, batch_id: str) -> None:
        # On the interactive queue: a plan takes a moment and must not wait behind
        # other batches' articles.
        self._sender().send_task(TASK_PLAN_BATCH, args=[batch_id], queue=self.queues.interactive)

    def send_planned(self, batch_id: str, indices: list[int]) -> None:
        """One task for a chunk of planned articles, its time limits the chunk's."""
        n = len(indices)
        self._sender().send_task(
            TASK_SUMMARIZE_PLANNED,
            args=[batch_id, indices],
            queue=self.queues.batch,
            soft_time_limit=self.queues.soft_time_limit_s * n,
            time_limit=self.queues.time_limit_s * n,
        )

    def send_notify(self, batch_id: str) -> None:
        self._sender().send_task(TASK_NOTIFY_BATCH, args=[batch_id], queue=self.queues.interactive)


def visibility_timeout_s(settings: Settings) -> int:
    """Seconds before kombu hands an unacked task to another worker
    (``NEWSUM_VISIBILITY_TIMEOUT_S``; default max(3600, 2 × the longest task's hard
    time limit: a chunk of NEWSUM_BATCH_CHUNK_ARTICLES batch articles))."""
    if settings.visibility_timeout_s is not None:
        return settings.visibility_timeout_s
    longest = QueueConfig.from_settings(settings).time_limit_s * settings.batch_chunk_articles
    return max(3600, 2 * longest)


def _queue(name: str) -> Queue:
    # Each queue its own direct exchange and routing key: without them kombu gives
    # every queue the default exchange, and "batch" messages would land in "interactive".
    return Queue(name, Exchange(name, type="direct"), routing_key=name)


def create_celery(settings: Settings, *, redis_url: str | None = None) -> Celery:
    """A configured Celery app for the API (sends by name) and the worker (also
    registers ``workers.queue.tasks``). Raises ValueError when no Redis URL is known."""
    url = redis_url or settings.redis_url
    if not url:
        raise ValueError("no Redis URL: set NEWSUM_REDIS_URL (or run `newsum serve`)")
    queues = QueueConfig.from_settings(settings)
    layout = redis_layout(settings)
    app = Celery("newsum", set_as_current=False)
    app.conf.update(
        # kombu's Redis transport, kept alive through a Redis at maxmemory
        # (``workers.queue.broker``).
        broker_url=transport_url(celery_broker_url(url)),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        broker_transport_options={
            "global_keyprefix": layout.queue_prefix,
            "queue_order_strategy": "priority",
            # An unacked task (its worker was killed) is redelivered after this; it
            # must outlast the hard limit, or a long task would run twice.
            "visibility_timeout": visibility_timeout_s(settings),
            # How often a worker looks for such tasks (kombu's default is every ~100 s).
            "unacked_restore_interval": min(10, max(1, visibility_timeout_s(settings) // 4)),
            "unacked_restore_throttle": 1,
            "socket_timeout": 10,
            "socket_connect_timeout": 3,
        },
        # The API must answer 503 quickly when Redis is away, not retry for minutes.
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_queues=[_queue(queues.interactive), _queue(queues.batch)],
        task_default_queue=queues.interactive,
        task_create_missing_queues=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # A pool process loads its engines and warms up before it reports ready
        # (``workers.queue.bootstrap``): seconds, a minute or more on a loaded machine.
        # Celery's default (4 s) kills every process a killed one is replaced by, over
        # and over, before it can start.
        worker_proc_alive_timeout=WORKER_PROCESS_START_S,
        task_soft_time_limit=queues.soft_time_limit_s,
        task_time_limit=queues.time_limit_s,
        worker_send_task_events=False,
        enable_utc=True,
    )
    return app
