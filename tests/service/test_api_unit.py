"""The HTTP API through TestClient, with a fake task queue and a real (embedded) Redis.

The fake queue stands in for Celery only; a "worker" here is a few lines that
write a result the way workers.queue.tasks does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from service.app import create_app
from service.deps import ServiceLimits, queue_depths
from service.errors import status_for
from service.job_updates import SAFETY_REREAD_S
from workers.batch.plan import BatchPlans
from workers.contract import (
    Article,
    ErrorBody,
    Provenance,
    Summary,
    SummaryJob,
    SummaryResult,
)
from workers.settings import Settings, load_settings
from workers.store.cache import (
    PipelineInfo,
    RedisLayout,
    ResultCache,
    connect_redis,
    publish_pipeline,
)
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.heartbeats import beat
from workers.store.jobs import JobStore

ARTICLE = "新华社北京1月9日电 国务院常务会议今天召开。会议决定加快发展新能源汽车产业。"
PUBLIC_IP_URL = "http://93.184.216.34/hook"  # an address literal: no DNS needed


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-api")) as embedded:
        yield embedded


class FakeQueue:
    """Records sends; ``on_summary``/``on_translate`` play the worker when set."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.away = False
        self.on_summary: Callable[[SummaryJob, str], None] | None = None
        self.on_translate: Callable[[list[str], str, str], None] | None = None

    def send_summary(self, job: SummaryJob, job_id: str, queue: str) -> None:
        if self.away:
            raise ConnectionError("broker away")
        self.sent.append(("summary", (job, job_id, queue)))
        if self.on_summary:
            self.on_summary(job, job_id)

    def send_translate(
        self,
        texts: list[str],
        fmt: str,
        job_id: str,
        queue: str,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.sent.append(("translate", (texts, fmt, job_id, queue, options)))
        if self.on_translate:
            self.on_translate(texts, fmt, job_id)

    def send_notify_batch(self, batch_id: str, queue: str) -> None:
        self.sent.append(("notify", (batch_id, queue)))

    def send_plan_batch(self, batch_id: str, queue: str) -> None:
        self.sent.append(("plan", (batch_id, queue)))


class Harness:
    def __init__(self, server: EmbeddedRedis, **settings: Any) -> None:
        prefix = f"t{uuid.uuid4().hex[:8]}"
        # Batches are posted without a key here (service.auth: NEWSUM_ANONYMOUS).
        self.settings: Settings = load_settings(
            redis_url=server.url, redis_prefix=prefix, anonymous="all", **settings
        )
        self.redis: redis.Redis = connect_redis(server.url)
        self.layout = RedisLayout(prefix)
        self.jobs = JobStore(self.redis, self.layout, 300)
        self.cache = ResultCache(self.redis, self.layout, 300)
        self.queue = FakeQueue()
        self.app = create_app(self.settings, queue=self.queue, client=self.redis)
        self.http = TestClient(self.app)
        self.worker_up(has_translator=False)

    def worker_up(self, has_translator: bool) -> None:
        info = PipelineInfo("offline", "fp-test", [], has_translator, [])
        publish_pipeline(self.redis, self.layout, info, also_as=("auto",))
        beat(self.redis, self.layout, "test-worker", info)

    def worker_gone(self) -> None:
        for profile in ("auto", "offline", "standard"):
            self.redis.delete(self.layout.pipeline(profile))
        self.redis.delete(self.layout.worker_beats)

    def finish(self, job: SummaryJob, job_id: str) -> None:
        """What a worker does after the pipeline: store, mark done, release."""
        result = SummaryResult(
            id=job.key,
            article=Article(language="zh-Hans", text=ARTICLE, sentences=[ARTICLE]),
            summary=Summary(method="extractive", zh=ARTICLE),
            provenance=Provenance(profile="offline"),
        )
        self.cache.put(result, job.key)
        self.jobs.mark_done(job_id, result_key=job.key)
        self.jobs.release(job.key, job_id)

    def fail(self, job: SummaryJob, job_id: str) -> None:
        self.jobs.mark_failed(job_id, ErrorBody(code="not_chinese", message="not Chinese"))
        self.jobs.release(job.key, job_id)

    def sent(self, kind: str) -> list[Any]:
        return [args for k, args in self.queue.sent if k == kind]


@pytest.fixture
def h(server: EmbeddedRedis) -> Harness:
    return Harness(server)


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) >= {"error"}, body
    error: dict[str, Any] = body["error"]
    return error


