"""Event streams on a real API (uvicorn) and a real Redis: pushed, not polled.

100 clients follow pending jobs at once. While nothing happens, Redis sees about
as many commands a second as with none (polling every 0.25 s would cost it
100 × 4 = 400 more); an update wakes every stream at once; a client that hangs up
leaves no watcher behind.

Redis here is a private redis-server (``EmbeddedRedis``), not the machine's:
INFO's ``total_commands_processed`` counts every client of a server, and the
machine's is shared with other test runs, whose traffic would drown the count.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from fastapi import FastAPI

from service.app import create_app
from service.job_updates import SAFETY_REREAD_S, JobUpdates
from tests.integration.conftest import _clean, _free_port
from workers.settings import load_settings
from workers.store.cache import PipelineInfo, RedisLayout, connect_redis, publish_pipeline
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore

pytestmark = pytest.mark.integration

STREAMS = 100
QUIET_WINDOW_S = 3.0
# Polling every 0.25 s cost 400 commands a second for 100 streams; pushed, near 0.
MAX_EXTRA_COMMANDS_PER_S = 40.0


@dataclass
class Api:
    app: FastAPI
    base_url: str
    redis: redis.Redis
    jobs: JobStore

    @property
    def updates(self) -> JobUpdates:
        updates: JobUpdates = self.app.state.newsum.updates
        return updates


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with EmbeddedRedis(tmp_path) as private:
        yield from _serve(private.url)


def _serve(url: str) -> Iterator[Api]:
    prefix = f"sse{uuid.uuid4().hex[:8]}"
    settings = load_settings(redis_url=url, redis_prefix=prefix, anonymous="all")
    client = connect_redis(url)
    layout = RedisLayout(prefix)
    app = create_app(settings)  # the Celery queue is never used: jobs are made below
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield Api(app, f"http://127.0.0.1:{port}", client, JobStore(client, layout, 300))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _clean(client, layout)


def commands_per_s(client: redis.Redis, seconds: float) -> float:
    before = int(client.info("stats")["total_commands_processed"])
    time.sleep(seconds)
    after = int(client.info("stats")["total_commands_processed"])
    return (after - before - 1) / seconds  # less our own INFO


async def follow(
    http: httpx.AsyncClient, job_id: str, opened: asyncio.Event, names: list[str]
) -> None:
    """Read one job's stream to its end, noting each event's name."""
    async with http.stream("GET", f"/v1/jobs/{job_id}/events") as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                names.append(line.removeprefix("event: "))
                opened.set()


def test_100_open_streams_cost_redis_no_more_than_none(api: Api) -> None:
    job_ids = [uuid.uuid4().hex for _ in range(STREAMS)]
    for job_id in job_ids:
        api.jobs.create(job_id)
        api.jobs.mark_running(job_id, "extract")
    baseline = commands_per_s(api.redis, QUIET_WINDOW_S)

    async def run() -> tuple[float, float, list[list[str]]]:
        limits = httpx.Limits(max_connections=STREAMS + 10)
        async with httpx.AsyncClient(base_url=api.base_url, timeout=60, limits=limits) as http:
            opened = [asyncio.Event() for _ in job_ids]
            names: list[list[str]] = [[] for _ in job_ids]
            started = time.monotonic()
            streams = [
                asyncio.create_task(follow(http, job_id, opened[i], names[i]))
                for i, job_id in enumerate(job_ids)
            ]
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), 30)
            assert time.monotonic() - started < SAFETY_REREAD_S - QUIET_WINDOW_S - 1
            assert api.updates.watching == STREAMS
            loop = asyncio.get_running_loop()
            with_streams = await loop.run_in_executor(
                None, commands_per_s, api.redis, QUIET_WINDOW_S
            )
            finished_at = time.monotonic()
            for job_id in job_ids:
                await loop.run_in_executor(None, api.jobs.mark_done, job_id)
            await asyncio.wait_for(asyncio.gather(*streams), 10)
            return with_streams, time.monotonic() - finished_at, names

    with_streams, to_the_end_s, names = _run_apart(run())
    print(f"Redis commands/s: {baseline:.1f} without streams, {with_streams:.1f} with {STREAMS}")
    assert with_streams - baseline < MAX_EXTRA_COMMANDS_PER_S
    # Every stream saw its job running, then done, woken at once (not by the re-read).
    assert all(n == ["progress", "done"] for n in names), names
    assert to_the_end_s < SAFETY_REREAD_S / 3
    assert api.updates.watching == 0


def test_a_client_that_hangs_up_leaves_no_watcher(api: Api) -> None:
    job_ids = [uuid.uuid4().hex for _ in range(10)]
    for job_id in job_ids:
        api.jobs.create(job_id)

    async def run() -> None:
        async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as http:
            opened = [asyncio.Event() for _ in job_ids]
            streams = [
                asyncio.create_task(follow(http, job_id, opened[i], []))
                for i, job_id in enumerate(job_ids)
            ]
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), 30)
            assert api.updates.watching == len(job_ids)
            for stream in streams:
                stream.cancel()  # the client closes its connections mid-stream
            await asyncio.gather(*streams, return_exceptions=True)

    _run_apart(run())
    deadline = time.monotonic() + 5
    while api.updates.watching and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api.updates.watching == 0


def test_a_long_poll_stops_waiting_when_its_client_hangs_up(api: Api) -> None:
    # A worker's record lets the API accept the article; the task only sits in the queue.
    info = PipelineInfo("offline", "fp-test", [], False, [])
    publish_pipeline(api.redis, api.jobs.layout, info, also_as=("auto",))

    async def run() -> None:
        async with httpx.AsyncClient(base_url=api.base_url, timeout=60) as http:
            body = {"text": "新华社北京1月9日电 国务院常务会议今天召开。", "wait": 60}
            waiting = asyncio.create_task(http.post("/v1/summaries", json=body))
            deadline = time.monotonic() + 10
            while api.updates.watching == 0:
                assert time.monotonic() < deadline and not waiting.done()
                await asyncio.sleep(0.05)
            waiting.cancel()  # the client gives up long before its 60 s
            await asyncio.gather(waiting, return_exceptions=True)

    _run_apart(run())
    deadline = time.monotonic() + 5
    while api.updates.watching and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api.updates.watching == 0


def _run_apart(coroutine: Any) -> Any:
    """``asyncio.run`` in a thread of its own: a browser test earlier in the session
    may leave an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
