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

from fastapi import FastAPI
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import body_too_large, is_libretranslate_path

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