# ------------------------------------------------------------------ summaries


def test_no_wait_answers_202_with_the_job_and_location(h: Harness) -> None:
    r = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0})
    assert r.status_code == 202
    body = r.json()
    assert body["state"] == "queued" and r.headers["location"] == body["location"]
    assert body["location"] == f"/v1/jobs/{body['job_id']}"
    [(job, job_id, queue)] = h.sent("summary")
    assert (job_id, queue, job.article.text) == (body["job_id"], "interactive", ARTICLE)
    polled = h.http.get(body["location"]).json()
    assert polled["state"] == "queued" and polled["result"] is None and polled["error"] is None


def test_identical_requests_share_one_job_then_hit_the_cache(h: Harness) -> None:
    first = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0}).json()
    second = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0}).json()
    assert second["job_id"] == first["job_id"] and len(h.sent("summary")) == 1
    [(job, job_id, _)] = h.sent("summary")
    h.finish(job, job_id)
    done = h.http.get(f"/v1/jobs/{job_id}").json()
    assert done["state"] == "done" and done["progress"] == 1.0
    assert done["result"]["id"] == job.key and done["result"]["provenance"]["cached"] is False
    again = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0})
    assert again.status_code == 200 and again.json()["provenance"]["cached"] is True
    assert len(h.sent("summary")) == 1


def test_a_job_finishing_within_wait_answers_200(h: Harness) -> None:
    h.queue.on_summary = lambda job, job_id: threading.Timer(0.2, h.finish, (job, job_id)).start()
    started = time.monotonic()
    r = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 30})
    assert r.status_code == 200 and r.json()["summary"]["zh"] == ARTICLE
    # Woken by the job's announcement, not by the safety re-read (SAFETY_REREAD_S).
    assert time.monotonic() - started < SAFETY_REREAD_S / 3


