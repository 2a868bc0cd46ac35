"""Batches: many articles, one id, every item accounted for.

A batch is a Redis hash (count, created_at, finished_at, webhook, pending) and
a list of items ``{"index", "id", "job_id"}`` in submission order. Each item is
a job (a cache hit is a job born done, a bad line a job born failed), so a
batch's states and results are read from its jobs.

Knowing when a batch is finished, without a scan: ``pending`` counts items
still waiting on a job, plus one token held while items are being added. A job
records which batches wait on it (``<job>:batches``: batch id → item count).
Whoever removes that entry (the worker that finished the job, or the API that
saw it already finished) subtracts the count; HDEL decides who, atomically.
The one subtraction that brings ``pending`` to zero finishes the batch and
fires its webhook, exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from workers.contract import ClusterInfo, ErrorBody, SummaryResult
from workers.store.cache import RedisLayout
from workers.store.jobs import JobRecord, JobStore, now_iso


@dataclass
class BatchItem:
    index: int
    id: str | int | None  # the client's own id, as given
    job_id: str
    # A near-duplicate of an earlier item shares its job: ``cluster`` is the
    # contract's ClusterInfo for this item, ``key`` this item's own request key.
    cluster: dict[str, Any] | None = None
    key: str | None = None


@dataclass
class BatchRecord:
    batch_id: str
    count: int
    created_at: str
    finished_at: str | None
    webhook: str | None
    pending: int


class BatchStore:
    """Batch records, their items and the pending count."""

    def __init__(self, client: redis.Redis, layout: RedisLayout, ttl_s: int) -> None:
        self.client = client
        self.layout = layout
        self.ttl_s = ttl_s

    def create(self, batch_id: str, count: int, webhook: str | None = None) -> None:
        """A batch with its adding token held (``pending`` = 1) until ``seal``."""
        fields: dict[str, str | int] = {"count": count, "created_at": now_iso(), "pending": 1}
        if webhook:
            fields["webhook"] = webhook
        name = self.layout.batch(batch_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(name, mapping=fields)  # type: ignore[arg-type]
            pipe.expire(name, self.ttl_s)
            pipe.execute()

    def add_items(self, batch_id: str, items: Sequence[BatchItem]) -> None:
        if not items:
            return
        name = self.layout.batch_items(batch_id)
        blobs = [
            json.dumps(
                {
                    "index": i.index,
                    "id": i.id,
                    "job_id": i.job_id,
                    "cluster": i.cluster,
                    "key": i.key,
                },
                ensure_ascii=False,
            )
            for i in items
        ]
        with self.client.pipeline(transaction=False) as pipe:
            pipe.rpush(name, *blobs)
            pipe.expire(name, self.ttl_s)
            pipe.execute()

    def wait_on(self, batch_id: str, job_ids: Sequence[str]) -> None:
        """Record that items of this batch wait on these (unfinished) jobs."""
        if not job_ids:
            return
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hincrby(self.layout.batch(batch_id), "pending", len(job_ids))
            for job_id in job_ids:
                name = self.layout.job_batches(job_id)
                pipe.hincrby(name, batch_id, 1)
                pipe.expire(name, self.ttl_s)
            pipe.execute()

    def _settle(self, batch_id: str, job_id: str) -> bool:
        """Subtract the items of ``batch_id`` waiting on ``job_id``; True if that finished it."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hget(self.layout.job_batches(job_id), batch_id)
            pipe.hdel(self.layout.job_batches(job_id), batch_id)
            waiting, removed = pipe.execute()
        if not removed or not waiting:
            return False
        return self._release(batch_id, int(waiting))

    def _release(self, batch_id: str, n: int) -> bool:
        left = int(self.client.hincrby(self.layout.batch(batch_id), "pending", -n))
        if left == 0:
            self.client.hsetnx(self.layout.batch(batch_id), "finished_at", now_iso())
            return True
        return False

    def settle_finished(self, batch_id: str, jobs: Sequence[JobRecord | None]) -> bool:
        """After adding: settle items whose jobs finished meanwhile (or vanished)."""
        finished = False
        for job in jobs:
            if job is not None and job.finished:
                finished = self._settle(batch_id, job.job_id) or finished
        return finished

    def seal(self, batch_id: str) -> bool:
        """All items are added: give back the adding token. True if the batch is finished."""
        return self._release(batch_id, 1)

    def job_finished(self, job_id: str) -> list[str]:
        """Called by the worker after a job is done or failed: the batches it finished."""
        waiting = [str(b) for b in self.client.hkeys(self.layout.job_batches(job_id))]
        return [b for b in waiting if self._settle(b, job_id)]

    def get(self, batch_id: str) -> BatchRecord | None:
        data: dict[str, str] = self.client.hgetall(self.layout.batch(batch_id))  # type: ignore[assignment]
        if not data:
            return None
        return BatchRecord(
            batch_id=batch_id,
            count=int(data.get("count", 0)),
            created_at=data.get("created_at", ""),
            finished_at=data.get("finished_at") or None,
            webhook=data.get("webhook") or None,
            pending=int(data.get("pending", 0)),
        )

    def items(self, batch_id: str, start: int = 0, stop: int = -1) -> list[BatchItem]:
        rows = self.client.lrange(self.layout.batch_items(batch_id), start, stop)
        out = []
        for row in rows:
            data = json.loads(row)
            out.append(
                BatchItem(
                    index=data["index"],
                    id=data.get("id"),
                    job_id=data["job_id"],
                    cluster=data.get("cluster"),
                    key=data.get("key"),
                )
            )
        return out


