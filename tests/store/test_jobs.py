"""Job records, single flight, submission and batch accounting, on a real (embedded) Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from workers.contract import (
    Article,
    ArticleInput,
    ErrorBody,
    Provenance,
    Summary,
    SummaryJob,
    SummaryOptions,
    SummaryResult,
)
from workers.errors import TransientError
from workers.store.batches import BatchItem, BatchStore, batch_results, batch_status
from workers.store.cache import RedisLayout, ResultCache, connect_redis
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore, Submission, new_id, submit_summary


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-jobs")) as embedded:
        yield embedded


@pytest.fixture
def client(server: EmbeddedRedis) -> redis.Redis:
    return connect_redis(server.url)


@pytest.fixture
def layout() -> RedisLayout:
    return RedisLayout(f"t{uuid.uuid4().hex[:8]}")


@pytest.fixture
def jobs(client: redis.Redis, layout: RedisLayout) -> JobStore:
    return JobStore(client, layout, ttl_s=300)


@pytest.fixture
def cache(client: redis.Redis, layout: RedisLayout) -> ResultCache:
    return ResultCache(client, layout, ttl_s=300)


@pytest.fixture
def batches(client: redis.Redis, layout: RedisLayout) -> BatchStore:
    return BatchStore(client, layout, ttl_s=300)


class RecordingSend:
    """A fake queue: records what was sent; can be told the broker is away."""

    def __init__(self) -> None:
        self.sent: list[tuple[SummaryJob, str, str]] = []
        self.away = False

    def __call__(self, job: SummaryJob, job_id: str, queue: str) -> None:
        if self.away:
            raise ConnectionError("broker away")
        self.sent.append((job, job_id, queue))


def result_for(key: str) -> SummaryResult:
    return SummaryResult(
        id=key,
        article=Article(language="zh-Hans", text="正文。", sentences=["正文。"]),
        summary=Summary(method="extractive", zh="正文。"),
        provenance=Provenance(profile="offline"),
    )


def submit(
    jobs: JobStore,
    cache: ResultCache,
    send: RecordingSend,
    text: str = "新闻正文。",
    record_hit: bool = False,
    queue: str = "interactive",
) -> Submission:
    """A reader's request (interactive, attachable), or a batch item's (``queue="batch"``)."""
    return submit_summary(
        jobs=jobs,
        cache=cache,
        send=send,
        article=ArticleInput(text=text),
        options=SummaryOptions(),
        fingerprint="fp",
        queue=queue,
        record_hit=record_hit,
        attachable=queue == "interactive",
    )


def test_a_job_moves_from_queued_to_done_with_timestamps(
    jobs: JobStore, layout: RedisLayout
) -> None:
    created = jobs.create("j1", key="k1")
    assert created.state == "queued" and created.created_at.endswith("Z")
    jobs.mark_running("j1", "extract")
    jobs.set_progress("j1", "summarize", 0.6)
    running = jobs.get("j1")
    assert running is not None
    assert (running.state, running.stage, running.progress) == ("running", "summarize", 0.6)
    jobs.mark_done("j1", result_key="rk", cached=True)
    done = jobs.get("j1")
    assert done is not None and done.finished and done.result_key == "rk" and done.cached
    assert 0 < jobs.client.ttl(layout.job("j1")) <= 300


def test_a_failed_job_keeps_its_reason(jobs: JobStore) -> None:
    jobs.create("j2")
    jobs.mark_failed("j2", ErrorBody(code="not_chinese", message="not Chinese"))
    failed = jobs.get("j2")
    assert failed is not None and failed.state == "failed"
    assert failed.error == ErrorBody(code="not_chinese", message="not Chinese")
    assert jobs.get("nope") is None


def test_only_the_holder_releases_the_in_flight_marker(jobs: JobStore) -> None:
    assert jobs.claim("k", "first") is None
    assert jobs.claim("k", "second") == "first"
    jobs.release("k", "second")
    assert jobs.claim("k", "third") == "first"
    jobs.release("k", "first")
    assert jobs.claim("k", "third") is None


def test_identical_requests_attach_to_the_queued_job(jobs: JobStore, cache: ResultCache) -> None:
    send = RecordingSend()
    first = submit(jobs, cache, send)
    second = submit(jobs, cache, send)
    assert first.state == "queued" and first.job_id is not None
    assert second.attached and second.job_id == first.job_id
    assert len(send.sent) == 1
    job, job_id, queue = send.sent[0]
    assert (job.key, job_id, queue) == (first.key, first.job_id, "interactive")


def test_a_reader_never_attaches_to_a_batch_item_s_job(jobs: JobStore, cache: ResultCache) -> None:
    send = RecordingSend()
    item = submit(jobs, cache, send, record_hit=True, queue="batch")
    reader = submit(jobs, cache, send, record_hit=True)
    # Its own job on the interactive queue, holding the marker from now on.
    assert not reader.attached and reader.job_id != item.job_id
    assert [(job_id, queue) for _, job_id, queue in send.sent] == [
        (item.job_id, "batch"),
        (reader.job_id, "interactive"),
    ]
    assert jobs.client.get(jobs.layout.inflight(reader.key)) == reader.job_id
    # The next reader waits on the reader's job; so may a batch item.
    again = submit(jobs, cache, send)
    assert again.attached and again.job_id == reader.job_id
    other_item = submit(jobs, cache, send, record_hit=True, queue="batch")
    assert other_item.attached and other_item.job_id == reader.job_id
    assert len(send.sent) == 2
    # The batch's job finishing later leaves the reader's marker alone.
    assert item.job_id is not None
    jobs.release(item.key, item.job_id)
    assert jobs.client.get(jobs.layout.inflight(reader.key)) == reader.job_id


def test_a_batch_item_never_attaches_to_another_batch_s_job(
    jobs: JobStore, cache: ResultCache
) -> None:
    send = RecordingSend()
    first = submit(jobs, cache, send, record_hit=True, queue="batch")
    second = submit(jobs, cache, send, record_hit=True, queue="batch")
    # The first may turn out a near-duplicate sharing its batch's summary.
    assert not second.attached and second.job_id != first.job_id and len(send.sent) == 2


def test_a_finished_member_s_result_is_never_served_for_its_request_key(
    jobs: JobStore, cache: ResultCache
) -> None:
    send = RecordingSend()
    member = submit(jobs, cache, send, record_hit=True, queue="batch")
    assert member.job_id is not None
    # Done with its representative's summary, kept under its batch; the marker not
    # yet released (the moment between the two writes).
    cache.put(result_for("representative"), "member:b:1")
    jobs.mark_done(member.job_id, result_key="member:b:1", cached=True)
    reader = submit(jobs, cache, send, record_hit=True)
    assert reader.state == "queued" and not reader.cached and reader.job_id != member.job_id
    assert send.sent[-1][1:] == (reader.job_id, "interactive")


def test_a_cached_result_needs_no_job_unless_asked(jobs: JobStore, cache: ResultCache) -> None:
    send = RecordingSend()
    first = submit(jobs, cache, send)
    cache.put(result_for(first.key), first.key)
    hit = submit(jobs, cache, send)
    assert hit.cached and hit.job_id is None and len(send.sent) == 1
    recorded = submit(jobs, cache, send, record_hit=True)
    assert recorded.job_id is not None
    job = jobs.get(recorded.job_id)
    assert job is not None and job.state == "done" and job.result_key == first.key


def test_a_finished_holder_does_not_capture_new_requests(
    jobs: JobStore, cache: ResultCache
) -> None:
    send = RecordingSend()
    first = submit(jobs, cache, send)
    assert first.job_id is not None
    jobs.mark_failed(first.job_id, ErrorBody(code="transient", message="gave up"))
    # The worker would have released the marker; here it is left stale on purpose.
    again = submit(jobs, cache, send)
    assert again.job_id != first.job_id and not again.attached and len(send.sent) == 2


def test_broker_away_is_transient_and_leaves_no_marker(jobs: JobStore, cache: ResultCache) -> None:
    send = RecordingSend()
    send.away = True
    with pytest.raises(TransientError, match="task queue"):
        submit(jobs, cache, send)
    send.away = False
    retried = submit(jobs, cache, send)
    assert not retried.attached and len(send.sent) == 1


def test_redis_away_is_transient(layout: RedisLayout) -> None:
    away = connect_redis("redis://127.0.0.1:1/0")
    with pytest.raises(TransientError, match="Redis"):
        submit(JobStore(away, layout, 60), ResultCache(away, layout, 60), RecordingSend())


def _batch_with(batches: BatchStore, jobs: JobStore, job_ids: list[str]) -> str:
    batch_id = new_id()
    batches.create(batch_id, len(job_ids))
    batches.add_items(batch_id, [BatchItem(i, f"c{i}", j) for i, j in enumerate(job_ids)])
    batches.wait_on(batch_id, job_ids)
    return batch_id


def test_a_batch_finishes_exactly_once_when_its_last_job_does(
    batches: BatchStore, jobs: JobStore
) -> None:
    for job_id in ("a", "b"):
        jobs.create(job_id)
    # Two items wait on job "a" (a duplicate article), one on "b".
    batch_id = _batch_with(batches, jobs, ["a", "a", "b"])
    assert not batches.settle_finished(batch_id, jobs.get_many(["a", "a", "b"]))
    assert not batches.seal(batch_id)
    jobs.mark_done("a", result_key="ra")
    assert batches.job_finished("a") == []
    assert batches.job_finished("a") == []  # settled once only
    jobs.mark_failed("b", ErrorBody(code="not_chinese", message="no"))
    assert batches.job_finished("b") == [batch_id]
    record = batches.get(batch_id)
    assert record is not None and record.pending == 0 and record.finished_at


def test_a_job_that_finished_before_the_batch_was_sealed_is_counted(
    batches: BatchStore, jobs: JobStore
) -> None:
    jobs.create("early")
    batch_id = new_id()
    batches.create(batch_id, 1)
    jobs.mark_done("early", result_key="r")
    assert batches.job_finished("early") == []  # the worker saw no batch yet
    batches.add_items(batch_id, [BatchItem(0, None, "early")])
    batches.wait_on(batch_id, ["early"])
    batches.settle_finished(batch_id, jobs.get_many(["early"]))
    assert batches.seal(batch_id)


def test_batch_status_and_results_account_for_every_item(
    batches: BatchStore, jobs: JobStore, cache: ResultCache
) -> None:
    jobs.create("q")
    jobs.create("d", state="done", result_key="rk")
    cache.put(result_for("rk"), "rk")
    jobs.create("f", state="failed", error=ErrorBody(code="empty_input", message="empty"))
    batch_id = _batch_with(batches, jobs, ["q", "d", "f", "gone"])
    status = batch_status(batches, jobs, batch_id)
    assert status is not None
    assert status["states"] == {"queued": 1, "running": 0, "done": 1, "failed": 2}
    assert status["count"] == 4 and status["progress"] == 0.75
    lines = list(batch_results(batches, jobs, batch_id, chunk=3))
    assert [line["index"] for line in lines] == [0, 1, 2, 3]
    assert [line["state"] for line in lines] == ["queued", "done", "failed", "failed"]
    assert lines[1]["result"] is not None and '"id":"rk"' in lines[1]["result"]
    assert lines[2]["error"]["code"] == "empty_input"
    assert lines[3]["error"]["code"] == "expired"
    assert batch_status(batches, jobs, "unknown") is None