def test_a_job_failing_within_wait_answers_with_its_reason(h: Harness) -> None:
    h.queue.on_summary = h.fail
    r = h.http.post("/v1/summaries", json={"text": "just English words", "wait": 5})
    assert r.status_code == 422
    assert error_of(r) == {"code": "not_chinese", "message": "not Chinese", "limit": None}
    assert r.json()["job_id"]


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        ({}, 422, "invalid_request", "exactly one of text, html or url"),
        ({"text": "甲", "html": "<p>乙</p>"}, 422, "invalid_request", "got text, html"),
        ({"text": "   \n "}, 422, "empty_input", "empty"),
        ({"html": " "}, 422, "empty_input", "empty"),
        ({"text": ARTICLE, "wait": 61}, 422, "invalid_request", "wait"),
        ({"text": ARTICLE, "options": {"sentences": 0}}, 422, "invalid_request", "sentences"),
        ({"text": ARTICLE, "options": {"profile": "turbo"}}, 422, "invalid_request", "profile"),
        ({"text": ARTICLE, "colour": "red"}, 422, "invalid_request", "colour"),
        ({"url": "http://127.0.0.1/admin"}, 422, "unsafe_url", "127.0.0.1"),
        ({"url": "http://169.254.169.254/latest"}, 422, "unsafe_url", "metadata"),
        ({"url": "ftp://example.com/a"}, 422, "unsafe_url", "http"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_reason(
    h: Harness, body: dict[str, Any], status: int, code: str, says: str
) -> None:
    r = h.http.post("/v1/summaries", json=body)
    assert r.status_code == status, r.text
    error = error_of(r)
    assert error["code"] == code and says in error["message"]
    assert h.sent("summary") == []


def test_text_over_the_character_limit_is_413_naming_it(h: Harness) -> None:
    limit = h.settings.max_chars
    r = h.http.post("/v1/summaries", json={"text": "字" * (limit + 1)})
    assert r.status_code == 413
    assert error_of(r)["limit"] == limit and "NEWSUM_MAX_CHARS" in error_of(r)["message"]


def test_a_body_over_the_byte_limit_is_413(server: EmbeddedRedis) -> None:
    small = Harness(server, max_body_bytes=1_000)
    r = small.http.post("/v1/summaries", json={"text": "字" * 2_000})
    assert r.status_code == 413 and error_of(r)["limit"] == 1_000
    assert "NEWSUM_MAX_BODY_BYTES" in error_of(r)["message"]


def test_a_chunked_body_streaming_past_the_byte_limit_is_413(server: EmbeddedRedis) -> None:
    small = Harness(server, max_body_bytes=1_000)

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding chunked
        yield b'{"text": "'
        for _ in range(10):
            yield "字".encode() * 100
        yield b'"}'

    r = small.http.post(
        "/v1/summaries", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413, r.text
    assert error_of(r) == {
        "code": "too_large",
        "message": "the request body is over 1,000 bytes (NEWSUM_MAX_BODY_BYTES)",
        "limit": 1_000,
    }
    assert small.sent("summary") == []


def test_a_chunked_body_under_the_byte_limit_is_read(server: EmbeddedRedis) -> None:
    small = Harness(server, max_body_bytes=1_000)
    body = json.dumps({"text": ARTICLE, "wait": 0}).encode()
    halves = iter([body[: len(body) // 2], body[len(body) // 2 :]])
    r = small.http.post(
        "/v1/summaries", content=halves, headers={"content-type": "application/json"}
    )
    assert len(body) < 1_000 and r.status_code == 202, r.text


def test_limits_come_from_settings_alone() -> None:
    settings = Settings()
    limits = ServiceLimits.from_settings(settings)
    assert (limits.max_body_bytes, limits.max_chars, limits.max_wait_s) == (
        settings.max_body_bytes,
        settings.max_chars,
        settings.max_wait_s,
    )
    with pytest.raises(TypeError):
        ServiceLimits()  # type: ignore[call-arg]  # no defaults of its own


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("too_large", 413),
        ("not_chinese", 422),
        ("fetch_failed", 502),
        ("transient", 503),
        ("timeout", 504),
        ("worker_lost", 500),
        ("expired", 410),
        ("not_found", 404),
        ("unauthorized", 401),
        ("queue_full", 429),
        ("no_such_code", 500),
    ],
)
def test_a_stored_errors_status_is_its_classs(code: str, status: int) -> None:
    assert status_for(code) == status


def test_queue_depth_counts_every_priority_list(h: Harness) -> None:
    name = f"{h.layout.queue_prefix}interactive"
    h.redis.rpush(name, "a", "b")
    h.redis.rpush(f"{name}\x06\x163", "c")
    h.redis.rpush(f"{h.layout.queue_prefix}batch\x06\x169", "d")
    assert queue_depths(h.redis, h.layout, ["interactive", "batch"]) == {
        "interactive": 3,
        "batch": 1,
    }
    metrics = h.http.get("/metrics").text
    assert 'newsum_queue_depth{queue="interactive"} 3.0' in metrics


def test_malformed_json_is_422(h: Harness) -> None:
    r = h.http.post(
        "/v1/summaries", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and error_of(r)["code"] == "invalid_request"


def test_no_worker_is_503_with_retry_after(h: Harness) -> None:
    h.worker_gone()
    r = h.http.post("/v1/summaries", json={"text": ARTICLE})
    assert r.status_code == 503 and r.headers["retry-after"]
    assert "no worker" in error_of(r)["message"]
    assert h.http.get("/readyz").status_code == 503


def test_broker_away_is_503_and_a_later_request_enqueues(h: Harness) -> None:
    h.queue.away = True
    r = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0})
    assert r.status_code == 503 and r.headers["retry-after"]
    h.queue.away = False
    assert h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0}).status_code == 202
    assert len(h.sent("summary")) == 1


