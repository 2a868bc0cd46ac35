"""Reliability fixtures: a private redis-server, real worker processes, the API on a port.

Nothing here touches the machine's Redis on 6379: every test module gets its
own ``redis-server`` on a free loopback port, started with AOF
(``--appendonly yes``) and no RDB (``--save ''``) in a temp dir, so a test may
stop and restart it. Each deployment uses its own key prefix.

Workers run as ``python -m service.commands worker`` processes (prefork), in
their own process group, so a test can SIGKILL or SIGTERM exactly one worker
and its pool children. Slowness and crashes come from ``NEWSUM_FAULT_INJECT``, keyed
on a marker in the article text: a test-only signal handler
(``tests.reliability.fault_injection``) that the workers load from ``worker_site/``,
first on their PYTHONPATH.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn

from service.app import create_app
from workers.settings import Settings, load_settings
from workers.store.cache import RedisLayout, connect_redis
from workers.store.embedded_redis import redis_server_binary

REPO_ROOT = Path(__file__).resolve().parents[2]
# Its sitecustomize connects the fault injection in every worker process started here.
WORKER_SITE = Path(__file__).resolve().parent / "worker_site"
# Generous: a worker loading its engines on a loaded machine is slow, never wrong.
WORKER_START_S = 300.0
# Short, so a killed worker's task comes back within seconds; it must still outlast
# the longest task these tests run (a few seconds), also on a loaded machine: a task
# that outlived it would be handed to a second worker and counted twice.
VISIBILITY_TIMEOUT_S = 15
_READY = re.compile(rb"worker process (\d+) ready")

SEED = REPO_ROOT / "../shared/data/articles/jiaxing-theme-education-2020-01-09.txt"
_SENTENCE = re.compile(r"[^。！？]+[。！？]”?")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: fault, load and hostile-input tests (tests/reliability)"
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], Any], timeout_s: float, what: str, every_s: float = 0.05
) -> Any:
    """Poll ``condition`` every ``every_s`` until it returns something truthy (returned),
    or fail naming ``what`` after ``timeout_s``: a loaded machine slows a test down
    but never fails it, where a fixed sleep would."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(every_s)


def article(n: int, marker: str = "", length: int = 4) -> str:
    """A distinct short Chinese article (sentences of the seed article) holding ``marker``."""
    text = SEED.read_text(encoding="utf-8")
    sentences = [s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) > 8]
    picked = [sentences[(n + i) % len(sentences)] for i in range(length)]
    return f"{marker}第{n}篇。" + "\n".join(picked)