def batch_status(batches: BatchStore, jobs: JobStore, batch_id: str) -> dict[str, Any] | None:
    """``{"batch_id", "count", "states", "progress", "created_at", "finished_at"}`` or None."""
    record = batches.get(batch_id)
    if record is None:
        return None
    states = {"queued": 0, "running": 0, "done": 0, "failed": 0}
    progress = 0.0
    items = batches.items(batch_id)
    for job in jobs.get_many([i.job_id for i in items]):
        if job is None:  # expired: count it as failed, never lose it silently
            states["failed"] += 1
            progress += 1.0
            continue
        states[job.state] = states.get(job.state, 0) + 1
        progress += 1.0 if job.finished else job.progress
    return {
        "batch_id": batch_id,
        "count": record.count,
        "states": states,
        "progress": round(progress / record.count, 4) if record.count else 1.0,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
    }


EXPIRED = ErrorBody(code="expired", message="the job record expired (NEWSUM_JOB_TTL_S)")


def batch_results(
    batches: BatchStore, jobs: JobStore, batch_id: str, *, chunk: int = 200
) -> Iterator[dict[str, Any]]:
    """One line per item, in order: ``{"index","id","job_id","state","result","error"}``.

    ``result`` is the raw JSON text of the cached result (the caller splices it in
    without parsing it again), or None.
    """
    start = 0
    while True:
        items = batches.items(batch_id, start, start + chunk - 1)
        if not items:
            return
        records = jobs.get_many([i.job_id for i in items])
        result_keys = [r.result_key if r and r.state == "done" else None for r in records]
        wanted = [jobs.layout.result(k) for k in result_keys if k]
        found = dict(zip(wanted, jobs.client.mget(wanted), strict=True)) if wanted else {}
        for item, record, rkey in zip(items, records, result_keys, strict=True):
            raw = found.get(jobs.layout.result(rkey)) if rkey else None
            error = record.error if record else EXPIRED
            if record is not None and record.state == "done" and raw is None:
                error = ErrorBody(code="expired", message="the result expired (NEWSUM_CACHE_TTL_S)")
            cluster = item.cluster or (record.cluster if record else None)
            if raw is not None and cluster is not None:
                member_key = item.key or (record.member_key if record else None)
                raw = as_member(raw, cluster, member_key)
            yield {
                "index": item.index,
                "id": item.id,
                "job_id": item.job_id,
                "state": record.state if record else "failed",
                "result": raw,
                "error": error.model_dump() if error else None,
            }
        start += chunk


def as_member(raw: str | bytes, cluster: dict[str, Any], member_key: str | None) -> str:
    """The shared result as one batch item's own: its ``cluster`` and, for a
    near-duplicate (``member_key``: its own request key), its key and a warning saying
    whose summary it shares. The cached result is untouched."""
    result = SummaryResult.model_validate_json(raw)
    shared = result.model_copy(deep=True)
    shared.cluster = ClusterInfo.model_validate(cluster)
    if member_key and member_key != result.id:
        shared.id = member_key
        whose = shared.cluster.representative_id or shared.cluster.representative
        shared.checks.warnings.append(
            f"the same story as batch item {whose}: its summary is shared; "
            "cluster.added / cluster.removed say what differs"
        )
    return shared.model_dump_json()