def test_redis_away_is_503_with_retry_after(server: EmbeddedRedis) -> None:
    settings = load_settings(redis_url="redis://127.0.0.1:1/0")
    away = connect_redis("redis://127.0.0.1:1/0")
    http = TestClient(create_app(settings, queue=FakeQueue(), client=away))
    r = http.post("/v1/summaries", json={"text": ARTICLE})
    assert r.status_code == 503 and r.headers["retry-after"]
    assert "Redis" in error_of(r)["message"]
    assert http.get("/readyz").status_code == 503
    assert http.get("/healthz").status_code == 200


def test_unknown_job_is_404(h: Harness) -> None:
    for path in ("/v1/jobs/nope", "/v1/jobs/nope/events", "/v1/batches/nope"):
        r = h.http.get(path)
        assert r.status_code == 404 and error_of(r)["code"] == "not_found"


def test_events_stream_progress_then_done(h: Harness) -> None:
    job_id = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0}).json()["job_id"]
    h.jobs.mark_running(job_id, "extract")
    [(job, _, _)] = h.sent("summary")
    threading.Timer(0.4, h.finish, (job, job_id)).start()
    started = time.monotonic()
    with h.http.stream("GET", f"/v1/jobs/{job_id}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    assert time.monotonic() - started < SAFETY_REREAD_S / 3  # woken, not re-read
    assert h.app.state.newsum.updates.watching == 0
    events = [block.split("\n") for block in text.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    assert names[0] == "progress" and names[-1] == "done"
    first = json.loads(events[0][1].removeprefix("data: "))
    assert first["state"] == "running" and "result" not in first
    last = json.loads(events[-1][1].removeprefix("data: "))
    assert last["result"]["id"] == job.key


# ------------------------------------------------------------------ batches


def test_a_json_batch_accounts_for_good_and_bad_items(h: Harness) -> None:
    items = [
        {"id": "a", "text": ARTICLE},
        {"id": "b", "text": ""},
        {"id": 3, "text": "甲", "url": "http://example.com/"},
        "not an object",
        {"id": "e", "text": ARTICLE + "另一篇。", "options": {"sentences": 2}},
    ]
    r = h.http.post("/v1/batches", json={"items": items, "options": {"sentences": 3}})
    assert r.status_code == 202, r.text
    batch = r.json()
    assert batch["count"] == 5 and r.headers["location"] == f"/v1/batches/{batch['batch_id']}"
    sent = h.sent("summary")
    assert [s[2] for s in sent] == ["batch", "batch"]
    assert [s[0].options.sentences for s in sent] == [3, 2]
    status = h.http.get(batch["location"]).json()
    assert status["states"] == {"queued": 2, "running": 0, "done": 0, "failed": 3}
    assert status["finished_at"] is None
    for job, job_id, _ in sent:
        h.finish(job, job_id)
        h.app.state.newsum.batches.job_finished(job_id)
    status = h.http.get(batch["location"]).json()
    assert status["states"]["done"] == 2 and status["progress"] == 1.0 and status["finished_at"]
    r = h.http.get(f"{batch['location']}/results")
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2, 3, 4]
    assert [line["id"] for line in lines] == ["a", "b", 3, None, "e"]
    assert [line["state"] for line in lines] == ["done", "failed", "failed", "failed", "done"]
    assert lines[0]["result"]["summary"]["zh"] == ARTICLE and lines[0]["error"] is None
    assert lines[1]["error"]["code"] == "empty_input"
    assert "exactly one" in lines[2]["error"]["message"]
    assert lines[3]["error"]["code"] == "invalid_request"


def test_a_jsonl_upload_keeps_bad_lines_as_failed_items(h: Harness) -> None:
    body = "\n".join([json.dumps({"text": ARTICLE}), "{broken", "", json.dumps({"text": " "})])
    r = h.http.post(
        "/v1/batches", content=body.encode(), headers={"content-type": "application/x-ndjson"}
    )
    assert r.status_code == 202 and r.json()["count"] == 3
    lines = [
        json.loads(x) for x in h.http.get(r.json()["location"] + "/results").text.split("\n") if x
    ]
    assert [line["state"] for line in lines] == ["queued", "failed", "failed"]
    assert "line 2 is not valid JSON" in lines[1]["error"]["message"]


def test_a_multipart_file_upload_is_a_batch(h: Harness) -> None:
    # Two different stories (near-duplicates would share one job: batch clustering).
    other = "嘉兴市今天召开全市经济工作会议，部署明年重点工作任务。会议由市长主持。"
    body = json.dumps({"text": ARTICLE}) + "\n" + json.dumps({"text": other}) + "\n"
    r = h.http.post("/v1/batches", files={"file": ("articles.jsonl", body.encode())})
    assert r.status_code == 202 and r.json()["count"] == 2
    assert len(h.sent("summary")) == 2


def test_a_cached_batch_finishes_at_once_and_calls_its_webhook(h: Harness) -> None:
    h.queue.on_summary = h.finish
    h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0})  # now cached
    r = h.http.post("/v1/batches", json={"items": [{"text": ARTICLE}], "webhook": PUBLIC_IP_URL})
    assert r.status_code == 202
    status = h.http.get(r.json()["location"]).json()
    assert status["states"]["done"] == 1 and status["finished_at"]
    assert h.sent("notify") == [(r.json()["batch_id"], "interactive")]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        (
            {"content": b"\xff\xfe{", "headers": {"content-type": "application/json"}},
            422,
            "invalid_request",
        ),
        ({"json": {"items": "nope"}}, 422, "invalid_request"),
        ({"json": {"items": []}}, 422, "empty_input"),
        (
            {"content": b"\xff\xfe", "headers": {"content-type": "application/x-ndjson"}},
            422,
            "undecodable",
        ),
        (
            {"json": {"items": [{"text": ARTICLE}], "webhook": "http://10.0.0.1/"}},
            422,
            "unsafe_url",
        ),
        ({"files": {"other": ("a.jsonl", b"{}")}}, 422, "invalid_request"),
    ],
)
def test_unreadable_batches_are_refused_whole(
    h: Harness, kwargs: dict[str, Any], status: int, code: str
) -> None:
    r = h.http.post("/v1/batches", **kwargs)
    assert r.status_code == status, r.text
    assert error_of(r)["code"] == code
    assert h.sent("summary") == []


