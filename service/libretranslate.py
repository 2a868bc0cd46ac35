"""LibreTranslate's request shape: where its clients put each parameter, its
language codes, and who the caller is.

LibreTranslate 1.9 reads a JSON body when the request is JSON, else the form
fields over the query string; ``api_key`` travels the same way (it has no
header). ``libretranslatepy`` posts a form (and sends ``/languages`` as a GET
with a form body), ``deep-translator`` posts everything in the query string,
browsers and scripts post JSON. newsum's own ``Authorization: Bearer`` and
``X-API-Key`` headers work here too, and win over ``api_key``.

Access, in LibreTranslate's words and codes: an unknown or revoked key is 403
"Invalid API key"; no key where one is needed (``NEWSUM_ANONYMOUS=none``) is 400
"Please contact the server operator to get an API key"; over the rate is 429
"Slowdown: …". ``/languages``, ``/frontend/settings`` and ``/health`` need no
key (clients read them to learn whether one is needed); a key given there is
still checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from service.auth import (
    ApiKey,
    RateLimited,
    Unauthorized,
    authorize,
    needs_check,
    pre_checked,
    presented_key,
)
from service.deps import ServiceState
from service.errors import LibreTranslateError
from service.json_body import read_json
from service.schemas import DetectedLanguage, Language
from workers.article.language import han_ratio
from workers.errors import InvalidRequest

# Source codes, lower-cased: LibreTranslate 1.9 lists Chinese as zh-Hans and
# zh-Hant (its older releases as zh and zt); zh-CN and zh-TW are what
# browsers and subtitle tools send. One model (opus-mt-zh-en) reads them all.
CHINESE_CODES = frozenset({"zh", "zh-hans", "zh-cn", "zh-hant", "zh-tw", "zt"})
SOURCES = CHINESE_CODES | {"auto"}
TARGETS = frozenset({"en"})
# What /languages lists, LibreTranslate 1.9's codes first, then the older ones
# that its clients still send (deep-translator's table says "zh").
LANGUAGES = [
    Language(code="zh-Hans", name="Chinese", targets=["en"]),
    Language(code="zh-Hant", name="Chinese (traditional)", targets=["en"]),
    Language(code="zh", name="Chinese", targets=["en"]),
    Language(code="zt", name="Chinese (traditional)", targets=["en"]),
    Language(code="en", name="English", targets=[]),
]
FORMATS = ("text", "html")
# LibreTranslate's default --alternatives-limit.
MAX_ALTERNATIVES = 3
CHINESE_RATIO = 0.3
NEED_KEY = "Please contact the server operator to get an API key"


@dataclass
class LibreParams:
    """A request's parameters, wherever the client put them."""

    values: dict[str, Any]
    files: dict[str, UploadFile] = field(default_factory=dict)

    def text(self, name: str) -> str:
        """A parameter as a stripped string ("" when absent)."""
        value = self.values.get(name)
        return value.strip() if isinstance(value, str) else ""

    @property
    def api_key(self) -> str | None:
        """``api_key`` as LibreTranslate reads it; an empty one is no key."""
        return self.text("api_key") or None


def text_body_limit(max_chars: int) -> int:
    """The most bytes a /translate or /detect body can need for ``max_chars``
    characters: six a character (a ``\\uXXXX`` escape), and 64 KiB for the rest."""
    return max_chars * 6 + 65_536


def _over(limit: int) -> LibreTranslateError:
    return LibreTranslateError(
        413,
        f"Invalid request: the body is over {limit:,} bytes, more than the text limit "
        "(NEWSUM_MAX_CHARS) can need",
    )


