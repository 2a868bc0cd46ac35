"""Prometheus metrics: what this API process counts, plus what Redis knows.

Request counts and latency are counted here, per route template. Queue depth,
cache hits and misses, jobs run and model time per stage come from Redis at
scrape time (the workers write those counters), so every API process reports
the same cluster-wide numbers for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.deps import queue_depths
from workers.store.cache import RedisLayout


class Metrics:
    """One registry per app, so test apps do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "newsum_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "newsum_http_request_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "newsum_queue_depth", "tasks waiting per queue", ["queue"], registry=self.registry
        )
        self.cache = Gauge(
            "newsum_cache_lookups", "result cache lookups", ["outcome"], registry=self.registry
        )
        self.hit_ratio = Gauge(
            "newsum_cache_hit_ratio", "result cache hits / lookups", registry=self.registry
        )
        self.counters = Gauge(
            "newsum_events",
            "counters kept in Redis by API and workers",
            ["event"],
            registry=self.registry,
        )
        self.stage_seconds = Gauge(
            "newsum_stage_seconds_total",
            "model and pipeline time per stage",
            ["stage"],
            registry=self.registry,
        )
        self.stage_runs = Gauge(
            "newsum_stage_runs_total", "runs per stage", ["stage"], registry=self.registry
        )

    def refresh(self, client: redis.Redis, layout: RedisLayout, queues: list[str]) -> None:
        """Read the shared numbers from Redis into the gauges."""
        for queue, depth in queue_depths(client, layout, queues).items():
            self.queue_depth.labels(queue).set(depth)
        with client.pipeline(transaction=False) as pipe:
            pipe.hgetall(layout.stats)
            pipe.hgetall(layout.stage_seconds)
            pipe.hgetall(layout.stage_count)
            stats, seconds, counts = pipe.execute()
        hits, misses = int(stats.get("cache_hit", 0)), int(stats.get("cache_miss", 0))
        self.cache.labels("hit").set(hits)
        self.cache.labels("miss").set(misses)
        self.hit_ratio.set(hits / (hits + misses) if hits + misses else 0.0)
        for event, value in stats.items():
            self.counters.labels(event).set(float(value))
        for stage, value in seconds.items():
            self.stage_seconds.labels(stage).set(float(value))
        for stage, value in counts.items():
            self.stage_runs.labels(stage).set(float(value))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts requests and their latency, labelled by the matched route template."""

    def __init__(self, app: ASGIApp, metrics: Callable[[], Metrics | None]) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics = self.metrics()
            if metrics is not None:
                route = scope.get("route")
                path = getattr(route, "path", None) or "other"
                metrics.requests.labels(scope.get("method", ""), path, str(status)).inc()
                metrics.latency.labels(path).observe(time.perf_counter() - started)