def test_a_batch_over_the_item_limit_is_413_naming_it(server: EmbeddedRedis) -> None:
    small = Harness(server, max_batch_items=3)
    r = small.http.post("/v1/batches", json={"items": [{"text": ARTICLE}] * 4})
    assert r.status_code == 413
    assert error_of(r)["limit"] == 3 and "NEWSUM_MAX_BATCH_ITEMS" in error_of(r)["message"]
    assert small.sent("summary") == []


# ------------------------------------------------------------------ LibreTranslate


def test_languages_and_detect_answer_like_libretranslate(h: Harness) -> None:
    listed = h.http.get("/languages").json()
    assert {"code": "zh-Hans", "name": "Chinese", "targets": ["en"]} in listed
    assert {"code": "en", "name": "English", "targets": []} in listed
    [zh] = h.http.post("/detect", json={"q": ARTICLE}).json()
    assert zh["language"] == "zh" and 50 <= zh["confidence"] <= 100
    [en] = h.http.post("/detect", data={"q": "The State Council met today."}).json()
    assert en["language"] == "en"


def test_translate_sends_one_job_and_answers_in_order(h: Harness) -> None:
    h.worker_up(has_translator=True)

    def worker(texts: list[str], fmt: str, job_id: str) -> None:
        h.jobs.mark_done(job_id, result=[f"EN:{t}" for t in texts])

    h.queue.on_translate = worker
    r = h.http.post("/translate", json={"q": "你好", "source": "zh", "target": "en"})
    assert r.status_code == 200 and r.json() == {"translatedText": "EN:你好"}
    r = h.http.post(
        "/translate", json={"q": ["你好", "Hello there", "世界"], "source": "auto", "target": "en"}
    )
    body = r.json()
    assert body["translatedText"] == ["EN:你好", "Hello there", "EN:世界"]
    assert [d["language"] for d in body["detectedLanguage"]] == ["zh", "en", "zh"]
    assert h.sent("translate")[-1][0] == ["你好", "世界"]
    r = h.http.post(
        "/translate", data={"q": "<p>你好</p>", "source": "zh", "target": "en", "format": "html"}
    )
    assert r.json() == {"translatedText": "EN:<p>你好</p>"}
    assert h.sent("translate")[-1][1] == "html"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"source": "zh", "target": "en"}, 400, "missing q"),
        ({"q": "你好", "target": "en"}, 400, "missing source"),
        ({"q": "你好", "source": "zh", "target": "fr"}, 400, "fr is not supported"),
        ({"q": "你好", "source": "ja", "target": "en"}, 400, "ja is not supported"),
        ({"q": "你好", "source": "zh", "target": "en", "format": "pdf"}, 400, "format"),
        ({"q": "你好", "source": "zh", "target": "en"}, 400, "translation model"),
    ],
)
def test_translate_errors_use_libretranslates_shape(
    h: Harness, body: dict[str, Any], status: int, says: str
) -> None:
    r = h.http.post("/translate", json=body)
    assert r.status_code == status
    assert set(r.json()) == {"error"} and says in r.json()["error"]
    assert h.sent("translate") == []


