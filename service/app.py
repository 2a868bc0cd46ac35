"""The FastAPI app, built by ``create_app`` (nothing happens at import).

The API never loads a model and never imports torch: it validates, looks in
the cache, attaches to a running job or sends a task by name, and reads job
records. See DESIGN.md for the flow and ``service.routes`` for each resource.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match, Mount
from starlette.types import Scope

from service.deps import CeleryQueue, ServiceState, TaskQueue
from service.docs import install_docs
from service.errors import install_error_handlers
from service.metrics import Metrics, MetricsMiddleware
from service.routes import batches, health, summaries, translate
from service.security import install_body_limit, install_key_first, install_security
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


def create_app(
    settings: Settings | None = None,
    *,
    queue: TaskQueue | None = None,
    client: redis.Redis | None = None,
) -> FastAPI:
    """The API. ``queue`` and ``client`` default to Celery and Redis at NEWSUM_REDIS_URL;
    tests pass a fake queue. Connections open lazily; the limits are ``settings``'.

    The request body limit (NEWSUM_MAX_BODY_BYTES) is Starlette's
    (``service.security.install_body_limit``): a body over it, by Content-Length or
    as it streams in (chunked), is refused with 413 in our error shape."""
    settings = settings or load_settings()
    if (client is None or queue is None) and not settings.redis_url:
        raise ValueError("the API needs NEWSUM_REDIS_URL (or run `newsum serve`)")
    client = client or connect_redis(str(settings.redis_url))
    queue = queue or CeleryQueue(create_celery(settings))
    metrics = Metrics()
    state = ServiceState.build(settings, client, queue, metrics)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.updates.close()
        client.close()

    app = FastAPI(
        title="newsum",
        summary="Chinese news reports in, faithful English briefs out",
        version="0.1.0",
        lifespan=lifespan,
        # The reference pages load their assets from this server (``service.docs``).
        docs_url=None,
        redoc_url=None,
    )
    app.state.newsum = state
    install_error_handlers(app)
    install_docs(app)
    for module in (summaries, batches, translate, health):
        app.include_router(module.router)
    # The web page comes last and matches only partially: every API route wins over a
    # file name, and a wrong method on an API path gets 405 rather than the page's 404.
    app.router.routes.append(
        WebPageMount(
            "/", app=StaticFiles(directory=STATIC_DIR, html=True, check_dir=False), name="static"
        )
    )
    # Keys are checked before bodies are read; metrics count those refusals too.
    install_key_first(app, state)
    app.add_middleware(MetricsMiddleware, metrics=lambda: metrics)
    install_body_limit(app, state.limits.max_body_bytes)
    install_security(app, settings.cors_origins)
    return app
