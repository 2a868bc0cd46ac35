"""The failure policy of newsum's job tasks: what is retried, what fails the job,
and with which reason.

Only transient trouble (Redis away, a TransientError) is retried, with exponential
backoff; bad input is never retried, it becomes a failed job with the reason. Redis
at ``maxmemory`` is transient too, wherever it strikes (even while a failure is
being recorded): the task waits for Redis to take writes again, then is retried;
if Redis stays full its message goes back (or stays unacked) rather than be lost
to a retry that could not be sent. A
task past its soft time limit fails its job (``timeout``); one killed at its hard
limit is failed from the worker's main process (``on_task_failure``). A task whose
worker was lost too many times fails ``worker_lost`` rather than kill workers forever.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import redis
from celery import Task
from celery.exceptions import Reject, Retry, SoftTimeLimitExceeded, TimeLimitExceeded
from pydantic import ValidationError

from workers.batch.coordinator import BatchCoordinator
from workers.contract import BatchPlace, ErrorBody
from workers.errors import NewsumError, TransientError
from workers.queue.bootstrap import WorkerContext, batch_coordinator, context, worker_config
from workers.queue.celery_app import TASK_SUMMARIZE_PLANNED, QueueConfig
from workers.store.cache import connect_redis
from workers.store.jobs import JobStore
from workers.store.maxmemory import FULL, is_out_of_memory, wait_for_room

log = logging.getLogger("newsum.worker")

# A task delivered this many times more than its retries was lost with its worker
# each time (out of memory, killed): fail it instead of killing workers forever.
MAX_LOST_DELIVERIES = 3
# How long a task whose Redis went away waits for it before retrying (a restart
# takes seconds; past this the message's visibility timeout brings it back).
REDIS_WAIT_S = 60.0
# How long a task that met a full Redis waits for room before its message goes back.
REDIS_FULL_WAIT_S = 60.0
WAITING_FOR_WRITES = "waiting for Redis to accept writes"
TRANSIENT = (TransientError, redis.ConnectionError, redis.TimeoutError)


def backoff(retries: int) -> int:
    """Seconds before retry number ``retries`` + 1: 2, 4, 8 … at most 60."""
    return int(min(60, 2 ** (retries + 1)))


def wait_for_redis(ctx: WorkerContext, limit_s: float) -> bool:
    """Until Redis answers again (True) or ``limit_s`` passes (False)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            ctx.client.ping()
            return True
        except redis.RedisError:
            time.sleep(0.5)
    return False


def fail(ctx: WorkerContext, job_id: str, error: ErrorBody) -> None:
    ctx.jobs.mark_failed(job_id, error)
    ctx.client.hincrby(ctx.layout.stats, "jobs_failed", 1)


def after_job(jobs: JobStore, batches: BatchCoordinator, job_id: str, key: str | None) -> None:
    """After done or failed: free the single-flight marker, settle batches, finish the
    jobs of near-duplicates that share this one's summary."""
    if key:
        jobs.release(key, job_id)
    batches.job_finished(job_id)


def retry_when_redis_has_room(
    task: Task, ctx: WorkerContext, what: str, exc: Exception, max_retries: int | None
) -> None:
    """Redis refused a write at ``maxmemory``: wait for room, then retry the task
    (raises Retry). Still full after ``REDIS_FULL_WAIT_S``: the message goes back to
    its queue, or stays unacked until Redis has room (raises Reject), never dropped
    by a retry that cannot be sent. Returns only when ``max_retries`` (None: no
    limit) are used up."""
    log.warning(
        "%s: %s (%s); %s (at most %.0f s)", what, FULL, exc, WAITING_FOR_WRITES, REDIS_FULL_WAIT_S
    )
    try:
        room = wait_for_room(ctx.client, ctx.layout, REDIS_FULL_WAIT_S)
    except SoftTimeLimitExceeded:  # the task's own time is up first: still no room
        room = False
    if not room:
        log.warning("%s: Redis is still full: the task message goes back", what)
        raise Reject(exc, requeue=True) from exc
    retries = task.request.retries
    if max_retries is None or retries < max_retries:
        raise task.retry(exc=exc, countdown=backoff(min(retries, 5))) from exc


