"""``/healthz`` (the process answers), ``/readyz`` (Redis answers and takes writes,
and a worker's heartbeat is fresh), ``/metrics``."""

from __future__ import annotations

import contextlib

import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from service.deps import ServiceState, State
from service.errors import RETRY_AFTER_S
from workers.store.cache import PipelineInfo
from workers.store.heartbeats import read_heartbeats
from workers.store.maxmemory import writes_refused

router = APIRouter(tags=["health"])
PROFILES = ("auto", "offline", "standard", "llm")


@router.get("/healthz", summary="The API process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _readiness(state: ServiceState) -> tuple[bool, dict[str, object]]:
    """Ready: Redis answers and takes writes (not at ``maxmemory``:
    ``workers.store.maxmemory``), a worker has published its pipeline, and at least
    one worker's own heartbeat is fresh (``workers.store.heartbeats``): a worker whose
    heartbeat stopped is not counted, even while another refreshes the pipeline."""
    try:
        state.redis.ping()
        full = writes_refused(state.redis, state.layout)
        served = {}
        for profile in PROFILES:
            raw = state.redis.get(state.layout.pipeline(profile))
            if raw:
                info = PipelineInfo.from_json(str(raw))
                served[profile] = {"profile": info.profile, "fingerprint": info.fingerprint}
        beats = read_heartbeats(state.redis, state.layout)
    except redis.RedisError as exc:
        return False, {"redis": f"not answering: {exc}", "workers": []}
    alive = {
        "alive": len(beats.alive),
        "stale": beats.stale,
        "stale_after_s": beats.stale_after_s,
        "names": sorted(beats.alive),
    }
    if full is not None:  # nothing can be queued or recorded until memory is freed
        return False, {"redis": full, "workers": served, "heartbeats": alive}
    if not served:
        return False, {
            "redis": "ok",
            "workers": "none has reported in the last 30 s",
            "heartbeats": alive,
        }
    if not beats.alive:
        return False, {
            "redis": "ok",
            "workers": f"no worker's heartbeat is younger than {beats.stale_after_s:.0f} s "
            f"({beats.stale} stopped)",
            "heartbeats": alive,
        }
    return True, {"redis": "ok", "workers": served, "heartbeats": alive}


@router.get("/readyz", summary="Redis answers and at least one worker's heartbeat is fresh")
async def readyz(state: State) -> JSONResponse:
    ready, detail = await run_in_threadpool(_readiness, state)
    if ready:
        return JSONResponse({"status": "ready", **detail})
    return JSONResponse(
        {"status": "not ready", **detail},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(state: State) -> Response:
    queues = [state.queues.interactive, state.queues.batch]
    # Redis away: still serve this process's own counters.
    with contextlib.suppress(redis.RedisError):
        await run_in_threadpool(state.metrics.refresh, state.redis, state.layout, queues)
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4")