class RedisProcess:
    """A private redis-server on a loopback port with AOF in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or redis_server_binary()
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--dir",
                str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on {self.port}") from None
                time.sleep(0.05)
        # An AOF that is still loading answers LOADING: wait until it is done.
        while client.info("persistence").get("loading") == 1:
            time.sleep(0.05)
        client.close()

    def fill_to_maxmemory(self, headroom_bytes: int = 4_000_000) -> MemoryFill:
        """Make this Redis full: ``maxmemory`` a little above what it uses now (policy
        ``noeviction``, Redis's default), then filler values until a write is refused
        with OOM. ``free()`` on the answer deletes them and lifts the limit."""
        return MemoryFill.fill(redis.Redis(port=self.port), headroom_bytes)

    def stop(self) -> None:
        """SIGTERM: Redis flushes the AOF and exits (what a restart does)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@dataclass
class MemoryFill:
    """Filler values that took a Redis past its ``maxmemory``."""

    client: redis.Redis
    keys: list[str]

    # A write is refused only while Redis uses more than maxmemory. Values are small:
    # a big one's request buffer counts while it is read and is freed a moment later,
    # which would make room again behind the test's back.
    CHUNKS = (16 * 1024, 1024, 64)
    # Then the limit goes this far below what Redis uses, so that the bytes a worker
    # frees (a message it pops, a buffer shrunk) do not make room again.
    MARGIN = 1024 * 1024

    @classmethod
    def fill(cls, client: redis.Redis, headroom_bytes: int) -> MemoryFill:
        used = int(client.info("memory")["used_memory"])
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", used + headroom_bytes)
        made = cls(client, [])
        for size in cls.CHUNKS:
            blob = b"x" * size
            while len(made.keys) < 100_000:
                name = f"filler:{len(made.keys)}"
                try:
                    client.set(name, blob)
                except redis.exceptions.OutOfMemoryError:
                    break
                made.keys.append(name)
        used = int(client.info("memory")["used_memory"])
        client.config_set("maxmemory", used - cls.MARGIN)
        assert made.refused(), "Redis takes writes after being filled"
        return made

    def refused(self) -> bool:
        """Whether a small write is refused now."""
        try:
            self.client.set("filler:probe", b"x", ex=5)
        except redis.exceptions.OutOfMemoryError:
            return True
        return False

    def free(self) -> None:
        """Delete the fillers: Redis, still at its maxmemory, has room again."""
        for start in range(0, len(self.keys), 500):
            self.client.delete(*self.keys[start : start + 500])
        self.client.delete("filler:probe")
        self.keys = []

    def lift(self) -> None:
        """No maxmemory again (the next test's Redis is as it was)."""
        self.free()
        self.client.config_set("maxmemory", 0)


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis-aof"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def owns(self, pid: int) -> bool:
        """Whether ``pid`` is this worker or one of its pool children."""
        try:
            return os.getpgid(pid) == self.process.pid
        except ProcessLookupError:
            return False

    def ready_count(self) -> int:
        return len(_READY.findall(self.log.read_bytes())) if self.log.exists() else 0

    def pause(self) -> None:
        """SIGSTOP the whole worker: it keeps its connections, and a BRPOP it sent
        still takes a message, which it reads once resumed."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_has(self, text: str) -> bool:
        return self.log.exists() and text.encode() in self.log.read_bytes()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """``sig`` to the whole worker (its process group: main process and children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        if sig == signal.SIGKILL:
            self.process.wait(10)


@dataclass
class Deployment:
    """One newsum deployment on a private Redis: workers, the API, its key prefix."""

    redis_url: str
    tmp: Path
    extra_env: dict[str, str]
    prefix: str = field(default_factory=lambda: f"rel{uuid.uuid4().hex[:8]}")
    workers: list[Worker] = field(default_factory=list)
    servers: list[uvicorn.Server] = field(default_factory=list)
    base_url: str = ""

    def __post_init__(self) -> None:
        self.env = {
            **os.environ,
            "NEWSUM_REDIS_URL": self.redis_url,
            "NEWSUM_REDIS_PREFIX": self.prefix,
            "NEWSUM_ANONYMOUS": "all",
            "NEWSUM_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S),
            "NEWSUM_MODEL_DIR": str(self.tmp / "no-models"),
            "PYTHONPATH": os.pathsep.join([str(WORKER_SITE), str(REPO_ROOT)]),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        overrides: dict[str, Any] = {
            k.removeprefix("NEWSUM_").lower(): v
            for k, v in self.env.items()
            if k.startswith("NEWSUM_") and k != "NEWSUM_FAULT_INJECT"
        }
        self.settings: Settings = load_settings(**overrides)
        self.redis = connect_redis(self.redis_url)
        self.layout = RedisLayout(self.prefix)

    def start_worker(self, name: str, concurrency: int = 1, wait: bool = True) -> Worker:
        log = self.tmp / f"worker-{name}-{len(self.workers)}.log"
        command = [
            sys.executable,
            "-m",
            "service.commands",
            "worker",
            "--profile=offline",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name, process, log)
        self.workers.append(worker)
        if wait:
            self.wait_ready(worker, concurrency)
        return worker

    def wait_ready(self, worker: Worker, processes: int) -> None:
        deadline = time.monotonic() + WORKER_START_S
        while worker.ready_count() < processes:
            if worker.process.poll() is not None:
                raise RuntimeError(f"worker {worker.name} exited:\n{worker.log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker {worker.name} not ready:\n{worker.log.read_text()}")
            time.sleep(0.2)

    def start_api(self) -> str:
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(self.settings), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        threading.Thread(target=server.run, daemon=True).start()
        self.servers.append(server)
        while not server.started:
            time.sleep(0.05)
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    def http(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout)

    def job(self, job_id: str) -> dict[str, str]:
        data: dict[str, str] = self.redis.hgetall(self.layout.job(job_id))  # type: ignore[assignment]
        return data

    def wait_job(
        self, job_id: str, until: Callable[[dict[str, str]], bool], timeout_s: float = 60
    ) -> dict[str, str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            data = self.job(job_id)
            if until(data):
                return data
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not get there in {timeout_s} s: {self.job(job_id)}")

    def close(self) -> None:
        for server in self.servers:
            server.should_exit = True
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.kill(signal.SIGKILL)
        try:
            names = list(self.redis.scan_iter(f"{self.prefix}:*", count=1000))
            for start in range(0, len(names), 500):
                self.redis.delete(*names[start : start + 500])
        except redis.RedisError:
            pass


@pytest.fixture
def deploy(private_redis: RedisProcess, tmp_path: Path) -> Iterator[Callable[..., Deployment]]:
    """``deploy(**env)``: a Deployment on the module's private Redis (closed after the test)."""
    made: list[Deployment] = []

    def build(redis_url: str | None = None, **env: str) -> Deployment:
        deployment = Deployment(redis_url or private_redis.url, tmp_path, env)
        made.append(deployment)
        return deployment

    yield build
    for deployment in made:
        deployment.close()
