"""Security headers, CORS, and refusing compressed request bodies.

Headers on every response:

* ``Content-Security-Policy``: scripts, styles, fetches only from this origin
  (the page has no inline script or style: ``index.html`` loads ``app.js`` and
  ``style.css``, and ``app.js`` builds the page with ``textContent``), no
  plugins, no ``<base>``, and ``frame-ancestors 'none'``. The API docs
  (``/docs``, ``/redoc``) load Swagger UI from its CDN with an inline script,
  so they get only ``frame-ancestors 'none'``.
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer``, ``Cross-Origin-Opener-Policy: same-origin``.

CORS (``NEWSUM_CORS_ORIGINS``, comma-separated): off by default (same origin
only); the listed origins may call the API with the key headers.

Keys before bodies (``KeyFirst``): a POST to ``/v1/summaries`` or ``/v1/batches``,
and a LibreTranslate POST with a key in its headers, has its key (and rate) checked
before a byte of its body is read: a keyless 19 MB post costs a header read.

On loopback (``newsum serve --host 127.0.0.1``, ``LoopbackGuard``): the Host header
must be one of the server's own names (127.0.0.1, localhost, [::1]; any port),
so a DNS-rebinding page cannot reach it under its own domain; and a write
(POST) whose ``Origin`` is not the server's own (nor in ``NEWSUM_CORS_ORIGINS``)
is refused with 403, so a page a local user visits cannot submit batches. Clients
that send no Origin (scripts, LibreTranslate's clients) are not affected.

Compressed request bodies (``Content-Encoding`` other than ``identity``) are
refused with 415 before a byte is read: the server never inflates a body, so a
gzip bomb costs it nothing (and the byte limit counts what arrives).

The request body limit (``NEWSUM_MAX_BODY_BYTES``) is Starlette's
``RequestBodyLimitMiddleware``: a body over it gets 413, whether its
Content-Length says so or it streams in (chunked) past the limit. Starlette
answers the first case itself, in plain text; ``BodyLimitInOurShape`` rewords
that answer into the API's error shape (a streamed one already reaches
``service.errors`` as an HTTPException).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

import redis
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import CHECKED_CALLER, Access, authorize, needs_check, presented_key
from service.deps import ServiceState
from service.errors import (
    LibreTranslateError,
    body_too_large,
    error_response,
    is_libretranslate_path,
    libretranslate_response,
)
from service.libretranslate import authorize_libre
from workers.errors import NewsumError, TransientError

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")

_COMMON: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response (unless a route set its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith(DOCS_PATHS) else PAGE_CSP
        added = [*_COMMON, (b"content-security-policy", csp.encode())]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in added if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class RefuseEncodedBodies:
    """415 for a request whose body is compressed (``Content-Encoding`` not identity)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", []):
                if name == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
                    await self._refuse(send, value.decode("latin-1"))
                    return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(send: Send, encoding: str) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "unsupported_encoding",
                    "message": f"compressed request bodies are not accepted "
                    f"(Content-Encoding: {encoding[:40]}); send the body uncompressed",
                    "limit": None,
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 415,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyLimitInOurShape:
    """Starlette's own 413 (plain text, sent for a declared Content-Length over the
    limit) reworded as ``{"error": {"code": "too_large", ..., "limit": N}}``."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wrapped = self._rewording(scope, receive, send) if scope["type"] == "http" else send
        await self.app(scope, receive, wrapped)

    def _rewording(self, scope: Scope, receive: Receive, send: Send) -> Send:
        """``send`` with a plain-text 413 start replaced by our JSON answer (and the
        plain body that follows it dropped)."""
        reworded = False

        async def in_our_shape(message: Message) -> None:
            nonlocal reworded
            if message["type"] == "http.response.start" and _is_plain_413(message):
                reworded = True
                libre = is_libretranslate_path(scope.get("path", ""))
                await body_too_large(self.limit, libretranslate=libre)(scope, receive, send)
            elif not reworded:
                await send(message)

        return in_our_shape


def _is_plain_413(start: Message) -> bool:
    if start["status"] != 413:
        return False
    types = [v for k, v in start.get("headers", []) if k.lower() == b"content-type"]
    return any(v.startswith(b"text/plain") for v in types)


def install_body_limit(app: FastAPI, limit: int) -> None:
    """413 for a request body over ``limit`` bytes (Starlette's limit, our error shape)."""
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=limit)
    app.add_middleware(BodyLimitInOurShape, limit=limit)


def cors_origins(setting: str) -> list[str]:
    """``NEWSUM_CORS_ORIGINS`` as a list (empty: no cross-origin calls)."""
    return [o.strip().rstrip("/") for o in setting.split(",") if o.strip()]


def install_security(app: FastAPI, cors: str) -> None:
    """Add CORS (if configured), the security headers and the encoded-body refusal."""
    origins = cors_origins(cors)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            expose_headers=["Location", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RefuseEncodedBodies)
    app.add_middleware(SecurityHeadersMiddleware)


class Forbidden(NewsumError, code="forbidden", status=403):
    """A request this server refuses to serve whoever sends it (403)."""


