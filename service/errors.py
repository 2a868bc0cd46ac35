"""Errors to HTTP, in one place, with one body shape::

    {"error": {"code": "...", "message": "...", "limit": 123 | null}}

The status is the error class's own ``http_status`` (the tree with each class's
code and status is drawn in ``workers.errors``); a failed job's stored body,
which keeps only the code, gets the status of the class with that code. Then:

    Redis not answering       503 + Retry-After (as TransientError)
    a 503 or a 429            + Retry-After
    Starlette's HTTP errors   their status: 404, 405 (+ Allow), 413 (the body over
                              NEWSUM_MAX_BODY_BYTES, limit named)
    anything else             500 (logged once, with the traceback, here)

LibreTranslate's routes answer in its own shape, ``{"error": "message"}``
(``LibreTranslateError``), because clients of that API parse exactly that.
"""

from __future__ import annotations

import logging

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from workers.contract import ErrorBody
from workers.errors import InputTooLarge, NewsumError, TransientError, status_for_code

log = logging.getLogger("newsum.api")

RETRY_AFTER_S = 5


class NotFound(NewsumError, code="not_found", status=404): ...


class LibreTranslateError(Exception):
    """An error on the LibreTranslate-compatible routes: ``{"error": message}``;
    429s and 503s carry Retry-After (``retry_after_s``, default RETRY_AFTER_S)."""

    def __init__(self, status: int, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after_s = retry_after_s


# LibreTranslate's paths: every error there, whatever raised it, is {"error": message}.
LIBRETRANSLATE_PATHS = frozenset(
    {"/translate", "/detect", "/languages", "/translate_file", "/frontend/settings", "/health"}
)


def is_libretranslate_path(path: str) -> bool:
    return path in LIBRETRANSLATE_PATHS or path.startswith("/download_file/")


def libretranslate_response(
    status: int, message: str, *, retry_after_s: int | None = None
) -> JSONResponse:
    """LibreTranslate's error shape; 429s and 503s carry Retry-After."""
    headers = None
    if status in (429, 503):
        headers = {"Retry-After": str(retry_after_s or RETRY_AFTER_S)}
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def status_for(code: str) -> int:
    """The HTTP status of an error by its code (a failed job's stored body has no class)."""
    return status_for_code(code)


def error_response(
    body: ErrorBody, status: int | None = None, *, retry_after_s: int | None = None, **extra: object
) -> JSONResponse:
    """The one error shape; 503s and 429s carry Retry-After."""
    status = status or status_for(body.code)
    headers: dict[str, str] | None = None
    if status in (503, 429):
        headers = {"Retry-After": str(retry_after_s or RETRY_AFTER_S)}
    elif status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    content: dict[str, object] = {"error": body.model_dump()}
    content.update(extra)
    return JSONResponse(content, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception to the one JSON shape."""

    @app.exception_handler(NewsumError)
    async def _newsum(request: Request, exc: NewsumError) -> JSONResponse:
        retry = getattr(exc, "retry_after_s", None)
        if is_libretranslate_path(request.url.path):
            return libretranslate_response(exc.http_status, exc.message, retry_after_s=retry)
        return error_response(
            exc.to_body(), exc.http_status, retry_after_s=getattr(exc, "retry_after_s", None)
        )

    @app.exception_handler(redis.RedisError)
    async def _redis(request: Request, exc: redis.RedisError) -> JSONResponse:
        log.warning("Redis is not answering: %s", exc)
        error = TransientError(f"the job store (Redis) is not answering: {exc}")
        if is_libretranslate_path(request.url.path):
            return libretranslate_response(error.http_status, error.message)
        return error_response(error.to_body(), error.http_status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(ErrorBody(code="invalid_request", message=_validation_message(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # FastAPI's answer to a body that is not UTF-8 JSON: one shape, one status.
            body = ErrorBody(
                code="invalid_request",
                message="the body could not be read as JSON (it must be UTF-8 JSON)",
            )
            return error_response(body)
        if exc.status_code == 413:
            # Starlette's body limit, counted as the body streamed in: our shape, limit named.
            return body_too_large(
                request.app.state.newsum.limits.max_body_bytes,
                libretranslate=is_libretranslate_path(request.url.path),
            )
        if is_libretranslate_path(request.url.path):
            response = libretranslate_response(exc.status_code, str(exc.detail))
            response.headers.update(exc.headers or {})
            return response
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = error_response(ErrorBody(code=code, message=str(exc.detail)), exc.status_code)
        # Starlette's own headers, such as a 405's Allow, go out with the error.
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(LibreTranslateError)
    async def _libre(_: Request, exc: LibreTranslateError) -> JSONResponse:
        return libretranslate_response(exc.status, exc.message, retry_after_s=exc.retry_after_s)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        if is_libretranslate_path(request.url.path):
            return libretranslate_response(500, "internal error; see the server log")
        return error_response(
            ErrorBody(code="internal", message="internal error; see the server log")
        )


def too_large(what: str, size: int, limit: int, variable: str) -> InputTooLarge:
    """An InputTooLarge naming what, how big, the limit and the variable that sets it."""
    return InputTooLarge(
        f"{what} is {size:,}; the limit is {limit:,} ({variable})",
        limit=limit,
    )


def body_too_large(limit: int, *, libretranslate: bool = False) -> JSONResponse:
    """The answer to a request body over NEWSUM_MAX_BODY_BYTES (413, the limit named;
    LibreTranslate's shape on its paths)."""
    error = InputTooLarge(
        f"the request body is over {limit:,} bytes (NEWSUM_MAX_BODY_BYTES)", limit=limit
    )
    if libretranslate:
        response = libretranslate_response(error.http_status, error.message)
    else:
        response = error_response(error.to_body(), error.http_status)
    # The rest of the body is not read: the connection cannot carry another request.
    response.headers["Connection"] = "close"
    return response
