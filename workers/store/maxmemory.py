"""Redis at ``maxmemory``: how to tell, and how to wait for room.

With the ``noeviction`` policy (Redis's default, and the one a queue needs: evicting
would drop task messages) a Redis that uses more than ``maxmemory`` refuses every
command that may grow memory with ``OOM command not allowed when used memory >
'maxmemory'``; reads, deletes and pops still work. That is transient: the refusal
ends as soon as something frees memory (results expire, an operator raises the
limit). Whether Redis refuses writes *now* is asked the way Redis itself decides,
with one tiny write (``SET`` with a short expiry on a fixed key): ``INFO``'s
``used_memory`` counts buffers that Redis leaves out of that decision.
"""

from __future__ import annotations

import time

import redis

from workers.store.cache import RedisLayout

# The probe's key lives this long: one fixed key, never more than a few bytes.
PROBE_TTL_S = 60
FULL = "Redis is at maxmemory"


def is_out_of_memory(exc: BaseException | None) -> bool:
    """Whether ``exc`` is Redis refusing a write at ``maxmemory`` (also inside a
    pipeline, a transaction or a script, where redis-py keeps the class), or was
    raised because of one (a TransientError from it, one raised while handling it)."""
    for _ in range(4):
        if exc is None:
            return False
        if isinstance(exc, redis.exceptions.OutOfMemoryError):
            return True
        if isinstance(exc, redis.ResponseError) and "used memory > 'maxmemory'" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def probe_key(layout: RedisLayout) -> str:
    return f"{layout.prefix}:maxmemory-probe"


def writes_refused(client: redis.Redis, layout: RedisLayout) -> str | None:
    """None while Redis takes writes; else why not (it is at ``maxmemory``), with
    its numbers. Raises redis errors other than out-of-memory (Redis away)."""
    try:
        client.set(probe_key(layout), "1", ex=PROBE_TTL_S)
    except redis.ResponseError as exc:
        if not is_out_of_memory(exc):
            raise
        return f"{FULL}: {_usage(client)}; writes are refused until memory is freed"
    return None


def _usage(client: redis.Redis) -> str:
    try:
        info = client.info("memory")
    except redis.RedisError:
        return "usage unknown"
    used = int(info.get("used_memory", 0))
    limit = int(info.get("maxmemory", 0))
    policy = info.get("maxmemory_policy", "?")
    return f"{used / 1e6:.1f} MB used of {limit / 1e6:.1f} MB (policy {policy})"


def wait_for_room(client: redis.Redis, layout: RedisLayout, limit_s: float) -> bool:
    """Until Redis takes writes again (True) or ``limit_s`` passes (False); Redis
    away meanwhile counts as no room."""
    deadline = time.monotonic() + limit_s
    while True:
        try:
            if writes_refused(client, layout) is None:
                return True
        except redis.RedisError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