def _refusal(path: str, error: NewsumError, *, close: bool = False) -> JSONResponse:
    """``error`` in the shape of ``path``'s API (LibreTranslate's on its paths)."""
    retry = getattr(error, "retry_after_s", None)
    if is_libretranslate_path(path):
        response = libretranslate_response(error.http_status, error.message, retry_after_s=retry)
    else:
        response = error_response(error.to_body(), error.http_status, retry_after_s=retry)
    if close:  # the body was not read: the connection cannot carry another request
        response.headers["Connection"] = "close"
    return response


# The POST routes whose key travels in the headers only, and the access each needs.
KEY_FIRST_ROUTES: dict[str, Access] = {"/v1/summaries": "interactive", "/v1/batches": "batch"}


class KeyFirst:
    """Checks the caller's key and rate before the body is read, and leaves the caller
    for the route (``service.auth.pre_checked``), so nothing is counted twice.

    LibreTranslate's routes are checked here only when the key is in a header: their
    clients may put ``api_key`` in the body, which has to be read to find it."""

    def __init__(self, app: ASGIApp, state: ServiceState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        access = self._access(scope)
        if access is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # headers only: no receive, so no body
        if not needs_check(self.state, request, access):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        try:
            if is_libretranslate_path(path):
                caller = await run_in_threadpool(authorize_libre, self.state, request, None)
            else:
                caller = await run_in_threadpool(authorize, self.state, request, access)
        except LibreTranslateError as exc:
            response = libretranslate_response(
                exc.status, exc.message, retry_after_s=exc.retry_after_s
            )
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        except NewsumError as exc:
            await _refusal(path, exc, close=True)(scope, receive, send)
            return
        except redis.RedisError as exc:
            error = TransientError(f"the job store (Redis) is not answering: {exc}")
            await _refusal(path, error, close=True)(scope, receive, send)
            return
        scope.setdefault("state", {})[CHECKED_CALLER] = (caller,)
        await self.app(scope, receive, send)

    @staticmethod
    def _access(scope: Scope) -> Access | None:
        """The access a POST needs checked before its body, or None (no check here)."""
        if scope["type"] != "http" or scope.get("method") != "POST":
            return None
        path: str = scope.get("path", "")
        if path in KEY_FIRST_ROUTES:
            return KEY_FIRST_ROUTES[path]
        if is_libretranslate_path(path) and presented_key(Request(scope)) is not None:
            return "interactive"
        return None


def install_key_first(app: FastAPI, state: ServiceState) -> None:
    """Check keys before bodies are read (``KeyFirst``)."""
    app.add_middleware(KeyFirst, state=state)


# ------------------------------------------------------------------ loopback

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _host_and_port(value: str) -> tuple[str, int | None] | None:
    """``"localhost:8000"`` → ("localhost", 8000); None when the port is not a number."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        name += "]"
    else:
        name, colon, port = value.partition(":")
        rest = colon + port
    if not rest:
        return name, None
    if not rest.startswith(":") or not rest[1:].isdigit():
        return None
    return name, int(rest[1:])


class LoopbackGuard:
    """For a server on a loopback address: 403 for a Host that is not one of its own
    names (DNS rebinding) and for a write from another Origin (a cross-site form)."""

    def __init__(self, app: ASGIApp, port: int, names: Iterable[str], origins: Iterable[str]):
        self.app = app
        self.port = port
        self.names = frozenset(n.lower() for n in names)
        self.origins = frozenset(origins)

    def own_host(self, value: str) -> bool:
        """One of the server's names, on any port (an SSH tunnel may forward another
        port to it; a rebinding page's Host carries the attacker's name)."""
        parsed = _host_and_port(value)
        return parsed is not None and parsed[0] in self.names

    def own_origin(self, origin: str, host: str | None = None) -> bool:
        """The origin of the page the server itself serves: http on one of its names,
        with its port or with the port in the request's ``host``; or a CORS origin."""
        origin = origin.strip().rstrip("/")
        if origin in self.origins:
            return True
        parts = urlsplit(origin)
        parsed = _host_and_port(parts.netloc)
        if parts.scheme != "http" or parsed is None or parsed[0] not in self.names:
            return False
        served = _host_and_port(host or "")
        return parsed[1] in (None, self.port) or (served is not None and parsed[1] == served[1])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host, origin = headers.get("host"), headers.get("origin")
        reason = None
        if host is not None and not self.own_host(host):
            reason = (
                f"this server answers only to its own names ({', '.join(sorted(self.names))}), "
                f"not to Host {host[:100]!r}"
            )
        elif (
            scope["method"] not in SAFE_METHODS
            and origin is not None
            and not self.own_origin(origin, host)
        ):
            reason = (
                f"a write from another site (Origin {origin[:100]!r}) is refused; "
                "allow it in NEWSUM_CORS_ORIGINS if it is yours"
            )
        if reason is None:
            await self.app(scope, receive, send)
            return
        await _refusal(scope["path"], Forbidden(reason), close=True)(scope, receive, send)


def install_loopback_guard(app: FastAPI, host: str, port: int, cors: str) -> None:
    """Guard a server bound to ``host``:``port`` on loopback (``LoopbackGuard``)."""
    names = {*LOOPBACK_NAMES, f"[{host}]" if ":" in host else host}
    app.add_middleware(LoopbackGuard, port=port, names=sorted(names), origins=cors_origins(cors))
