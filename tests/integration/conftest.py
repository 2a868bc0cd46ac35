"""Integration fixtures: a real Redis, real worker processes, the API on a real port.

Redis is the machine's (``NEWSUM_TEST_REDIS_URL``, default 127.0.0.1:6379); the
suite uses databases 11 (the streaming test's llm worker, tests/integration/test_llm_stream.py),
13 and 14 only and deletes only keys under its prefix.
Workers are started once per session as separate processes
(``python -m service.commands worker``), never in eager mode:

- ``offline_stack``: db 13, an offline worker (no weights), prefork × 2;
- ``translator_stack``: db 14, a worker on the tiny test models (``tiny_model_dir``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis
import uvicorn

from service.app import create_app
from service.server import stop_process
from workers.settings import Settings, load_settings
from workers.store.cache import RedisLayout, connect_redis, redis_layout

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_START_S = 120.0


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


@pytest.fixture(scope="session")
def base_redis_url() -> str:
    url = os.environ.get("NEWSUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        connect_redis(url).ping()
    except redis.RedisError as exc:
        pytest.skip(f"integration tests need a Redis at {url} (NEWSUM_TEST_REDIS_URL): {exc}")
    return url


@dataclass
class Stack:
    """One deployment: Redis db, a worker process, the API on a port."""

    settings: Settings
    redis: redis.Redis
    layout: RedisLayout
    base_url: str
    worker: subprocess.Popen[bytes]
    log: Path

    def http(self, timeout: float = 90.0) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout)

    def stat(self, name: str) -> int:
        return int(self.redis.hget(self.layout.stats, name) or 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean(client: redis.Redis, layout: RedisLayout) -> None:
    batch = [k for k in client.scan_iter(f"{layout.prefix}:*", count=1000)]
    for start in range(0, len(batch), 500):
        client.delete(*batch[start : start + 500])


def _start_worker(
    env: dict[str, str], profile: str, concurrency: int, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "service.commands",
        "worker",
        f"--profile={profile}",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_pipeline(
    stack_redis: redis.Redis, layout: RedisLayout, worker: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + WORKER_START_S
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited at start:\n{log.read_text(errors='replace')}")
        if stack_redis.exists(layout.pipeline("auto")):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the worker did not start in time:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def _stack_factory(
    base_redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[int, str, int, dict[str, str]], Stack]]:
    started: list[tuple[subprocess.Popen[bytes], uvicorn.Server, redis.Redis, RedisLayout]] = []

    def build(db: int, profile: str, concurrency: int, extra_env: dict[str, str]) -> Stack:
        url = _with_db(base_redis_url, db)
        # These stacks post batches without a key (service.auth: NEWSUM_ANONYMOUS).
        env = dict(os.environ, NEWSUM_REDIS_URL=url, **{"NEWSUM_ANONYMOUS": "all", **extra_env})
        env["PYTHONPATH"] = str(REPO_ROOT)
        # Settings read the same variables the worker sees.
        saved = {k: os.environ.get(k) for k in env if k.startswith("NEWSUM_")}
        os.environ.update({k: v for k, v in env.items() if k.startswith("NEWSUM_")})
        try:
            settings = load_settings()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        client = connect_redis(url)
        layout = redis_layout(settings)
        _clean(client, layout)
        log = tmp_path_factory.mktemp(f"worker-db{db}") / "worker.log"
        worker = _start_worker(env, profile, concurrency, log)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        started.append((worker, server, client, layout))
        _wait_for_pipeline(client, layout, worker, log)
        while not server.started:
            time.sleep(0.05)
        return Stack(settings, client, layout, f"http://127.0.0.1:{port}", worker, log)

    yield build
    for worker, server, client, layout in started:
        server.should_exit = True
        stop_process(worker, grace_s=10)
        _clean(client, layout)


@pytest.fixture(scope="session")
def offline_stack(_stack_factory: Callable[[int, str, int, dict[str, str]], Stack]) -> Stack:
    """An offline worker (no weights) and the API, on db 13."""
    return _stack_factory(13, "offline", 2, {})


@pytest.fixture(scope="session")
def translator_stack(
    _stack_factory: Callable[[int, str, int, dict[str, str]], Stack], tiny_model_dir: Path
) -> Stack:
    """A worker on the tiny test models (it can translate) and the API, on db 14."""
    return _stack_factory(
        14,
        "auto",
        1,
        {
            "NEWSUM_MODEL_DIR": str(tiny_model_dir),
            "NEWSUM_DEVICE": "cpu",
            # Random weights never stop on their own: short greedy outputs.
            "NEWSUM_NUM_BEAMS": "1",
            "NEWSUM_MAX_NEW_TOKENS": "8",
        },
    )
