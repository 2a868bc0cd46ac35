"""Job records and single flight, in Redis.

A job record is a Redis hash with a TTL (``job_ttl_s``)::

    job_id, kind (summary | translate), state (queued | running | done | failed),
    progress 0..1, stage, created_at, updated_at, key (request key),
    result_key (where the result lies in the cache), result (inline, translate jobs),
    error (ErrorBody JSON), cluster (ClusterInfo JSON: a batch item grouped on a
    worker, ``workers.batch.plan``), member_key (the request key of a near-duplicate
    whose result is its representative's), attachable ("1": identical requests may
    attach to it, see below), brief_text (a reader's direct-LLM brief as the model
    writes it, not yet checked: ``/events`` sends it; never part of the result)

Every write to a record is announced on the job's pub/sub channel
(``RedisLayout.job_updates``, the record's new state as the message): the API's event
streams and long-polls wake on it (``service.job_updates``).

Single flight: while a job for a request key is queued or running, the key
``<prefix>:inflight:<request key>`` holds its id (``SET NX``); an identical
request attaches to that job instead of enqueueing, if the job is *attachable*.
The worker clears it when the job is done or failed.

Only a reader's job (``POST /v1/summaries``, on the interactive queue) is
attachable: its result is its page's own and it runs ahead of every batch. A batch
item's job is not: it waits behind its batch, and its result may be a near-duplicate's
summary, shared inside its batch only (``workers.batch.plan``). A request that
finds the key held by a job it may not attach to makes its own job, which takes the
marker over (so later readers attach to a reader's job); the batch's job still
finishes for its batch, and releases only a marker it still holds.

``submit_summary`` is the one way a summary request becomes a job: cache,
then single flight, then the queue. The API and batches both go through it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from workers.contract import ArticleInput, ErrorBody, JobState, SummaryJob, SummaryOptions
from workers.errors import NewsumError, TransientError
from workers.store.cache import RedisLayout, ResultCache
from workers.store.digests import request_digest

TERMINAL: frozenset[str] = frozenset({"done", "failed"})
# How long an in-flight marker may outlive a lost job: past this an identical
# request enqueues afresh (a redelivered task still finishes and caches its result).
INFLIGHT_TTL_S = 2 * 3600

_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# send(job payload, job id, queue name); raises when the broker is away.
SendSummary = Callable[[SummaryJob, str, str], None]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class JobRecord:
    """One job as stored; ``error`` and ``result`` are decoded."""

    job_id: str
    state: JobState
    kind: str = "summary"
    progress: float = 0.0
    stage: str | None = None
    created_at: str = ""
    updated_at: str = ""
    key: str | None = None
    result_key: str | None = None
    result: Any = None
    error: ErrorBody | None = None
    cached: bool = False
    cluster: dict[str, Any] | None = None
    member_key: str | None = None
    attachable: bool = False
    brief_text: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL

    @classmethod
    def from_hash(cls, job_id: str, data: dict[str, str]) -> JobRecord:
        return cls(
            job_id=job_id,
            state=data.get("state", "queued"),  # type: ignore[arg-type]
            kind=data.get("kind", "summary"),
            progress=float(data.get("progress", 0.0)),
            stage=data.get("stage") or None,
            created_at=data.get("created_at", ""),
            updated_at=data.get("updated_at", ""),
            key=data.get("key") or None,
            result_key=data.get("result_key") or None,
            result=json.loads(data["result"]) if data.get("result") else None,
            error=ErrorBody.model_validate_json(data["error"]) if data.get("error") else None,
            cached=data.get("cached") == "1",
            cluster=json.loads(data["cluster"]) if data.get("cluster") else None,
            member_key=data.get("member_key") or None,
            attachable=data.get("attachable") == "1",
            brief_text=data.get("brief_text") or None,
        )


class JobStore:
    """Create, read and advance job records; hold and release in-flight markers."""

    def __init__(self, client: redis.Redis, layout: RedisLayout, ttl_s: int) -> None:
        self.client = client
        self.layout = layout
        self.ttl_s = ttl_s

    def _write(self, job_id: str, fields: dict[str, str | float]) -> None:
        name = self.layout.job(job_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(name, mapping=fields)  # type: ignore[arg-type]
            pipe.expire(name, self.ttl_s)
            # Announce the change in the same round trip: event streams and ``wait``
            # long-polls wake on it and re-read the record instead of polling.
            pipe.publish(self.layout.job_updates(job_id), str(fields.get("state", "update")))
            pipe.execute()

    def create(
        self,
        job_id: str,
        *,
        kind: str = "summary",
        key: str | None = None,
        state: JobState = "queued",
        result_key: str | None = None,
        error: ErrorBody | None = None,
        attachable: bool = False,
    ) -> JobRecord:
        """A new record; a job may be born done (cache hit) or failed (bad batch line).
        ``attachable``: identical requests may attach to it (a reader's job)."""
        stamp = now_iso()
        fields: dict[str, str | float] = {
            "kind": kind,
            "state": state,
            "progress": 1.0 if state in TERMINAL else 0.0,
            "created_at": stamp,
            "updated_at": stamp,
        }
        if key:
            fields["key"] = key
        if result_key:
            fields["result_key"] = result_key
            fields["cached"] = "1"
        if error is not None:
            fields["error"] = error.model_dump_json()
        if attachable:
            fields["attachable"] = "1"
        self._write(job_id, fields)
        return JobRecord.from_hash(job_id, {k: str(v) for k, v in fields.items()})

    def get(self, job_id: str) -> JobRecord | None:
        data = self.client.hgetall(self.layout.job(job_id))
        return JobRecord.from_hash(job_id, data) if data else None  # type: ignore[arg-type]

    def get_many(self, job_ids: Sequence[str]) -> list[JobRecord | None]:
        with self.client.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hgetall(self.layout.job(job_id))
            rows = pipe.execute()
        return [
            JobRecord.from_hash(job_id, row) if row else None
            for job_id, row in zip(job_ids, rows, strict=True)
        ]

    def delete(self, job_id: str) -> None:
        self.client.delete(self.layout.job(job_id))

    def mark_running(self, job_id: str, stage: str = "intake") -> None:
        self._write(
            job_id, {"state": "running", "stage": stage, "progress": 0.0, "updated_at": now_iso()}
        )

    def mark_waiting(self, job_id: str, stage: str, progress: float) -> None:
        """Queued again after a first step (extracted, waiting for its batch's plan)."""
        self._write(
            job_id,
            {"state": "queued", "stage": stage, "progress": progress, "updated_at": now_iso()},
        )

    def set_cluster(
        self, job_id: str, cluster: dict[str, Any] | None, member_key: str | None = None
    ) -> None:
        """Record (or, with None, forget) the job's place among a batch's near-duplicates."""
        name = self.layout.job(job_id)
        if cluster is None:
            self.client.hdel(name, "cluster", "member_key")
            return
        fields: dict[str, str | float] = {"cluster": json.dumps(cluster, ensure_ascii=False)}
        if member_key:
            fields["member_key"] = member_key
        self._write(job_id, fields)

    def set_progress(self, job_id: str, stage: str, progress: float) -> None:
        self._write(
            job_id,
            {"stage": stage, "progress": max(0.0, min(1.0, progress)), "updated_at": now_iso()},
        )

    def set_brief_text(self, job_id: str, text: str) -> None:
        """The brief's text so far, as the model writes it (unchecked; not the result)."""
        self._write(job_id, {"brief_text": text, "updated_at": now_iso()})

    def mark_done(
        self,
        job_id: str,
        *,
        result_key: str | None = None,
        result: object = None,
        cached: bool = False,
    ) -> None:
        """Done; the result lies in the cache under ``result_key`` (or inline, small ones)."""
        fields: dict[str, str | float] = {
            "state": "done",
            "stage": "done",
            "progress": 1.0,
            "updated_at": now_iso(),
            "cached": "1" if cached else "0",
        }
        if result_key:
            fields["result_key"] = result_key
        if result is not None:
            fields["result"] = json.dumps(result, ensure_ascii=False)
        self._write(job_id, fields)

    def mark_failed(self, job_id: str, error: ErrorBody) -> None:
        self._write(
            job_id,
            {
                "state": "failed",
                "progress": 1.0,
                "error": error.model_dump_json(),
                "updated_at": now_iso(),
            },
        )

    # --- single flight ---

    def claim(self, key: str, job_id: str) -> str | None:
        """Hold the in-flight marker for ``key``; return the holder's job id if another holds it."""
        name = self.layout.inflight(key)
        if self.client.set(name, job_id, nx=True, ex=INFLIGHT_TTL_S):
            return None
        holder = self.client.get(name)
        if holder is None:  # released between our SET and GET: try once more
            if self.client.set(name, job_id, nx=True, ex=INFLIGHT_TTL_S):
                return None
            holder = self.client.get(name)
        return str(holder) if holder is not None else None

    def take_over(self, key: str, job_id: str) -> None:
        """Replace a stale marker (its job expired or already finished)."""
        self.client.set(self.layout.inflight(key), job_id, ex=INFLIGHT_TTL_S)

    def release(self, key: str, job_id: str) -> None:
        """Clear the marker, only if this job still holds it."""
        self.client.eval(_RELEASE_IF_OURS, 1, self.layout.inflight(key), job_id)


@dataclass
class Submission:
    """What became of one summary request."""

    job_id: str | None
    state: JobState
    key: str
    cached: bool = False
    attached: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def submit_summary(
    *,
    jobs: JobStore,
    cache: ResultCache,
    send: SendSummary,
    article: ArticleInput,
    options: SummaryOptions,
    fingerprint: str,
    queue: str,
    record_hit: bool = False,
    attachable: bool = False,
) -> Submission:
    """Cache, then single flight, then the queue.

    On a cache hit no job is created unless ``record_hit`` (batches need a job
    per item). ``attachable``: the job made here is a reader's, which identical
    requests may attach to; a request attaches only to such a job (see the module's
    docstring). Raises TransientError when Redis or the broker is away.
    """
    try:
        key = request_digest(article, options, fingerprint)
        if cache.client.exists(cache.layout.result(key)):
            cache.count(hit=True)
            if record_hit:
                job_id = new_id()
                jobs.create(job_id, key=key, state="done", result_key=key)
                return Submission(job_id, "done", key, cached=True)
            return Submission(None, "done", key, cached=True)
        cache.count(hit=False)

        job_id = new_id()
        jobs.create(job_id, key=key, attachable=attachable)
        holder = jobs.claim(key, job_id)
        if holder is not None:
            existing = jobs.get(holder)
            if existing is not None and not existing.finished and existing.attachable:
                jobs.delete(job_id)
                jobs.client.hincrby(jobs.layout.stats, "single_flight_attached", 1)
                return Submission(holder, existing.state, key, attached=True)
            # The holder is gone or done (its marker is stale), or a batch's job this
            # request may not wait on: this request's job holds the marker now. A
            # just-finished holder's result is found under the key below, never
            # through the holder (a batch member's result lies under its batch).
            jobs.take_over(key, job_id)
        # Between the cache miss above and the claim, the job that held the key may
        # have finished and cached its result: look again before enqueueing, or
        # identical requests would run twice.
        if cache.client.exists(cache.layout.result(key)):
            # Mark the claimed job done rather than deleting it: another request may
            # already have attached to it.
            jobs.mark_done(job_id, result_key=key, cached=True)
            jobs.release(key, job_id)
            cache.count(hit=True)
            return Submission(job_id if record_hit else None, "done", key, cached=True)
    except redis.RedisError as exc:
        raise TransientError(f"the job store (Redis) is not answering: {exc}") from exc

    payload = SummaryJob(key=key, article=article, options=options)
    try:
        send(payload, job_id, queue)
    except Exception as exc:
        # Nothing was queued: forget the job so nobody attaches to it.
        try:
            jobs.release(key, job_id)
            jobs.delete(job_id)
        except redis.RedisError:
            pass
        if isinstance(exc, NewsumError):  # refused on purpose (the queue is full): as is
            raise
        raise TransientError(f"the task queue is not answering: {exc}") from exc
    return Submission(job_id, "queued", key)
