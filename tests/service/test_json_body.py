"""service.json_body: depth measured without recursion, lone surrogates named by field,
and a JSON-only route class."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from service.errors import install_error_handlers
from service.json_body import (
    MAX_DEPTH,
    SafeJSONRoute,
    nesting_depth_over,
    read_json,
    surrogate_path,
)
from workers.errors import InvalidRequest


def nested(depth: int, inner: str = "1") -> str:
    """``depth`` levels, alternating arrays and objects."""
    text = inner
    for level in range(depth):
        text = f"[{text}]" if level % 2 else f'{{"k": {text}}}'
    return text


@pytest.mark.parametrize("depth", [1, 2, 63, 64])
def test_up_to_the_limit_reads(depth: int) -> None:
    assert not nesting_depth_over(nested(depth))
    assert read_json(nested(depth).encode()) is not None


@pytest.mark.parametrize("depth", [65, 66, 500, 1000, 100_000])
def test_deeper_is_refused_with_the_limit(depth: int) -> None:
    assert nesting_depth_over(nested(depth))
    with pytest.raises(InvalidRequest) as caught:
        read_json(nested(depth).encode())
    assert caught.value.message == "the body nests arrays and objects deeper than 64 levels"
    assert caught.value.limit == MAX_DEPTH


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"text": "[" * 500 + "{" * 500 + '\\"]', "more": ["]]]", "{{{"]})
    assert not nesting_depth_over(text)
    assert read_json(text)["more"] == ["]]]", "{{{"]


def test_unbalanced_and_broken_json_gets_the_parser_s_reason() -> None:
    for text, says in [
        ("[" * 100_000, "the body nests arrays and objects deeper than 64 levels"),
        ('{"a": 1', "the body is not valid JSON: Expecting ',' delimiter (column 8)"),
        ("][" * 100, "the body is not valid JSON: Expecting value (column 1)"),
        ('{"a": "open', "the body is not valid JSON: Unterminated string starting at (column 7)"),
        ('{\n"a": }', "the body is not valid JSON: Expecting value (line 2, column 6)"),
    ]:
        with pytest.raises(InvalidRequest) as caught:
            read_json(text.encode())
        assert caught.value.message == says, text[:20]


def test_not_utf8_is_refused_as_before() -> None:
    with pytest.raises(InvalidRequest) as caught:
        read_json(b'{"text": "' + "中文".encode("gbk") + b'"}')
    assert caught.value.message == "the body could not be read as JSON (it must be UTF-8 JSON)"


def test_a_lone_surrogate_is_named_by_its_path() -> None:
    cases: list[tuple[str, str]] = [
        ('"\\ud800"', "$"),
        ('{"text": "ok", "url": "x\\udfffy"}', "url"),
        ('{"items": [{"text": "a"}, {"text": "b"}, {"text": "\\uDBFF"}]}', "items.2.text"),
        ('{"glossary": {"\\ud800": "en"}}', "glossary.<key>"),
        ('[["a", ["\\udc00"]]]', "0.1.0"),
    ]
    for text, where in cases:
        with pytest.raises(InvalidRequest) as caught:
            read_json(text)
        assert caught.value.message == (
            f"the body: {where} holds a lone surrogate escape (\\ud800-\\udfff), "
            "which is not a character; send UTF-8 text"
        )


def test_surrogate_pairs_and_escaped_backslashes_are_text() -> None:
    assert read_json('{"t": "\\ud83d\\ude00"}') == {"t": "😀"}
    assert read_json('{"t": "\\\\ud800"}') == {"t": "\\ud800"}  # a backslash, then letters
    assert surrogate_path({"a": ["ok", {"b": "fine"}]}) is None


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("[" + ",".join(["[" * 63 + "]" * 63] * 40_000) + "]", False),  # 5 MB, 64 deep
        ("[" + "[]," * 1_600_000 + "[]]", False),
        ('["' + '\\"' * 2_500_000, True),  # an unterminated string of escapes
        ("[" * 5_000_000, True),
    ],
)
def test_the_depth_check_is_linear_on_hostile_bodies(text: str, refused: bool) -> None:
    """A level-by-level check took seconds to minutes on bodies like these (quadratic);
    one linear scan takes well under a second, even on a loaded machine."""
    started = time.monotonic()
    with pytest.raises(InvalidRequest) if refused else contextlib.nullcontext():
        read_json(text)
    assert time.monotonic() - started < 20


class _Echo(BaseModel):
    value: Any = None


def _app() -> TestClient:
    router = APIRouter(route_class=SafeJSONRoute)

    @router.post("/echo")
    async def echo(body: _Echo) -> dict[str, Any]:
        return {"value": body.value}

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    return TestClient(app)


def test_the_route_class_reads_with_the_checks_and_only_json() -> None:
    client = _app()
    assert client.post("/echo", json={"value": [1, [2]]}).json() == {"value": [1, [2]]}
    r = client.post("/echo", content=nested(70), headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "the body nests arrays and objects deeper than 64 levels"
    r = client.post(
        "/echo", content='{"value": "\\ud800"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and "value holds a lone surrogate" in r.json()["error"]["message"]
    r = client.post("/echo", content='{"value": 1}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["error"] == {
        "code": "unsupported_media_type",
        "message": "the body must be JSON: send Content-Type: application/json "
        "(this request's is text/plain)",
        "limit": None,
    }
    r = client.post(
        "/echo", content='{"value": 2}', headers={"Content-Type": "application/merge-patch+json"}
    )
    assert r.status_code == 200 and r.json() == {"value": 2}
