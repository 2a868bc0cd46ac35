"""The job sweeper: a queued job whose task message was lost is found and settled.

A job is "queued" from the moment the API creates it until a task of it starts
(``deliveries`` counts those starts, ``workers.queue.failure``); meanwhile its
message is in its queue, or unacked with a worker. A worker that died holding a
message it had popped but not recorded (Redis at maxmemory before
``workers.queue.broker``, a crash in between) leaves the job queued with no message
anywhere, and identical requests attach to it (single flight) for hours.

Every ``NEWSUM_SWEEP_INTERVAL_S`` one worker process (whoever takes the lock, held
for the interval) reads the job records still queued, never delivered, created
more than ``NEWSUM_SWEEP_QUEUED_AFTER_S`` ago; if there are any, it reads the job
ids of every summarize and translate message in the queues and in the unacked
index. A job missing from both in two sweeps in a row (a message is missing for an
instant as it moves from its queue to the unacked index) is failed ``transient``
with the reason, its single-flight marker released and its batches settled: the
next identical request runs afresh. Its article lives only in its message, so it
cannot be sent again from here.

Cost: a ``SCAN`` of the job records each interval, and the queues read only while
old queued jobs exist (a long batch queue is read in pages).
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from kombu.transport.redis import PRIORITY_STEPS

from workers.batch.coordinator import BatchCoordinator
from workers.contract import TASK_SUMMARIZE, ErrorBody
from workers.queue.celery_app import TASK_TRANSLATE, QueueConfig
from workers.settings import Settings
from workers.store.cache import RedisLayout
from workers.store.jobs import JobStore

log = logging.getLogger("newsum.worker")

# Where the job id sits in each job task's arguments.
JOB_ID_ARG = {TASK_SUMMARIZE: 1, TASK_TRANSLATE: 2}
# kombu's separator between a queue's name and its priority.
PRIORITY_SEP = "\x06\x16"
PAGE = 500
LOST = (
    "its task was lost before any worker ran it (a worker stopped holding its message: "
    "Redis at maxmemory, or a crash); send the request again"
)


@dataclass(frozen=True)
class SweepKeys:
    lock: str
    suspects: str


def sweep_keys(layout: RedisLayout) -> SweepKeys:
    return SweepKeys(f"{layout.prefix}:sweeper:lock", f"{layout.prefix}:sweeper:suspects")


def message_job_id(raw: dict[str, Any]) -> str | None:
    """The job id a kombu/Celery message (protocol 2, JSON) carries, if it is a job task."""
    headers = raw.get("headers") or {}
    where = JOB_ID_ARG.get(str(headers.get("task")))
    if where is None:
        return None
    try:
        body = raw.get("body", "")
        if (raw.get("properties") or {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        job_id = args[where]
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    return job_id if isinstance(job_id, str) else None


def queue_keys(layout: RedisLayout, queues: Iterable[str]) -> list[str]:
    """Every Redis list kombu keeps for these queues (one per priority step)."""
    keys = []
    for queue in queues:
        for step in PRIORITY_STEPS:
            suffix = f"{PRIORITY_SEP}{step}" if step else ""
            keys.append(f"{layout.queue_prefix}{queue}{suffix}")
    return keys


def _decoded(rows: Iterable[str | bytes]) -> Iterator[dict[str, Any]]:
    for row in rows:
        try:
            data = json.loads(row)
        except ValueError:
            continue
        if isinstance(data, list) and data and isinstance(data[0], dict):  # unacked entry
            data = data[0]
        if isinstance(data, dict):
            yield data


def jobs_with_messages(client: redis.Redis, layout: RedisLayout, queues: Iterable[str]) -> set[str]:
    """The job ids of every job task message in ``queues`` and in the unacked index."""
    found: set[str] = set()

    def take(page: Iterable[Any]) -> None:
        for message in _decoded(page):
            job_id = message_job_id(message)
            if job_id is not None:
                found.add(job_id)

    for key in queue_keys(layout, queues):
        start = 0
        while True:
            rows = list(client.lrange(key, start, start + PAGE - 1))
            take(rows)
            if len(rows) < PAGE:
                break
            start += PAGE
    cursor = 0
    while True:  # the unacked index: delivery tag → [message, exchange, routing key]
        cursor, page = client.hscan(f"{layout.queue_prefix}unacked", cursor, count=PAGE)
        take(page.values() if isinstance(page, dict) else page)
        if not cursor:
            return found


def _created(stamp: str) -> float | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def old_queued_jobs(client: redis.Redis, layout: RedisLayout, older_than_s: float) -> list[str]:
    """Jobs queued, never delivered, created more than ``older_than_s`` ago."""
    head = layout.job("")
    names = [
        name
        for name in client.scan_iter(match=f"{head}*", count=1000)
        if ":" not in str(name)[len(head) :]  # not <job>:batches, <job>:followers
    ]
    cutoff = datetime.now(UTC).timestamp() - older_than_s
    old = []
    for start in range(0, len(names), PAGE):
        page = names[start : start + PAGE]
        with client.pipeline(transaction=False) as pipe:
            for name in page:
                pipe.hmget(name, "state", "deliveries", "created_at")
            rows = pipe.execute()
        for name, (state, deliveries, created_at) in zip(page, rows, strict=True):
            made = _created(created_at or "")
            if state == "queued" and not deliveries and made is not None and made < cutoff:
                old.append(str(name)[len(head) :])
    return old


class Sweeper:
    """One sweep at a time, by whoever holds the lock for the interval."""

    def __init__(
        self,
        client: redis.Redis,
        layout: RedisLayout,
        jobs: JobStore,
        batches: BatchCoordinator,
        settings: Settings,
        name: str,
    ) -> None:
        self.client = client
        self.layout = layout
        self.jobs = jobs
        self.batches = batches
        self.interval_s = settings.sweep_interval_s
        self.older_than_s = settings.sweep_queued_after_s
        config = QueueConfig.from_settings(settings)
        self.queues = (config.interactive, config.batch)
        self.name = name
        self.keys = sweep_keys(layout)

    def sweep(self) -> list[str] | None:
        """One sweep if this process takes the lock (else None): the jobs it failed."""
        if not self.client.set(self.keys.lock, self.name, nx=True, ex=self.interval_s):
            return None
        candidates = old_queued_jobs(self.client, self.layout, self.older_than_s)
        missing = set(candidates) - jobs_with_messages(self.client, self.layout, self.queues)
        before = {str(j) for j in self.client.smembers(self.keys.suspects)}
        lost = sorted(missing & before)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.suspects)
            if missing - before:
                pipe.sadd(self.keys.suspects, *(missing - before))
                pipe.expire(self.keys.suspects, 3 * self.interval_s + 60)
            pipe.execute()
        return [job_id for job_id in lost if self.settle(job_id)]

    def settle(self, job_id: str) -> bool:
        """Fail a lost job transient, release its marker, settle its batches."""
        record = self.jobs.get(job_id)
        if record is None or record.state != "queued":
            return False
        if self.client.hexists(self.layout.job(job_id), "deliveries"):
            return False  # a task of it started after all
        log.warning("job %s: %s", job_id, LOST)
        self.jobs.mark_failed(job_id, ErrorBody(code="transient", message=LOST))
        self.client.hincrby(self.layout.stats, "jobs_lost", 1)
        if record.key:
            self.jobs.release(record.key, job_id)
        self.batches.job_finished(job_id)
        return True

    def run_forever(self) -> None:
        while True:
            # Jitter: the worker processes started together do not all ask at once.
            time.sleep(self.interval_s * random.uniform(0.8, 1.2))
            try:
                self.sweep()
            except redis.RedisError as exc:  # Redis away or full: the next sweep
                log.warning("job sweep skipped: %s", exc)


def start_sweeper(sweeper: Sweeper) -> None:
    threading.Thread(target=sweeper.run_forever, name="newsum-sweeper", daemon=True).start()
