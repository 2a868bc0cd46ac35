"""Worker heartbeats: which worker processes are alive now, one by one.

Each worker process beats every ``PIPELINE_HEARTBEAT_S`` (``workers.queue.bootstrap``):
it writes the Redis server's time under its name in a sorted set, and its
profile and fingerprint beside it. A beat older than ``STALE_AFTER_BEATS``
intervals is stale: that worker is not counted (its process died, hangs, or
lost Redis), though the pipeline record another worker refreshes may still be
there. Time is Redis's own (``TIME``), so the API and workers on machines whose
clocks disagree judge alike. Entries stale for ``FORGET_AFTER_BEATS`` intervals
are removed when read.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass

import redis

from workers.store.cache import PIPELINE_HEARTBEAT_S, PipelineInfo, RedisLayout

STALE_AFTER_BEATS = 3
FORGET_AFTER_BEATS = 60


def stale_after_s(interval_s: float = PIPELINE_HEARTBEAT_S) -> float:
    """How old a heartbeat may be before its worker stops counting."""
    return STALE_AFTER_BEATS * interval_s


def worker_name() -> str:
    """This process's name among the workers: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def redis_now(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return float(seconds) + float(micros) / 1e6


def beat(client: redis.Redis, layout: RedisLayout, name: str, info: PipelineInfo) -> None:
    """Record that worker ``name`` (serving ``info``) is alive now."""
    now = redis_now(client)
    blob = json.dumps({"profile": info.profile, "fingerprint": info.fingerprint})
    with client.pipeline(transaction=False) as pipe:
        pipe.zadd(layout.worker_beats, {name: now})
        pipe.hset(layout.worker_pipelines, name, blob)
        pipe.execute()


@dataclass
class Heartbeats:
    """What the heartbeats say now: the live workers by name, and how many went stale."""

    alive: dict[str, dict[str, str]]
    stale: int
    stale_after_s: float


def read_heartbeats(
    client: redis.Redis, layout: RedisLayout, interval_s: float = PIPELINE_HEARTBEAT_S
) -> Heartbeats:
    """The workers whose last beat is at most ``STALE_AFTER_BEATS`` intervals old."""
    now = redis_now(client)
    limit = stale_after_s(interval_s)
    forget = now - FORGET_AFTER_BEATS * interval_s
    gone = client.zrangebyscore(layout.worker_beats, "-inf", forget)
    if gone:
        with client.pipeline(transaction=False) as pipe:
            pipe.zrem(layout.worker_beats, *gone)
            pipe.hdel(layout.worker_pipelines, *gone)
            pipe.execute()
    fresh = [str(n) for n in client.zrangebyscore(layout.worker_beats, now - limit, "+inf")]
    stale = int(client.zcount(layout.worker_beats, "-inf", f"({now - limit}"))
    blobs = client.hmget(layout.worker_pipelines, fresh) if fresh else []
    alive = {
        name: json.loads(blob) if blob else {} for name, blob in zip(fresh, blobs, strict=True)
    }
    return Heartbeats(alive=alive, stale=stale, stale_after_s=limit)
