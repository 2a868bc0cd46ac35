"""A batch admitted whole or not at all (``service.batch_admission``): every item checked
before anything is sent, what a batch that fails part-way took given back, its glossary
stored once, the key's quota charged only for a batch accepted.

The API runs through TestClient on an embedded Redis (``tests.service.test_api_unit``'s
harness, whose fake queue records what is sent)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from service.auth import KeyStore
from tests.paths import SEED_ARTICLE
from tests.service.test_api_unit import WIRE, Harness, server  # noqa: F401 (server: a fixture)
from workers.article.fetch import check_url_form
from workers.article.language import require_chinese, require_chinese_letters
from workers.article.limits import check_glossary
from workers.batch.plan import BatchPlans
from workers.contract import SummaryJob
from workers.errors import Expired, InputTooLarge, NotChinese, UnsafeURL
from workers.queue.batch_jobs import with_stored_glossary
from workers.store.embedded_redis import EmbeddedRedis


@pytest.fixture
def h(server: EmbeddedRedis) -> Harness:  # noqa: F811 (the imported fixture)
    return Harness(server)


def story(n: int) -> str:
    return f"第{n}篇。" + WIRE


def fail_after(h: Harness, n: int) -> None:
    """The fake broker takes ``n`` summarize messages, then refuses every one."""

    def count(job: SummaryJob, job_id: str) -> None:
        if len(h.sent("summary")) >= n:
            h.queue.away = True

    h.queue.on_summary = count


def test_a_batch_failing_part_way_fails_what_it_sent_and_frees_its_markers(h: Harness) -> None:
    fail_after(h, 2)
    items = [{"text": story(i)} for i in range(4)]
    batch = {"items": items, "options": {"glossary": {"嘉兴": "Jiaxing"}}}
    r = h.http.post("/v1/batches", json=batch)
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "transient"
    sent = h.sent("summary")
    assert len(sent) == 2
    for job, job_id, _ in sent:
        record = h.jobs.get(job_id)
        assert record is not None and record.state == "failed" and record.error is not None
        assert record.error.code == "transient" and "submit it again" in record.error.message
        assert not h.redis.exists(h.layout.inflight(job.key))
    batch_id = sent[0][0].batch.batch_id
    record = h.app.state.newsum.batches.get(batch_id)
    assert record is not None and record.error is not None and record.finished_at
    # Its glossary is gone; its plan never goes (the adding token is never given back).
    assert not list(h.redis.scan_iter(f"{h.layout.batch(batch_id)}:glossary:*"))
    assert h.sent("plan") == [] and int(h.redis.hget(h.layout.batch(batch_id), "planning")) > 0
    # The same batch again, the broker back: new jobs, sent.
    h.queue.away, h.queue.on_summary = False, None
    r = h.http.post("/v1/batches", json=batch)
    assert r.status_code == 202, r.text
    again = h.sent("summary")[2:]
    assert len(again) == 4 and not {j for _, j, _ in again} & {j for _, j, _ in sent}


def test_items_are_checked_before_anything_is_sent(h: Harness) -> None:
    items: list[Any] = [
        {"text": story(0)},
        {"url": "http://192.168.1.10/news"},
        {"url": "http://2130706433/"},  # 127.0.0.1, spelled as one number
        {"url": "http://example.invalid/news"},  # a name: the worker resolves and checks it
        {"text": "Stocks rose on Monday as investors weighed the latest data from the mills."},
        {"text": "<p>An English page is a page: its language is the worker's to check</p>"},
    ]
    r = h.http.post("/v1/batches", json={"items": items})
    assert r.status_code == 202, r.text
    rows = h.http.get(r.json()["location"] + "/results").text.splitlines()
    states = [(row["state"], (row["error"] or {}).get("code")) for row in map(json.loads, rows)]
    assert states == [
        ("queued", None),
        ("failed", "unsafe_url"),
        ("failed", "unsafe_url"),
        ("queued", None),
        ("failed", "not_chinese"),
        ("queued", None),
    ]
    assert [job.batch.index for job, _, _ in h.sent("summary")] == [0, 3, 5]


def test_a_batch_glossary_goes_once_and_the_worker_puts_it_back(h: Harness) -> None:
    glossary = {f"术语{i}": f"term {i}" for i in range(300)}
    items = [{"text": story(i)} for i in range(5)]
    r = h.http.post("/v1/batches", json={"items": items, "options": {"glossary": glossary}})
    assert r.status_code == 202, r.text
    jobs = [job for job, _, _ in h.sent("summary")]
    refs = {job.glossary_ref for job in jobs}
    assert len(refs) == 1 and all(job.options.glossary is None for job in jobs)
    assert len(list(h.redis.scan_iter(f"{h.layout.prefix}:batch:*:glossary:*"))) == 1
    # The worker's payload has the terms again, and so the API's request key.
    plans = BatchPlans(h.redis, h.layout, 60)
    ctx: Any = SimpleNamespace(
        batches=SimpleNamespace(plans=plans, store=h.app.state.newsum.batches)
    )
    payload = with_stored_glossary(ctx, jobs[0].model_dump(mode="json"))
    restored = SummaryJob.model_validate(payload)
    assert restored.options.glossary == glossary and restored.glossary_ref is None
    plain = {"key": "k", "article": {"text": "甲"}}
    assert with_stored_glossary(ctx, plain) is plain
    ctx.batches.plans.glossaries.drop(list(refs))
    with pytest.raises(Expired, match="expired with its batch"):
        with_stored_glossary(ctx, jobs[0].model_dump(mode="json"))


def test_the_quota_is_charged_for_an_accepted_batch_and_given_back_on_failure(
    h: Harness,
) -> None:
    store = KeyStore(h.redis, h.layout)
    key, _ = store.create("desk", 1000, 4)
    auth = {"X-API-Key": key}
    items = {"items": [{"text": story(i)} for i in range(3)]}
    bad_hook = {**items, "webhook": "http://10.0.0.1/hook"}
    assert h.http.post("/v1/batches", json=bad_hook, headers=auth).status_code == 422
    fail_after(h, 1)
    assert h.http.post("/v1/batches", json=items, headers=auth).status_code == 503
    h.queue.away, h.queue.on_summary = False, None
    assert h.http.post("/v1/batches", json=items, headers=auth).status_code == 202
    r = h.http.post("/v1/batches", json={"items": [{"text": story(9)}] * 2}, headers=auth)
    assert r.status_code == 429 and "(1 left today)" in r.json()["error"]["message"]


def test_glossary_caps_name_the_limit_and_its_setting() -> None:
    check_glossary("the glossary", {"甲": "a"}, 1, 100)
    with pytest.raises(
        InputTooLarge, match=r"2 terms; the limit is 1 terms \(NEWSUM_MAX_GLOSSARY_"
    ):
        check_glossary("the glossary", {"甲": "a", "乙": "b"}, 1, 100)
    with pytest.raises(InputTooLarge, match=r"is 104 bytes; .*NEWSUM_MAX_GLOSSARY_BYTES") as err:
        check_glossary("the glossary", {"甲": "a" * 101}, 10, 100)
    assert err.value.to_body().limit == 100


def test_a_url_s_form_is_checked_without_a_name_lookup() -> None:
    for url, says in [
        ("http://127.0.0.1/", "a loopback address"),
        ("http://[::1]/", "a loopback address"),
        ("http://localhost:8000/", "loopback"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://169.254.169.254/latest", "metadata"),
        ("file:///etc/passwd", "scheme"),
        ("http://user:pw@example.com/", "user name"),
    ]:
        with pytest.raises(UnsafeURL, match=says):
            check_url_form(url)
    check_url_form("https://www.xinhuanet.com/politics/2020-01/09/c_1125440.htm")
    check_url_form("http://93.184.216.34/news")


def test_the_letters_only_language_check_agrees_with_the_full_one() -> None:
    texts = [
        SEED_ARTICLE.read_text(encoding="utf-8"),
        WIRE,
        "據新華社報道，國務院常務會議今天召開，會議決定加快發展新能源汽車產業。",
        "Stocks rose on Monday as investors weighed the latest data from the mills.",
        "東京都は今日、新しい経済対策を発表しました。これは大きな話題です。",
        "서울시는 오늘 새로운 경제 대책을 발표했습니다 이것은 큰 화제입니다",
        "12345 678",
    ]
    for text in texts:
        try:
            require_chinese(text)
            full = None
        except NotChinese as exc:
            full = exc.message
        try:
            require_chinese_letters(text)
            cheap = None
        except NotChinese as exc:
            cheap = exc.message
        assert cheap == full, text
