"""Reading a JSON request body without letting its shape crash or stall the API.

``json.loads`` alone lets two kinds of body through to a 500:

* nesting: ``[[[[…]]]]`` a thousand deep raises RecursionError in the parser, and a
  few hundred deep passes the parser but not the code that walks the value later;
* lone surrogates: the escape ``"\\ud800"`` is valid JSON but gives a ``str`` that
  cannot be encoded as UTF-8 (the request key's digest raised UnicodeEncodeError).

:func:`read_json` refuses both with :class:`InvalidRequest` (422) naming the
reason, and the field for a surrogate (``items.3.text``). The depth is measured
before parsing and without recursion, by one regular expression that reads
strings whole and brackets ``MAX_DEPTH`` levels deep with possessive loops only
(linear: removing bracket pairs level by level took 27 s on a hostile 19 MB
body). A surrogate can only come from a ``\\uD800``-``\\uDFFF`` escape
(strict UTF-8 decoding refuses encoded ones), so the parsed value is searched
only when the text holds such an escape.

:func:`json_of` and ``SafeJSONRoute`` parse in a worker thread, off the event
loop. That keeps the loop free while a big body of long strings is read; the C
parser and the regular expression hold the GIL, though, so a body of millions of
tiny arrays still stalls the loop for as long as it parses (about 1.5 s for 5 MB
here): the byte limits bound it (NEWSUM_MAX_BODY_BYTES; LibreTranslate's routes
take no more than their character limit can need). ``SafeJSONRoute`` is the
route class of routers whose endpoints take a pydantic body: FastAPI then reads
the body with :func:`read_json`, and refuses a non-JSON content type with 415.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from workers.errors import InvalidRequest, NewsumError

# Deeper than any request newsum defines (a batch item's glossary is 4 levels down).
MAX_DEPTH = 64

# Text between brackets: whole strings (escapes and all) and anything but a bracket.
_FLAT = r'(?:"[^"\\]*+(?:\\.[^"\\]*+)*+"|[^"\[\]{}])*+'
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
JSON_TYPE = "application/json"


class UnsupportedMediaType(NewsumError, code="unsupported_media_type", status=415):
    """A body in a content type the endpoint does not read (415)."""


def media_type(request: Request) -> str:
    """The request's content type without parameters, lower-cased ("" when absent)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_json_type(ctype: str) -> bool:
    """``application/json`` or any ``application/…+json``."""
    return ctype == JSON_TYPE or (ctype.startswith("application/") and ctype.endswith("+json"))


def nesting_depth_over(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` is not JSON nested at most ``limit`` deep: True for a deeper
    value, and for some texts that are not JSON at all (the parser then says which).

    One pass of a regular expression that reads strings whole and brackets to
    ``limit`` levels, with possessive loops only: linear in the text, no recursion."""
    if text.count("[") + text.count("{") <= limit:
        return False
    return _nesting(limit).fullmatch(text) is None


@functools.lru_cache(maxsize=4)
def _nesting(limit: int) -> re.Pattern[str]:
    """JSON text whose arrays and objects nest at most ``limit`` deep."""
    group = r"[\[{]" + _FLAT + r"[\]}]"
    for _ in range(limit - 1):
        group = r"[\[{]" + _FLAT + r"(?:" + group + _FLAT + r")*+[\]}]"
    return re.compile(_FLAT + r"(?:" + group + _FLAT + r")*+", re.DOTALL)


def surrogate_path(value: Any) -> str | None:
    """Where in ``value`` the first string (or object key) with a lone surrogate is:
    ``items.3.text``; ``$`` for the value itself; None when there is none. Iterative."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path or "$"
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                where = f"{path}.{key}" if path else str(key)
                if _SURROGATE.search(key):
                    return f"{path}.<key>" if path else "<key>"
                stack.append((where, child))
        elif isinstance(item, list):
            for index in range(len(item) - 1, -1, -1):
                stack.append((f"{path}.{index}" if path else str(index), item[index]))
    return None


def read_json(raw: bytes | str, *, what: str = "the body", max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of ``raw`` (UTF-8, a BOM allowed), or InvalidRequest (422)
    saying why: not UTF-8, not JSON, nested deeper than ``max_depth``, or a string
    with a lone surrogate (the field named)."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # the answer the API gave before (README's table)
            raise InvalidRequest(
                f"{what} could not be read as JSON (it must be UTF-8 JSON)"
            ) from None
    else:
        text = raw
    too_deep = InvalidRequest(
        f"{what} nests arrays and objects deeper than {max_depth} levels", limit=max_depth
    )
    suspect = nesting_depth_over(text, max_depth)
    try:
        value = json.loads(text)  # also for a suspect text: is it deep, or not JSON?
    except json.JSONDecodeError as exc:
        where = (
            f"column {exc.colno}" if exc.lineno == 1 else f"line {exc.lineno}, column {exc.colno}"
        )
        raise InvalidRequest(f"{what} is not valid JSON: {exc.msg} ({where})") from None
    except RecursionError:
        raise too_deep from None
    if suspect:
        raise too_deep
    if _SURROGATE_ESCAPE.search(text):
        field = surrogate_path(value)
        if field is not None:
            raise InvalidRequest(
                f"{what}: {field} holds a lone surrogate escape (\\ud800-\\udfff), "
                "which is not a character; send UTF-8 text"
            )
    return value


async def json_of(request: Request, *, what: str = "the body") -> Any:
    """The request body read by :func:`read_json`, parsed off the event loop."""
    raw = await request.body()
    return await run_in_threadpool(read_json, raw, what=what)


class _Refused(HTTPException):
    """Carries our error through FastAPI's body reading (which turns anything but an
    HTTPException into a plain 400); ``SafeJSONRoute`` raises the error itself."""

    def __init__(self, error: NewsumError) -> None:
        super().__init__(error.http_status, error.message)
        self.error = error


class _SafeJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = await json_of(self)
            except NewsumError as exc:
                raise _Refused(exc) from None
        return self._json


class SafeJSONRoute(APIRoute):
    """A route whose JSON body FastAPI reads with :func:`read_json` (off the loop),
    and whose POST bodies must be JSON (415 otherwise)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if request.method == "POST" and not is_json_type(media_type(request)):
                shown = media_type(request) or "none"
                raise UnsupportedMediaType(
                    f"the body must be JSON: send Content-Type: application/json "
                    f"(this request's is {shown})"
                )
            try:
                return await original(_SafeJSONRequest(request.scope, request.receive))
            except _Refused as exc:
                raise exc.error from None

        return handler
