"""Batches are admitted whole or not at all (issue 15, points 2, 7 and 8).

- A batch is checked whole before anything is sent; one that fails part-way (the
  broker refuses a message) gives back what it took: no job left waiting for a plan
  that never comes, no single-flight marker a reader would attach to, and a clean
  retry finishes.
- A batch's glossary is in Redis once, not in every task and every extracted
  article; glossaries over NEWSUM_MAX_GLOSSARY_ENTRIES / _BYTES are refused (413).
- A key's daily batch quota is charged only for a batch accepted.

The API runs in-process (TestClient) on the module's private Redis with the real
Celery app; where workers matter they are real processes (``conftest.deploy``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import KeyStore
from service.deps import CeleryQueue
from tests.reliability.conftest import Deployment, RedisProcess, article
from workers.contract import SummaryJob
from workers.english.terms import key_terms
from workers.queue.celery_app import create_celery
from workers.settings import Settings, load_settings
from workers.store.cache import PipelineInfo, RedisLayout, connect_redis, publish_pipeline

pytestmark = pytest.mark.reliability

Deploy = Callable[..., Deployment]


def _until(what: str, condition: Callable[[], Any], timeout_s: float = 60) -> Any:
    """Poll ``condition`` every 50 ms until it is truthy; its value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.05)


