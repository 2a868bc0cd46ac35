"""A bounded load test of the service: loopback only, fixed counts, a time cap.

    .venv/bin/python -m bench.load                    # its own stack; ~1-2 min on 2 cores
    .venv/bin/python -m bench.load --clients 20 --burst 100 --hits 5   # smaller
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000        # a running stack

Without ``--url`` it starts its own stack and stops it at the end: a private
``redis-server`` on a free loopback port (AOF on, in a temp dir), one offline
worker process (``python -m service.commands worker``) and the API under
uvicorn (``--factory service.app:create_app``, the production command), with
``NEWSUM_MAX_QUEUE_DEPTH`` set so back-pressure shows.

Phases:

1. ``cache``: ``--articles`` distinct articles are summarized once (warm-up),
   then ``--clients`` concurrent clients each POST them ``--hits`` times:
   every answer is a cache hit (200);
2. ``burst``: ``--burst`` distinct new articles POSTed at once (``wait`` 0) by
   ``--clients`` clients: each is 202 (queued), 200 (already done) or 429 (the
   interactive queue is over ``NEWSUM_MAX_QUEUE_DEPTH``: intended back-pressure);
3. ``batch``: the same ``--burst`` articles as one batch: accepted whole (202)
   however deep the queue.

It prints, per phase, the status counts, errors (anything else than the
expected statuses: must be 0), p50/p99/max latency and requests a second, then
Redis's memory. Exit status 1 if there were errors. Every request has a
timeout and the run a cap (``--max-seconds``): it always stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import redis

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED = REPO_ROOT / "../shared/data/articles/jiaxing-theme-education-2020-01-09.txt"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
REQUEST_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sentences() -> list[str]:
    import re

    text = SEED.read_text(encoding="utf-8")
    return [s.strip() for s in re.findall(r"[^。！？]+[。！？]”?", text) if len(s.strip()) > 8]


def make_article(n: int, tag: str) -> str:
    """A distinct short Chinese article: four sentences of the seed article and a tag."""
    sentences = _sentences()
    picked = [sentences[(n + i) % len(sentences)] for i in range(4)]
    return f"{tag}第{n}篇。" + "\n".join(picked)


@dataclass
class Phase:
    """What one phase saw."""

    name: str
    expected: frozenset[int]
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        unexpected = sum(n for code, n in self.statuses.items() if code not in self.expected)
        return unexpected + sum(self.failures.values())

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

        count = len(ordered) + sum(self.failures.values())
        return {
            "phase": self.name,
            "requests": count,
            "statuses": dict(sorted(self.statuses.items())),
            "errors": self.errors,
            "failures": dict(self.failures),
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": round(1000 * ordered[-1], 1) if ordered else None,
            "mean_ms": round(1000 * statistics.fmean(ordered), 1) if ordered else None,
            "seconds": round(self.seconds, 2),
            "per_second": round(count / self.seconds, 1) if self.seconds else None,
        }


async def _post(client: httpx.AsyncClient, phase: Phase, path: str, body: Any) -> None:
    started = time.perf_counter()
    try:
        response = await client.post(path, json=body)
    except httpx.HTTPError as exc:
        phase.failures[type(exc).__name__] += 1
        return
    phase.latencies.append(time.perf_counter() - started)
    phase.statuses[response.status_code] += 1
    if response.status_code == 429 and not response.headers.get("retry-after"):
        phase.failures["429 without Retry-After"] += 1


async def _run_clients(
    client: httpx.AsyncClient, phase: Phase, jobs: list[tuple[str, Any]], clients: int
) -> None:
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def one_client() -> None:
        while True:
            try:
                path, body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await _post(client, phase, path, body)

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    phase.seconds = time.perf_counter() - started


async def run_load(url: str, clients: int, articles: int, hits: int, burst: int) -> list[Phase]:
    """The three phases against ``url``; returns what each saw."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits, trust_env=False
    ) as client:
        warm = [make_article(i, "缓存") for i in range(articles)]
        for text in warm:  # each summarized once, so phase 1 is all cache hits
            response = await client.post(
                "/v1/summaries", json={"text": text, "wait": 60}, timeout=90
            )
            if response.status_code != 200:
                raise RuntimeError(f"warm-up failed: {response.status_code} {response.text}")
        cache = Phase("cache hits", frozenset({200}))
        jobs = [("/v1/summaries", {"text": warm[i % articles]}) for i in range(clients * hits)]
        await _run_clients(client, cache, jobs, clients)

        fresh = [make_article(10_000 + i, "突发") for i in range(burst)]
        # 200: the worker finished it before the API answered (wait 0 still looks once).
        submit = Phase("burst of submissions", frozenset({200, 202, 429}))
        await _run_clients(
            client, submit, [("/v1/summaries", {"text": t, "wait": 0}) for t in fresh], clients
        )

        batch = Phase("the same burst as one batch", frozenset({202}))
        await _run_clients(
            client, batch, [("/v1/batches", {"items": [{"text": t} for t in fresh]})], 1
        )
    return [cache, submit, batch]