def test_translate_over_the_text_limit_is_400(h: Harness) -> None:
    limit = h.settings.max_chars
    r = h.http.post("/translate", json={"q": "字" * (limit + 1), "source": "zh", "target": "en"})
    assert r.status_code == 400 and f"exceeds text limit ({limit})" in r.json()["error"]


def test_translate_with_no_worker_is_503(h: Harness) -> None:
    h.worker_gone()
    r = h.http.post("/translate", json={"q": "你好", "source": "zh", "target": "en"})
    assert r.status_code == 503 and "error" in r.json() and r.headers["retry-after"]


# ------------------------------------------------------------------ health, metrics, docs


def test_health_readiness_metrics_and_docs(h: Harness) -> None:
    assert h.http.get("/healthz").json() == {"status": "ok"}
    ready = h.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["workers"]["auto"]["fingerprint"] == "fp-test"
    h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0})
    text = h.http.get("/metrics").text
    assert (
        'newsum_http_requests_total{method="POST",route="/v1/summaries",status="202"} 1.0' in text
    )
    assert 'newsum_queue_depth{queue="interactive"}' in text
    assert 'newsum_cache_lookups{outcome="miss"} 1.0' in text
    assert "newsum_cache_hit_ratio 0.0" in text
    assert h.http.get("/docs").status_code == 200


def test_the_api_never_imports_torch_or_transformers() -> None:
    code = (
        "import sys\n"
        "from service.app import create_app\n"
        "from workers.settings import load_settings\n"
        "app = create_app(load_settings(redis_url='redis://127.0.0.1:1/0'))\n"
        "heavy = [m for m in ('torch', 'transformers', 'ctranslate2') if m in sys.modules]\n"
        "print(','.join(heavy) or 'clean')\n"
    )
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "clean", out.stdout + out.stderr
    assert time.monotonic() - started < 60


# ------------------------------------------------------------------ key glossaries


