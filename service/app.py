"""The FastAPI app, built by ``create_app`` (nothing happens at import).

The API never loads a model and never imports torch: it validates, looks in
the cache, attaches to a running job or sends a task by name, and reads job
records. See DESIGN.md for the flow and ``service.routes`` for each resource.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.deps import CeleryQueue, ServiceLimits, ServiceState, TaskQueue
from service.errors import install_error_handlers
from service.metrics import Metrics, MetricsMiddleware
from service.routes import batches, health, summaries, translate
from service.security import install_security
from workers.queue.celery_app import create_celery
from workers.settings import Settings, load_settings
from workers.store.cache import connect_redis

STATIC_DIR = Path(__file__).parent / "static"


class WebPageMount(Mount):
    """The web page's files at "/", tried only when no API route answers the path.

    A mount at "/" matches every path in full, so an API path asked with the wrong
    method (``GET /v1/summaries``) would fall through to the files and read 404.
    Matching only partially, the page lets the router answer such a request with
    the API route's own 405 and ``Allow`` header; any other path still reaches it.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        return (Match.PARTIAL if match is Match.FULL else match), child_scope


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 for a body over ``limit`` bytes, by Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "too_large",
                    "message": f"the request body is over {self.limit:,} bytes "
                    "(NEWSUM_MAX_BODY_BYTES)",
                    "limit": self.limit,
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(send)
                return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)


def create_app(
    settings: Settings | None = None,
    *,
    queue: TaskQueue | None = None,
    client: redis.Redis | None = None,
    limits: ServiceLimits | None = None,
) -> FastAPI:
    """The API. ``queue`` and ``client`` default to Celery and Redis at NEWSUM_REDIS_URL;
    tests pass a fake queue (and tighter ``limits``). Connections open lazily."""
    settings = settings or load_settings()
    if (client is None or queue is None) and not settings.redis_url:
        raise ValueError("the API needs NEWSUM_REDIS_URL (or run `newsum serve`)")
    client = client or connect_redis(str(settings.redis_url))
    queue = queue or CeleryQueue(create_celery(settings))
    metrics = Metrics()
    limits = limits or ServiceLimits.from_settings(settings)
    state = ServiceState.build(settings, client, queue, metrics, limits)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        client.close()

    app = FastAPI(
        title="newsum",
        summary="Chinese news reports in, faithful English briefs out",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.newsum = state
    install_error_handlers(app)
    for module in (summaries, batches, translate, health):
        app.include_router(module.router)
    # The web page comes last and matches only partially: every API route wins over a
    # file name, and a wrong method on an API path gets 405 rather than the page's 404.
    app.router.routes.append(
        WebPageMount(
            "/", app=StaticFiles(directory=STATIC_DIR, html=True, check_dir=False), name="static"
        )
    )
    app.add_middleware(MetricsMiddleware, metrics=lambda: metrics)
    app.add_middleware(BodyLimitMiddleware, limit=limits.max_body_bytes)
    install_security(app, settings.cors_origins)
    return app