def redis_memory(client: redis.Redis) -> dict[str, Any]:
    info = client.info("memory")
    return {
        "used_memory_human": info.get("used_memory_human"),
        "used_memory_peak_human": info.get("used_memory_peak_human"),
        "keys": int(client.dbsize()),
    }


class OwnStack:
    """redis-server + one offline worker + the API (uvicorn), all on loopback."""

    def __init__(self, max_queue_depth: int) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="newsum-load-"))
        self.redis_port = _free_port()
        self.api_port = _free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")},
            "NEWSUM_REDIS_URL": self.redis_url,
            "NEWSUM_MODEL_DIR": str(self.home / "no-models"),
            "NEWSUM_MAX_QUEUE_DEPTH": str(max_queue_depth),
            "NEWSUM_ANONYMOUS": "all",  # the load test posts a batch without a key
            "PYTHONPATH": str(REPO_ROOT),
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def _spawn(self, command: list[str], log: str) -> subprocess.Popen[bytes]:
        with (self.home / log).open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def start(self, timeout_s: float = 120) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            from workers.store.embedded_redis import redis_server_binary

            binary = redis_server_binary()
        self._spawn(
            [
                binary,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.home),
            ],
            "redis.log",
        )
        client = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)
        python = sys.executable
        self._spawn(
            [python, "-m", "service.commands", "worker", "--profile=offline", "--concurrency=1"],
            "worker.log",
        )
        self._spawn(
            [
                python,
                "-m",
                "uvicorn",
                "--factory",
                "service.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--log-level",
                "warning",
            ],
            "api.log",
        )
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args!r} exited; logs in {self.home}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the stack was not ready in {timeout_s:.0f} s; logs in {self.home}"
                )
            time.sleep(0.3)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)
        shutil.rmtree(self.home, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running service on loopback; default: start one")
    parser.add_argument("--redis-url", help="its Redis, for the memory figure (with --url)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20, help="distinct cached articles")
    parser.add_argument("--hits", type=int, default=10, help="cache-hit requests per client")
    parser.add_argument("--burst", type=int, default=1000, help="submissions in the burst")
    parser.add_argument("--max-queue-depth", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=300.0, help="hard cap on the run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    stack: OwnStack | None = None
    if args.url:
        host = urlsplit(args.url).hostname or ""
        if host not in LOOPBACK:
            parser.error(f"--url must be on loopback ({', '.join(sorted(LOOPBACK))}), not {host}")
        url, redis_url = args.url.rstrip("/"), args.redis_url
    else:
        stack = OwnStack(args.max_queue_depth)
        stack.start()
        url, redis_url = stack.url, stack.redis_url
    try:
        phases = asyncio.run(
            asyncio.wait_for(
                run_load(url, args.clients, args.articles, args.hits, args.burst),
                timeout=args.max_seconds,
            )
        )
        memory = redis_memory(redis.Redis.from_url(redis_url)) if redis_url else None
    finally:
        if stack is not None:
            stack.stop()
    report = {
        "clients": args.clients,
        "max_queue_depth": args.max_queue_depth if stack else None,
        "phases": [p.summary() for p in phases],
        "redis": memory,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"newsum load test: {args.clients} concurrent clients, loopback {url}")
        for row in report["phases"]:
            print(
                f"  {row['phase']:<28} {row['requests']:>5} requests in {row['seconds']:>6.2f} s "
                f"({row['per_second']}/s)  statuses {row['statuses']}  errors {row['errors']}  "
                f"p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms  max {row['max_ms']} ms"
            )
        if memory:
            print(
                f"  redis: used {memory['used_memory_human']}, peak "
                f"{memory['used_memory_peak_human']}, {memory['keys']} keys"
            )
    return 1 if any(p.errors for p in phases) else 0


if __name__ == "__main__":
    sys.exit(main())