def test_a_keys_glossary_reaches_the_job_under_the_requests_own_terms(h: Harness) -> None:
    from service.auth import KeyStore

    key, _ = KeyStore(h.redis, h.layout).create(
        "desk", 60, None, glossary={"嘉兴": "Jiaxing City", "南湖": "South Lake"}
    )
    headers = {"Authorization": f"Bearer {key}"}
    body = {"text": ARTICLE, "wait": 0, "options": {"glossary": {"南湖": "Nanhu"}}}
    assert h.http.post("/v1/summaries", json=body, headers=headers).status_code == 202
    [(job, _, _)] = h.sent("summary")
    assert job.options.glossary == {"嘉兴": "Jiaxing City", "南湖": "Nanhu"}
    # Without the key the same request is another request (another key, another job).
    assert h.http.post("/v1/summaries", json=body).status_code == 202
    jobs = h.sent("summary")
    assert len(jobs) == 2 and jobs[1][0].options.glossary == {"南湖": "Nanhu"}
    assert jobs[0][0].key != jobs[1][0].key


def test_a_keys_glossary_applies_to_its_batches(h: Harness) -> None:
    from service.auth import KeyStore

    key, _ = KeyStore(h.redis, h.layout).create("desk", 60, None, glossary={"嘉兴": "Jiaxing"})
    items = {"items": [{"text": ARTICLE}, {"text": ARTICLE + "。", "options": {"sentences": 2}}]}
    r = h.http.post("/v1/batches", json=items, headers={"X-API-Key": key})
    assert r.status_code == 202, r.text
    # The batch's glossary is stored once; each task carries its ref.
    sent = [job for job, _, _ in h.sent("summary")]
    assert [job.options.glossary for job in sent] == [None, None]
    assert sent[0].glossary_ref == sent[1].glossary_ref
    assert BatchPlans(h.redis, h.layout, 60).glossaries.get(sent[0].glossary_ref or "") == {
        "嘉兴": "Jiaxing"
    }


def test_keys_add_reads_a_glossary_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from service.auth import keys_add

    bad = tmp_path / "bad.txt"
    bad.write_text("嘉兴 without a tab\n", encoding="utf-8")
    result = CliRunner().invoke(keys_add, ["--rate", "5/min", "--glossary", str(bad)])
    assert result.exit_code == 2
    assert "--glossary" in result.output


# ------------------------------------------------------------------ batch clustering

WIRE = (
    "新华社北京11月27日电 国家统计局今天发布数据，"
    "前十个月全国规模以上工业增加值同比增长百分之五点八。"
    "其中，高技术制造业增加值增长百分之九点一，明显快于全部规模以上工业。"
    "国家统计局新闻发言人表示，工业生产总体保持稳定，新动能持续壮大。"
    "分地区看，东部地区增长百分之五点六，中部地区增长百分之六点二，西部地区增长百分之六点零。"
    "业内专家认为，随着一系列稳增长政策落地见效，工业经济有望继续回升向好。"
)


def test_plain_text_items_of_a_batch_are_grouped_by_the_workers(h: Harness) -> None:
    # Grouped after extraction, as `newsum batch` groups them (tests/service/
    # test_batch_results.py runs the workers' side); a word-for-word repeat gets a
    # job of its own, so that it is grouped too, not attached to the first one's job.
    reposted = "本报讯 " + WIRE + "（责任编辑：王五）"
    items = [{"id": "wire", "text": WIRE}, {"id": "repost", "text": reposted}]
    items.append({"id": "again", "text": WIRE})
    r = h.http.post("/v1/batches", json={"items": items})
    assert r.status_code == 202, r.text
    sent = h.sent("summary")
    assert [(job.batch.index, job.batch.group) for job, _, _ in sent] == [
        (0, True),
        (1, True),
        (2, True),
    ]
    assert len({job_id for _, job_id, _ in sent}) == 3
    assert sent[0][0].key == sent[2][0].key  # the same request, planned twice
    batch_id = r.json()["batch_id"]
    assert h.redis.hget(h.layout.batch(batch_id), "planning") == "3"


