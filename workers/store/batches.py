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

A batch the API could not queue whole is *abandoned* (``abandon``): it is marked
failed, and what the workers still do for it stops there (``workers.batch.
coordinator``). A batch's glossary is stored once (``BatchGlossaries``), not in
each of its tasks: the tasks carry its ref.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
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
    error: ErrorBody | None = None  # abandoned: why the API could not queue it whole


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

    def abandon(self, batch_id: str, error: ErrorBody) -> None:
        """The API could not queue the batch whole: it is failed, for good (its items'
        tasks already sent stop at ``abandoned``)."""
        name = self.layout.batch(batch_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(
                name, mapping={"abandoned": error.model_dump_json(), "finished_at": now_iso()}
            )
            pipe.expire(name, self.ttl_s)
            pipe.execute()

    def forget(self, batch_id: str) -> None:
        """Delete the batch's records (Redis at maxmemory refuses ``abandon``'s write,
        never a delete): a batch that is gone is as abandoned as a failed one."""
        layout = self.layout
        self.client.delete(
            layout.batch(batch_id),
            layout.batch_items(batch_id),
            layout.batch_arrived(batch_id),
            layout.batch_prepared(batch_id),
        )

    def abandoned(self, batch_id: str) -> bool:
        """Abandoned by the API, or gone (forgotten, or expired with everything in it)."""
        found = self.client.hmget(self.layout.batch(batch_id), ["abandoned", "count"])
        return found[0] is not None or found[1] is None

    def get(self, batch_id: str) -> BatchRecord | None:
        data: dict[str, str] = self.client.hgetall(self.layout.batch(batch_id))  # type: ignore[assignment]
        if not data:
            return None
        abandoned = data.get("abandoned")
        return BatchRecord(
            batch_id=batch_id,
            count=int(data.get("count", 0)),
            created_at=data.get("created_at", ""),
            finished_at=data.get("finished_at") or None,
            webhook=data.get("webhook") or None,
            pending=int(data.get("pending", 0)),
            error=ErrorBody.model_validate_json(abandoned) if abandoned else None,
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


_GLOSSARY_REF = re.compile(r"^([A-Za-z0-9_-]{1,64})/([0-9a-f]{32})$")


def glossary_digest(glossary: Mapping[str, str]) -> str:
    """The same terms and English give the same digest, in any order."""
    blob = json.dumps(dict(glossary), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class BatchGlossaries:
    """A batch's glossaries, each stored once for as long as the batch lives; its tasks
    and its extracted articles carry the ref (``<batch id>/<digest>``) instead of the
    terms, so a 5,000-term glossary on 10,000 items is in Redis once, not 10,000 times."""

    def __init__(self, client: redis.Redis, layout: RedisLayout, ttl_s: int) -> None:
        self.client = client
        self.layout = layout
        self.ttl_s = ttl_s

    def name(self, ref: str) -> str:
        match = _GLOSSARY_REF.match(ref)
        if match is None:
            raise ValueError(f"not a batch glossary ref: {ref!r}")
        return f"{self.layout.batch(match.group(1))}:glossary:{match.group(2)}"

    @staticmethod
    def ref(batch_id: str, glossary: Mapping[str, str]) -> str:
        return f"{batch_id}/{glossary_digest(glossary)}"

    def put(self, batch_id: str, glossary: Mapping[str, str]) -> str:
        """Store ``glossary`` for the batch (once per distinct glossary); its ref."""
        ref = self.ref(batch_id, glossary)
        self.client.set(
            self.name(ref), json.dumps(dict(glossary), ensure_ascii=False), ex=self.ttl_s
        )
        return ref

    def stored(self, ref: str) -> bool:
        return bool(self.client.exists(self.name(ref)))

    def get(self, ref: str) -> dict[str, str] | None:
        """The glossary under ``ref``; None once it expired with its batch."""
        raw = self.client.get(self.name(ref))
        return json.loads(raw) if raw else None

    def drop(self, refs: Sequence[str]) -> None:
        if refs:
            self.client.delete(*[self.name(ref) for ref in refs])


def overall_state(states: dict[str, int], count: int, finished_at: str | None) -> str:
    """A batch's state in one word (``GET /v1/batches/{id}`` and the webhook):
    ``queued`` (nothing started), ``running``, then, once every item has finished,
    ``done`` (all done), ``failed`` (all failed) or ``partial`` (some of each)."""
    done, failed = states.get("done", 0), states.get("failed", 0)
    if finished_at is not None or done + failed >= count:
        if failed == 0:
            return "done"
        return "failed" if done == 0 else "partial"
    if states.get("running", 0) == 0 and done + failed == 0:
        return "queued"
    return "running"


def batch_status(batches: BatchStore, jobs: JobStore, batch_id: str) -> dict[str, Any] | None:
    """``{"batch_id", "count", "state", "states", "progress", "created_at", "finished_at"}``
    or None (``state``: ``overall_state``)."""
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
    state = overall_state(states, record.count, record.finished_at)
    return {
        "batch_id": batch_id,
        "count": record.count,
        "state": "failed" if record.error is not None else state,
        "states": states,
        "progress": round(progress / record.count, 4) if record.count else 1.0,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
    }


EXPIRED = ErrorBody(code="expired", message="the job record expired (NEWSUM_JOB_TTL_S)")


def batch_results(
    batches: BatchStore, jobs: JobStore, batch_id: str, *, chunk: int = 200
) -> Iterator[dict[str, Any]]:
    """One line per item, in order: ``{"index","id","job_id","state","cluster","result",
    "error"}`` (``cluster``: the item's near-duplicate group, or None).

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
                "cluster": cluster,
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
        shared.checks.warnings.append(shared.cluster.member_warning())
    return shared.model_dump_json()
