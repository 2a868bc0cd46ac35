"""``/healthz`` (the process answers), ``/readyz`` (Redis and a worker answer), ``/metrics``."""

from __future__ import annotations

import contextlib

import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from service.deps import ServiceState, State
from service.errors import RETRY_AFTER_S
from workers.store.cache import PipelineInfo

router = APIRouter(tags=["health"])
PROFILES = ("auto", "offline", "standard")


@router.get("/healthz", summary="The API process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _readiness(state: ServiceState) -> tuple[bool, dict[str, object]]:
    try:
        state.redis.ping()
    except redis.RedisError as exc:
        return False, {"redis": f"not answering: {exc}", "workers": []}
    served = {}
    for profile in PROFILES:
        raw = state.redis.get(state.layout.pipeline(profile))
        if raw:
            info = PipelineInfo.from_json(str(raw))
            served[profile] = {"profile": info.profile, "fingerprint": info.fingerprint}
    if not served:
        return False, {"redis": "ok", "workers": "none has reported in the last 30 s"}
    return True, {"redis": "ok", "workers": served}


@router.get("/readyz", summary="Redis and at least one worker answer")
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
