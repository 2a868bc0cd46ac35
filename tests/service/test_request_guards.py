"""service.security's request guards: keys checked before bodies (KeyFirst), the
loopback server's Host and Origin checks (LoopbackGuard), and the uvicorn settings
of ``newsum serve`` (service.server.api_server)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import KeyStore
from service.security import LoopbackGuard
from service.server import MAX_CONNECTIONS, api_server, head_timeout_protocol, is_loopback
from tests.service.test_api_unit import ARTICLE, FakeQueue
from workers.settings import Settings, load_settings
from workers.store.cache import PipelineInfo, RedisLayout, connect_redis, publish_pipeline
from workers.store.embedded_redis import EmbeddedRedis


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-guards")) as embedded:
        yield embedded.url


def _app(redis_url: str, **given: Any) -> tuple[FastAPI, Settings, KeyStore]:
    prefix = f"guard{uuid.uuid4().hex[:8]}"
    settings = load_settings(redis_url=redis_url, redis_prefix=prefix, **given)
    client = connect_redis(redis_url)
    layout = RedisLayout(prefix)
    publish_pipeline(
        client, layout, PipelineInfo("offline", "fp", [], False, []), also_as=("auto",)
    )
    return create_app(settings, queue=FakeQueue()), settings, KeyStore(client, layout)


def _call(app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], int]:
    """POST ``path`` at the ASGI level with a body the app must not ask for: (status,
    answer, times the body was asked for)."""
    asked = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": b'{"text": "x"}', "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "state": {},
        "app": app,
    }
    # A thread of its own: another test (the browser's sync API) may leave a loop
    # running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), asked


JSON = {"Content-Type": "application/json", "Content-Length": "19000000"}


def test_a_missing_or_bad_key_is_answered_before_the_body_is_read(redis_url: str) -> None:
    app, _, _ = _app(redis_url, anonymous="none")
    status, answer, asked = _call(app, "/v1/summaries", JSON)
    assert (status, answer["error"]["code"], asked) == (401, "unauthorized", 0)
    status, answer, asked = _call(app, "/v1/batches", {**JSON, "X-API-Key": "nsk_nope"})
    assert (status, answer["error"]["code"], asked) == (401, "unauthorized", 0)
    status, answer, asked = _call(app, "/translate", {**JSON, "X-API-Key": "nsk_nope"})
    assert (status, answer, asked) == (403, {"error": "Invalid API key"}, 0)


def test_batches_need_a_key_before_their_body_too(redis_url: str) -> None:
    app, _, _ = _app(redis_url)  # anonymous=interactive: summaries yes, batches no
    status, answer, asked = _call(app, "/v1/batches", JSON)
    assert (status, asked) == (401, 0)
    assert "an API key is needed for batches" in answer["error"]["message"]


def test_a_libretranslate_key_in_the_body_is_still_read_there(redis_url: str) -> None:
    app, _, store = _app(redis_url, anonymous="none")
    key = store.create("lt", 100, None)[0]
    client = TestClient(app)
    r = client.post("/detect", json={"q": "你好", "api_key": key})
    assert r.status_code == 200, r.text
    assert client.post("/detect", data={"q": "你好", "api_key": key}).status_code == 200
    r = client.post("/detect", json={"q": "你好"})
    assert r.status_code == 400 and "NEWSUM_ANONYMOUS=none" in r.json()["error"]


def test_a_request_is_counted_once_against_the_key_s_rate(redis_url: str) -> None:
    app, _, store = _app(redis_url, anonymous="none")
    key = store.create("desk", 2, None)[0]
    client = TestClient(app)
    body = {"text": ARTICLE, "wait": 0}
    for _ in range(2):  # checked before the body and not again by the route
        r = client.post("/v1/summaries", json=body, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code in (200, 202), r.text
    r = client.post("/v1/summaries", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 429 and r.headers["retry-after"]


def test_a_keyed_libretranslate_call_is_counted_once_too(redis_url: str) -> None:
    app, _, store = _app(redis_url, anonymous="none")
    key = store.create("lt", 2, None)[0]
    client = TestClient(app)
    for _ in range(2):
        r = client.post("/detect", json={"q": "你好"}, headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
    r = client.post("/detect", json={"q": "你好"}, headers={"X-API-Key": key})
    assert r.status_code == 429 and r.json()["error"].startswith("Slowdown:")


def _guard(cors: tuple[str, ...] = ()) -> LoopbackGuard:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called here")

    return LoopbackGuard(app, 8000, ["127.0.0.1", "localhost", "[::1]"], cors)


@pytest.mark.parametrize(
    ("host", "own"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("LOCALHOST", True),
        ("[::1]:8000", True),
        ("[::1]", True),
        ("127.0.0.1:9000", True),  # an SSH tunnel's local port
        ("evil.example:8000", False),
        ("localhost.evil.example:8000", False),
        ("127.0.0.1.nip.io:8000", False),
        ("localhost:80x", False),
        ("[::1]x", False),
        ("", False),
    ],
)
def test_own_host_names(host: str, own: bool) -> None:
    assert _guard().own_host(host) is own


@pytest.mark.parametrize(
    ("origin", "own"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000/", True),
        ("https://127.0.0.1:8000", False),
        ("http://127.0.0.1:9999", False),
        ("http://localhost:3000", False),
        ("https://evil.example", False),
        ("null", False),
        ("https://desk.example", True),  # configured in NEWSUM_CORS_ORIGINS
    ],
)
def test_own_origins(origin: str, own: bool) -> None:
    assert _guard(("https://desk.example",)).own_origin(origin, "127.0.0.1:8000") is own


def test_through_a_tunnel_the_page_s_origin_is_the_host_it_was_asked_by() -> None:
    guard = _guard()
    assert guard.own_origin("http://localhost:9000", "localhost:9000")
    assert not guard.own_origin("http://localhost:9001", "localhost:9000")


def test_loopback_hosts() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "192.168.1.5", "::", "news.example"):
        assert not is_loopback(host), host


def test_api_server_guards_loopback_only_and_sets_uvicorn_limits(redis_url: str) -> None:
    from uvicorn.protocols.http.h11_impl import H11Protocol

    assert issubclass(head_timeout_protocol(1.0), H11Protocol)
    app, _, _ = _app(redis_url)
    server = api_server(app, host="127.0.0.1", port=8000)
    assert any(m.cls is LoopbackGuard for m in app.user_middleware)
    assert server.config.limit_concurrency == MAX_CONNECTIONS
    public, _, _ = _app(redis_url)
    api_server(public, host="0.0.0.0", port=8000)
    assert not any(m.cls is LoopbackGuard for m in public.user_middleware)