class FlakyQueue(CeleryQueue):
    """The real queue, whose broker refuses the summarize message number ``fail_at``
    (counting from 0), after ``before_failing`` says so."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(create_celery(settings))
        self.fail_at: int | None = None
        self.before_failing: Callable[[list[str]], None] = lambda sent: None
        self.sent: list[str] = []

    def send_summary(self, job: SummaryJob, job_id: str, queue: str) -> None:
        if self.fail_at is not None and len(self.sent) == self.fail_at:
            self.fail_at = None
            self.before_failing(list(self.sent))
            raise RuntimeError("injected: the broker refused the message")
        super().send_summary(job, job_id, queue)
        self.sent.append(job_id)


class Api:
    """The API in-process on the private Redis, a fresh prefix, a fake worker heartbeat
    (no worker consumes: what is sent stays in the queue)."""

    def __init__(self, server: RedisProcess, **settings: Any) -> None:
        self.prefix = f"adm{uuid.uuid4().hex[:8]}"
        self.settings: Settings = load_settings(
            redis_url=server.url, redis_prefix=self.prefix, **settings
        )
        self.redis = connect_redis(server.url)
        self.layout = RedisLayout(self.prefix)
        self.queue = FlakyQueue(self.settings)
        self.http = TestClient(create_app(self.settings, queue=self.queue))
        self.worker_up()

    def worker_up(self) -> None:
        info = PipelineInfo("offline", "fp", [], False, [])
        publish_pipeline(self.redis, self.layout, info, also_as=("auto",))

    def worker_gone(self) -> None:
        for profile in ("auto", "offline"):
            self.redis.delete(self.layout.pipeline(profile))

    def key(self, quota: int) -> dict[str, str]:
        key = KeyStore(self.redis, self.layout).create("desk", 1000, quota)[0]
        return {"Authorization": f"Bearer {key}"}

    def queued(self) -> int:
        return int(self.redis.llen(f"{self.layout.queue_prefix}batch"))

    def keys(self, pattern: str) -> list[str]:
        return [str(k) for k in self.redis.scan_iter(f"{self.prefix}:{pattern}", count=1000)]


def _items(n: int, marker: str, start: int = 0) -> list[dict[str, Any]]:
    return [{"text": article(start + i, marker)} for i in range(n)]


def _error(r: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = r.json()["error"]
    return error


def _rows(http: httpx.Client | TestClient, location: str) -> list[dict[str, Any]]:
    text = http.get(location + "/results").text
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _job_records(redis: Any, prefix: str) -> dict[str, dict[str, str]]:
    """Every job record under ``prefix`` (not the jobs' side keys)."""
    names = [str(n) for n in redis.scan_iter(f"{prefix}:job:*", count=1000)]
    return {
        name.rsplit(":", 1)[-1]: redis.hgetall(name)
        for name in names
        if name.count(":") == prefix.count(":") + 2
    }


# ------------------------------------------------------------------ point 2


def test_a_batch_that_fails_part_way_leaves_nothing_stuck_and_its_retry_finishes(
    deploy: Deploy,
) -> None:
    d = deploy()
    d.start_worker("a")
    queue = FlakyQueue(d.settings)

    def extracted(sent: list[str]) -> None:
        # The items sent so far have reached the worker and wait for their plan.
        def waiting() -> bool:
            return all(d.job(job_id).get("stage") == "cluster" for job_id in sent)

        _until("the sent items wait for the plan", waiting)

    queue.fail_at, queue.before_failing = 3, extracted
    items = _items(5, "半途")
    batch = {"items": items, "options": {"glossary": {"嘉兴": "Jiaxing"}}}
    with TestClient(create_app(d.settings, queue=queue)) as http:
        r = http.post("/v1/batches", json=batch)
        assert r.status_code == 503, r.text
        assert _error(r)["code"] == "transient"
        assert "the broker refused the message" in _error(r)["message"]
        sent = list(queue.sent)
        assert len(sent) == 3

        # Nothing waits for a plan that will never come: the sent items failed,
        # transiently, with what to do; their markers and the glossary are gone.
        def failed(job_id: str) -> dict[str, str] | None:
            record = d.job(job_id)
            return record if record.get("state") == "failed" else None

        for job_id in sent:
            record = _until(f"job {job_id} fails", lambda j=job_id: failed(j), timeout_s=30)
            error = json.loads(record["error"])
            assert error["code"] == "transient" and "submit it again" in error["message"]
        assert not list(d.redis.scan_iter(f"{d.prefix}:inflight:*"))
        assert not list(d.redis.scan_iter(f"{d.prefix}:batch:*:glossary:*"))

        # A reader asking for item 0's text gets its own job, done.
        r = http.post("/v1/summaries", json={"text": items[0]["text"], "wait": 30})
        assert r.status_code == 200, r.text
        assert r.json()["job_id"] not in sent

        # The same batch again: accepted and finished.
        r = http.post("/v1/batches", json=batch)
        assert r.status_code == 202, r.text
        location = r.json()["location"]
        status = _until(
            "the retried batch finishes",
            lambda: (s := http.get(location).json())["finished_at"] and s,
            timeout_s=120,
        )
        assert status["state"] == "done", status
    # No job of either batch is left unfinished.
    records = _job_records(d.redis, d.prefix)
    assert records and all(r.get("state") in ("done", "failed") for r in records.values())


class FillingQueue(CeleryQueue):
    """The real queue; after ``after`` summarize messages Redis hits its maxmemory."""

    def __init__(self, settings: Settings, redis: Any, after: int) -> None:
        super().__init__(create_celery(settings))
        self.redis, self.after = redis, after
        self.sent: list[str] = []

    def send_summary(self, job: SummaryJob, job_id: str, queue: str) -> None:
        super().send_summary(job, job_id, queue)
        self.sent.append(job_id)
        if len(self.sent) == self.after:  # full: writes refused, deletes allowed
            used = int(self.redis.info("memory")["used_memory"])
            self.redis.config_set("maxmemory", used // 2)


def test_a_batch_refused_by_a_full_redis_part_way_leaves_nothing_stuck(deploy: Deploy) -> None:
    d = deploy()
    # A worker's pipeline record, kept after the worker stops: no worker takes the
    # messages until the test starts one.
    d.start_worker("first").kill()
    for profile in ("auto", "offline"):
        d.redis.persist(d.layout.pipeline(profile))
    queue = FillingQueue(d.settings, d.redis, after=3)
    items = _items(6, "满了")
    batch = {"items": items, "options": {"glossary": {"嘉兴": "Jiaxing"}}}
    try:
        with TestClient(create_app(d.settings, queue=queue)) as http:
            r = http.post("/v1/batches", json=batch)
    finally:
        d.redis.config_set("maxmemory", 0)
    assert r.status_code == 503, r.text
    assert _error(r)["code"] == "transient" and "maxmemory" in _error(r)["message"]
    assert len(queue.sent) == 3
    # Given back though Redis refused writes: markers and glossary deleted, the jobs
    # unknown rather than queued, the batch gone.
    assert not list(d.redis.scan_iter(f"{d.prefix}:inflight:*"))
    assert not list(d.redis.scan_iter(f"{d.prefix}:batch:*"))
    assert not any(r.get("state") == "queued" for r in _job_records(d.redis, d.prefix).values())
    # A worker then takes the three messages sent: each fails there, none waits.
    d.start_worker("a")
    for job_id in queue.sent:
        record = d.wait_job(job_id, lambda r: r.get("state") == "failed", timeout_s=60)
        assert "submit it again" in json.loads(record["error"])["message"]
    with TestClient(create_app(d.settings)) as http:
        r = http.post("/v1/summaries", json={"text": items[0]["text"], "wait": 30})
        assert r.status_code == 200, r.text
        r = http.post("/v1/batches", json=batch)
        assert r.status_code == 202, r.text
        location = r.json()["location"]
        status = _until(
            "the retried batch finishes",
            lambda: (s := http.get(location).json())["finished_at"] and s,
            timeout_s=120,
        )
        assert status["state"] == "done", status
    assert not list(d.redis.scan_iter(f"{d.prefix}:inflight:*"))


def test_a_batch_is_checked_whole_before_anything_is_sent(private_redis: RedisProcess) -> None:
    api = Api(private_redis, anonymous="all")
    # Items a worker would refuse fail at once, alone; only the good ones are sent.
    items = _items(3, "全检")
    items += [
        {"url": "http://10.1.2.3/news"},
        {"url": "http://localhost:8000/"},
        {"text": "This is an English report about the markets and the economy today."},
    ]
    r = api.http.post("/v1/batches", json={"items": items})
    assert r.status_code == 202, r.text
    assert api.queued() == 3
    rows = _rows(api.http, r.json()["location"])
    assert [(row["state"], (row["error"] or {}).get("code")) for row in rows[3:]] == [
        ("failed", "unsafe_url"),
        ("failed", "unsafe_url"),
        ("failed", "not_chinese"),
    ]


# ------------------------------------------------------------------ point 7


def _glossary(n: int, pad: int = 60, extra: dict[str, str] | None = None) -> dict[str, str]:
    terms = {f"术语{i:05d}": f"term {i:05d} " + "x" * pad for i in range(n)}
    terms.update(extra or {})
    return terms


def _glossary_bytes(glossary: dict[str, str]) -> int:
    return len(json.dumps(glossary, ensure_ascii=False).encode("utf-8"))


def test_a_batch_glossary_is_stored_once_not_in_every_task(private_redis: RedisProcess) -> None:
    api = Api(private_redis, anonymous="all")
    glossary = _glossary(4_000)
    size = _glossary_bytes(glossary)
    before = int(api.redis.info("memory")["used_memory"])
    r = api.http.post(
        "/v1/batches", json={"items": _items(40, "词表"), "options": {"glossary": glossary}}
    )
    assert r.status_code == 202, r.text
    assert api.queued() == 40
    # Every queued task is small: it names the stored glossary, it does not carry it.
    tasks = api.redis.lrange(f"{api.layout.queue_prefix}batch", 0, -1)
    assert len(tasks) == 40 and max(len(t) for t in tasks) < size // 10
    assert len(api.keys("batch:*:glossary:*")) == 1
    # And Redis as a whole grew by about one glossary, not 40 (14 MB). used_memory also
    # holds buffers that come and go (the 1.5 MB request's, clients'): a wide margin.
    grown = int(api.redis.info("memory")["used_memory"]) - before
    assert grown < 8 * size, (grown, size)


def test_a_worker_keeps_a_batch_glossary_once_and_applies_it(deploy: Deploy) -> None:
    marker = "压后"
    # Held 4 s: long enough to measure, shorter than the suite's visibility timeout.
    d = deploy(NEWSUM_FAULT_INJECT=f"sleep-on:{marker}:4")
    d.start_worker("a")
    d.start_api()
    items = _items(19, "词表")
    items.append({"text": article(19, marker)})  # held in extract while the rest wait
    # Every item's key terms have an English of the glossary's own.
    ours = {t.zh: f"GLOSSED {t.zh}" for i in items for t in key_terms(i["text"], k=10)}
    glossary = _glossary(4_000, extra=ours)
    size = _glossary_bytes(glossary)
    before = int(d.redis.info("memory")["used_memory"])
    with d.http() as http:
        r = http.post("/v1/batches", json={"items": items, "options": {"glossary": glossary}})
        assert r.status_code == 202, r.text
        location = r.json()["location"]
        jobs = [row["job_id"] for row in _rows(http, location)]

        def held() -> bool:
            first = [d.job(j).get("stage") for j in jobs[:-1]]
            last = d.job(jobs[-1])
            return all(s == "cluster" for s in first) and last.get("stage") == "extract"

        _until("19 items extracted while the last one is held", held, timeout_s=90)
        grown = int(d.redis.info("memory")["used_memory"]) - before
        assert d.job(jobs[-1]).get("stage") == "extract"  # still held: the peak
        # 19 extracted articles wait with their options: the glossary is there once,
        # not 19 times; used_memory also holds buffers that come and go: a wide margin.
        assert grown < 6 * size, (grown, size)
        status = _until(
            "the batch finishes",
            lambda: (s := http.get(location).json())["finished_at"] and s,
            timeout_s=120,
        )
        rows = _rows(http, location)
        assert status["state"] == "done", [row["error"] for row in rows if row["error"]]
    for row in rows:
        english = [t["en"] for t in row["result"]["key_terms"]]
        assert any(e.startswith("GLOSSED") for e in english), english


def test_glossaries_over_the_caps_are_refused_naming_the_limit(
    private_redis: RedisProcess,
) -> None:
    api = Api(private_redis, anonymous="all", max_glossary_bytes=200_000)
    items = _items(2, "上限")
    r = api.http.post(
        "/v1/batches", json={"items": items, "options": {"glossary": _glossary(5_001, pad=0)}}
    )
    assert r.status_code == 413, r.text
    assert _error(r)["code"] == "too_large" and _error(r)["limit"] == 5_000
    assert "NEWSUM_MAX_GLOSSARY_ENTRIES" in _error(r)["message"]
    r = api.http.post(
        "/v1/batches", json={"items": items, "options": {"glossary": _glossary(10, pad=30_000)}}
    )
    assert r.status_code == 413, r.text
    assert "NEWSUM_MAX_GLOSSARY_BYTES" in _error(r)["message"] and _error(r)["limit"] == 200_000
    assert api.queued() == 0 and not api.keys("batch:*")
    # An item's own glossary over the cap fails that item alone.
    own = [items[0], {**items[1], "options": {"glossary": _glossary(5_001, pad=0)}}]
    r = api.http.post("/v1/batches", json={"items": own})
    assert r.status_code == 202 and api.queued() == 1
    # One article: the same cap.
    r = api.http.post(
        "/v1/summaries",
        json={"text": items[0]["text"], "options": {"glossary": _glossary(5_001, pad=0)}},
    )
    assert r.status_code == 413 and "NEWSUM_MAX_GLOSSARY_ENTRIES" in _error(r)["message"]


# ------------------------------------------------------------------ point 8


def test_batches_refused_use_none_of_the_key_s_quota(private_redis: RedisProcess) -> None:
    api = Api(private_redis)  # NEWSUM_ANONYMOUS=interactive: batches need a key
    auth = api.key(quota=3)
    for _ in range(2):  # a bad webhook: 422, twice
        r = api.http.post(
            "/v1/batches",
            json={"items": _items(2, "配额"), "webhook": "http://127.0.0.1:9/hook"},
            headers=auth,
        )
        assert r.status_code == 422 and _error(r)["code"] == "unsafe_url", r.text
    api.worker_gone()  # no worker: 503
    r = api.http.post("/v1/batches", json={"items": _items(2, "配额")}, headers=auth)
    assert r.status_code == 503, r.text
    api.worker_up()
    api.queue.fail_at = 1  # queueing fails part-way: 503, the quota given back
    r = api.http.post("/v1/batches", json={"items": _items(3, "配额", 5)}, headers=auth)
    assert r.status_code == 503, r.text
    # The whole quota is still there for a batch accepted; then it is used.
    r = api.http.post("/v1/batches", json={"items": _items(3, "配额", 10)}, headers=auth)
    assert r.status_code == 202, r.text
    r = api.http.post("/v1/batches", json={"items": _items(1, "配额", 20)}, headers=auth)
    assert r.status_code == 429 and _error(r)["code"] == "quota_exceeded", r.text