async def _body(request: Request, max_bytes: int | None) -> bytes:
    """The body, read no further than ``max_bytes`` (413 past it)."""
    if max_bytes is None:
        return await request.body()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _over(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_params(request: Request, *, max_bytes: int | None = None) -> LibreParams:
    """JSON body when the request is JSON (or an untyped body that parses as JSON),
    else the form fields over the query string, as LibreTranslate reads them.
    ``max_bytes``: a body declared or found longer is refused (413) unread."""
    query: dict[str, Any] = dict(request.query_params)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    if max_bytes is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _over(max_bytes)
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        values = dict(query)
        files: dict[str, UploadFile] = {}
        for name, value in form.multi_items():
            if isinstance(value, str):
                values[name] = value
            else:
                files[name] = value
        many = [v for v in form.getlist("q") if isinstance(v, str)]
        if len(many) > 1:
            values["q"] = many
        return LibreParams(values, files)
    body = await _body(request, max_bytes)
    if not body.strip():
        return LibreParams(query)
    try:  # off the event loop; depth and lone surrogates checked (service.json_body)
        data = await run_in_threadpool(read_json, body)
    except InvalidRequest as exc:
        raise LibreTranslateError(400, f"Invalid request: {exc.message}") from None
    if not isinstance(data, dict):
        raise LibreTranslateError(400, "Invalid JSON format")
    return LibreParams(data)


def texts_of(params: LibreParams) -> tuple[list[str], bool]:
    """``q`` as a list of texts, and whether it came as a list."""
    q = params.values.get("q")
    if q is None or q == "" or q == []:
        raise LibreTranslateError(400, "Invalid request: missing q parameter")
    if isinstance(q, str):
        return [q], False
    if isinstance(q, list) and all(isinstance(t, str) for t in q):
        return list(q), True
    raise LibreTranslateError(400, "Invalid request: q must be a string or a list of strings")


def source_of(params: LibreParams) -> str:
    """The source code, lower-cased; 400 unless it is Chinese (any code) or auto."""
    source = params.text("source")
    if not source:
        raise LibreTranslateError(400, "Invalid request: missing source parameter")
    if source.lower() not in SOURCES:
        raise LibreTranslateError(400, f"{source} is not supported")
    return source.lower()


def target_of(params: LibreParams) -> str:
    target = params.text("target")
    if not target:
        raise LibreTranslateError(400, "Invalid request: missing target parameter")
    if target.lower() not in TARGETS:
        raise LibreTranslateError(400, f"{target} is not supported")
    return target.lower()


def format_of(params: LibreParams) -> str:
    fmt = params.text("format").lower() or "text"
    if fmt not in FORMATS:
        raise LibreTranslateError(400, f"{fmt} format is not supported")
    return fmt


def alternatives_of(params: LibreParams) -> int:
    """How many alternative translations were asked for (0 to MAX_ALTERNATIVES)."""
    raw = params.values.get("alternatives", 0)
    if raw is None or raw == "":
        return 0
    try:
        wanted = max(0, int(raw))
    except (TypeError, ValueError):
        raise LibreTranslateError(
            400, "Invalid request: alternatives parameter is not a number"
        ) from None
    if wanted > MAX_ALTERNATIVES:
        raise LibreTranslateError(
            400, f"Invalid request: alternatives parameter must be <= {MAX_ALTERNATIVES}"
        )
    return wanted


def check_chars(texts: list[str], limit: int) -> None:
    chars = sum(len(t) for t in texts)
    if chars > limit:
        raise LibreTranslateError(
            400, f"Invalid request: request ({chars}) exceeds text limit ({limit})"
        )


def detect(text: str) -> DetectedLanguage:
    """zh when enough of the letters are Han characters, else en; confidence 0-100."""
    ratio = han_ratio(text)
    if ratio >= CHINESE_RATIO:
        return DetectedLanguage(confidence=round(min(1.0, ratio + 0.3) * 100, 1), language="zh")
    return DetectedLanguage(confidence=round((1.0 - ratio) * 100, 1), language="en")


# ------------------------------------------------------------------ who is calling


def authorize_libre(state: ServiceState, request: Request, key: str | None) -> ApiKey | None:
    """``authorize`` with LibreTranslate's refusals (LibreTranslateError 400, 403, 429)."""
    try:
        return authorize(state, request, "interactive", key=key)
    except Unauthorized as exc:
        if key is not None or presented_key(request) is not None:
            raise LibreTranslateError(403, "Invalid API key") from None
        raise LibreTranslateError(400, f"{NEED_KEY} ({exc.message})") from None
    except RateLimited as exc:
        raise LibreTranslateError(
            429, f"Slowdown: {exc.message}", retry_after_s=exc.retry_after_s
        ) from None


async def libre_caller(
    state: ServiceState, request: Request, params: LibreParams, *, open_route: bool = False
) -> ApiKey | None:
    """The caller's key record (None: anonymous) after the key and rate checks.

    ``open_route``: the route answers without a key (a key given is still checked).
    """
    checked = pre_checked(request)
    if checked is not None:  # a header key, checked before the body was read
        return checked[0]
    key = params.api_key
    if open_route and key is None and presented_key(request) is None:
        return None
    if not needs_check(state, request, "interactive", key=key):
        return None
    return await run_in_threadpool(authorize_libre, state, request, key)