def guarded(
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
    try:
        _run_guarded(ctx, task, job_id, key, work, counter)
    except (Retry, Reject):
        raise
    except Exception as exc:  # Redis at maxmemory, also while a failure was recorded
        if not is_out_of_memory(exc):
            raise
        limit = ctx.queues.max_retries
        retry_when_redis_has_room(task, ctx, f"job {job_id}", exc, limit)
        fail(
            ctx,
            job_id,
            ErrorBody(
                code="transient",
                message=f"gave up after {limit} retries: {FULL} ({exc})",
                limit=limit,
            ),
        )
        after_job(ctx.jobs, ctx.batches, job_id, key)


def _run_guarded(
    ctx: WorkerContext,
    task: Task,
    job_id: str,
    key: str | None,
    work: Callable[[WorkerContext], bool | None],
    counter: str,
) -> None:
    deliveries = int(ctx.client.hincrby(ctx.layout.job(job_id), counter, 1))
    # Which process holds it now: the reliability tests kill exactly that worker.
    ctx.client.hset(ctx.layout.job(job_id), "worker_pid", os.getpid())
    limits = ctx.queues
    if deliveries > limits.max_retries + 1 + MAX_LOST_DELIVERIES:
        fail(
            ctx,
            job_id,
            ErrorBody(
                code="worker_lost",
                message="the worker running this job "
                f"was lost {deliveries - 1} times (out of memory?); not trying again",
            ),
        )
        after_job(ctx.jobs, ctx.batches, job_id, key)
        return
    existing = ctx.jobs.get(job_id)
    if existing is not None and existing.finished:  # redelivered after it finished
        return
    finished: bool | None = True
    try:
        finished = work(ctx)
    except TRANSIENT as exc:
        if is_out_of_memory(exc):  # waits for room, not just for an answer (``guarded``)
            raise
        if isinstance(exc, redis.RedisError):
            # A retry is a new message: sent now, to a Redis that is away, it would be
            # lost with this one (Celery rejects the task when the retry cannot be sent).
            wait_for_redis(ctx, REDIS_WAIT_S)
        if task.request.retries < limits.max_retries:
            log.warning("job %s: transient error, retrying: %s", job_id, exc)
            raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc
        fail(
            ctx,
            job_id,
            ErrorBody(
                code="transient",
                message=f"gave up after {limits.max_retries} retries: {exc}",
                limit=limits.max_retries,
            ),
        )
    except ValidationError as exc:
        fail(ctx, job_id, ErrorBody(code="invalid_request", message=f"bad task payload: {exc}"))
    except NewsumError as exc:  # bad input, a page that would not fetch, no model: the reason
        fail(ctx, job_id, exc.to_body())
    except SoftTimeLimitExceeded:
        fail(
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
        if is_out_of_memory(exc):  # Redis at maxmemory: transient (``guarded``)
            raise
        log.exception("job %s failed", job_id)
        fail(ctx, job_id, ErrorBody(code="internal", message=f"{type(exc).__name__}: {exc}"))
    if finished is not False:
        after_job(ctx.jobs, ctx.batches, job_id, key)


def job_of(args: Any) -> tuple[str | None, str | None]:
    """(job id, request key) from a summarize or translate task's arguments."""
    if not isinstance(args, list | tuple) or not args:
        return None, None
    job_id = args[-1] if isinstance(args[-1], str) else None
    payload = args[0]
    key = payload.get("key") if isinstance(payload, dict) else None
    return job_id, key if isinstance(key, str) else None


def batch_place(payload: Any) -> BatchPlace | None:
    """The batch place of a summarize task's payload, if it has one."""
    if not isinstance(payload, dict):
        return None
    place = payload.get("batch")
    try:
        return BatchPlace.model_validate(place) if place else None
    except ValidationError:
        return None


def time_out_job(
    batches: BatchCoordinator, limits: QueueConfig, job_id: str, key: str | None
) -> None:
    """Fail a job its task's hard time limit stopped (unless it finished already)."""
    jobs = batches.jobs
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
    jobs.client.hincrby(jobs.layout.stats, "jobs_failed", 1)
    after_job(jobs, batches, job_id, key)


def on_task_failure(
    sender: Task | None = None, exception: BaseException | None = None, args: Any = None, **_: Any
) -> None:
    """``task_failure``: a task killed at its hard time limit fails its job with the reason.

    The pool kills the child, so the task's own handlers never run; Celery acks
    the message (it is not redelivered) and fires ``task_failure`` here, in the
    worker's main process, where no WorkerContext exists: a short-lived client
    does the bookkeeping. A chunk of planned batch articles fails the article that
    was running and sends the ones it had not reached again.
    """
    config = worker_config()
    if not isinstance(exception, TimeLimitExceeded) or config is None:
        return
    # Imported here: the batch run imports this module's failure policy.
    from workers.queue.batch_jobs import time_out_chunk

    limits = QueueConfig.from_settings(config.settings)
    try:
        client = connect_redis(config.redis_url)
        batches = batch_coordinator(client, config.settings)
        try:
            if getattr(sender, "name", None) == TASK_SUMMARIZE_PLANNED:
                time_out_chunk(batches, limits, args)
                return
            job_id, key = job_of(args)
            if job_id is None:
                return
            time_out_job(batches, limits, job_id, key)
            place = batch_place(args[0])
            if place is not None:
                batches.arrive(place, None)
        finally:
            client.close()
    except redis.RedisError as exc:
        log.warning("could not record the time-out of task %s: %s", args, exc)