def test_html_items_of_a_batch_go_to_the_workers_with_their_place(h: Harness) -> None:
    page = "<html><body><article><p>" + WIRE + "</p></article></body></html>"
    items = [
        {"id": "p1", "html": page},
        {"id": "t", "text": WIRE},
        {"id": "p2", "html": page.replace("<p>", "<p>本站讯 ")},
    ]
    r = h.http.post("/v1/batches", json={"items": items})
    assert r.status_code == 202, r.text
    batch_id = r.json()["batch_id"]
    places = [job.batch for job, _, _ in h.sent("summary")]
    assert [(p.batch_id, p.index, p.group) for p in places if p] == [
        (batch_id, 0, True),
        (batch_id, 1, True),  # plain text too: grouped after extraction
        (batch_id, 2, True),
    ]
    # Three items to arrive; the API's own token is given back already.
    assert h.redis.hget(h.layout.batch(batch_id), "planning") == "3"
    assert h.sent("plan") == []
    plans = BatchPlans(h.redis, h.layout, ttl_s=60)
    assert plans.arrive(batch_id, 0, None) is False
    assert plans.arrive(batch_id, 1, None) is False
    assert plans.arrive(batch_id, 2, None) is True  # the worker that sees this sends the plan


def test_without_chunks_or_grouping_items_are_sent_one_by_one(h: Harness) -> None:
    page = "<html><body><article><p>" + WIRE + "完。</p></article></body></html>"
    r = h.http.post("/v1/batches", json={"items": [{"html": page}], "cluster": False})
    assert r.status_code == 202
    assert [job.batch.group for job, _, _ in h.sent("summary") if job.batch] == [False]
    object.__setattr__(h.app.state.newsum.settings, "batch_chunk_articles", 1)
    r = h.http.post("/v1/batches", json={"items": [{"html": page + "<p>二</p>"}], "cluster": False})
    assert r.status_code == 202
    assert h.sent("summary")[-1][0].batch is None
    assert h.redis.hget(h.layout.batch(r.json()["batch_id"]), "planning") is None


def test_batch_clustering_can_be_turned_off(h: Harness) -> None:
    items = [{"text": WIRE}, {"text": "本报讯 " + WIRE}]
    assert h.http.post("/v1/batches", json={"items": items, "cluster": False}).status_code == 202
    assert len(h.sent("summary")) == 2
    # Other texts: the same ones again would attach to the jobs still in flight.
    items = [{"text": WIRE + "完。"}, {"text": "本报讯 " + WIRE + "完。"}]
    body = "\n".join(json.dumps(i, ensure_ascii=False) for i in items)
    r = h.http.post(
        "/v1/batches?cluster=false",
        content=body.encode(),
        headers={"content-type": "application/x-ndjson"},
    )
    assert r.status_code == 202 and len(h.sent("summary")) == 4


def test_a_wrong_method_on_an_api_path_is_405_naming_the_right_one(h: Harness) -> None:
    for method, path, allowed in (
        ("GET", "/v1/summaries", "POST"),
        ("DELETE", "/v1/jobs/nope", "GET"),
        ("PUT", "/v1/batches", "POST"),
    ):
        r = h.http.request(method, path)
        assert r.status_code == 405, (method, path, r.status_code)
        assert error_of(r)["code"] == "method_not_allowed"
        assert allowed in r.headers["allow"]


def test_the_web_page_is_still_served_beside_the_api(h: Harness) -> None:
    page = h.http.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert h.http.get("/app.js").status_code == 200
    missing = h.http.get("/no-such-file.js")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"


def test_a_running_jobs_view_carries_the_brief_so_far_and_a_finished_one_does_not() -> None:
    from service.schemas import JobView
    from workers.store.jobs import JobRecord

    running = JobRecord(job_id="j1", state="running", stage="summarize", brief_text="HEADLINE: Ji")
    assert JobView.of(running).brief_text == "HEADLINE: Ji"  # what polling readers see
    finished = JobRecord(job_id="j1", state="done", brief_text="HEADLINE: Jiaxing")
    assert JobView.of(finished).brief_text is None  # the result holds the checked brief
    assert JobView.of(JobRecord(job_id="j2", state="queued")).brief_text is None
