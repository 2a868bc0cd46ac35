"""The direct-LLM brief's text on the job record as the model writes it: the
throttled reporter alone, then a reader's job on a real (embedded) Redis with a
scripted model that streams (a batch chunk's article never streams)."""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator, Sequence

import pytest
import redis

from tests.batch.test_batch_followers import RecordingApp
from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import BatchPlans
from workers.contract import ArticleInput, SummaryJob, SummaryOptions, SummaryResult
from workers.english.engines import offline_engines
from workers.pipeline import prepare_article
from workers.queue import summary_job
from workers.queue.bootstrap import WorkerContext
from workers.queue.celery_app import CeleryBatchTasks
from workers.queue.summary_job import (
    BriefTextReporter,
    StageClock,
    run_summary_job,
    summarize_and_store,
)
from workers.settings import Settings
from workers.store.batches import BatchStore
from workers.store.cache import PipelineInfo, RedisLayout, ResultCache, connect_redis
from workers.store.digests import request_digest
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore

STORY = (
    "嘉兴市召开主题教育总结大会。会议回顾了2019年的工作。\n"
    "全市共有120个单位参加。市委书记作了讲话。"
)
REPLY = (
    "HEADLINE: Jiaxing sums up its theme education\n"
    "1. Jiaxing held a meeting to sum up the theme education campaign.\n"
    "2. The meeting reviewed the work of 2019, with 120 units taking part."
)


# ---------------------------------------------------------------- the reporter alone


class RecordingJobs:
    """A job store that keeps each brief text written (and can fail the next writes)."""

    def __init__(self) -> None:
        self.written: list[tuple[str, str]] = []
        self.failures = 0

    def set_brief_text(self, job_id: str, text: str) -> None:
        if self.failures:
            self.failures -= 1
            raise redis.ConnectionError("Redis went away")
        self.written.append((job_id, text))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _reporter(jobs: RecordingJobs, clock: Clock) -> BriefTextReporter:
    return BriefTextReporter(jobs, "j1", interval_s=0.25, clock=clock)  # type: ignore[arg-type]


def test_the_first_text_at_once_then_at_most_every_interval_and_the_end() -> None:
    jobs, clock = RecordingJobs(), Clock()
    report = _reporter(jobs, clock)
    for at, text in [(0.0, "H"), (0.1, "HE"), (0.2, "HEA"), (0.3, "HEAD"), (0.4, "HEADL")]:
        clock.now = 100.0 + at
        report(text)
    clock.now = 100.45
    report("HEADLINE: Jiaxing", final=True)
    assert [text for _, text in jobs.written] == ["H", "HEAD", "HEADLINE: Jiaxing"]
    assert {job for job, _ in jobs.written} == {"j1"}


def test_nothing_new_is_not_written_again() -> None:
    jobs, clock = RecordingJobs(), Clock()
    report = _reporter(jobs, clock)
    report("")  # nothing written yet: nothing to show
    report("HEADLINE")
    clock.now += 1.0
    report("HEADLINE")
    report("HEADLINE", final=True)
    assert [text for _, text in jobs.written] == ["HEADLINE"]


def test_a_redis_error_is_logged_and_the_next_text_tried(caplog: pytest.LogCaptureFixture) -> None:
    jobs, clock = RecordingJobs(), Clock()
    jobs.failures = 1
    report = _reporter(jobs, clock)
    with caplog.at_level(logging.WARNING, logger="newsum.worker"):
        report("HEAD")  # fails: only logged
    assert jobs.written == []
    assert "could not record the brief of j1" in caplog.text
    report("HEADLINE")  # nothing was written, so this one is due at once
    assert [text for _, text in jobs.written] == ["HEADLINE"]


# ---------------------------------------------------------------- a reader's job, real Redis


class StreamingLLM:
    """An instruct model that answers ``REPLY``, in pieces when streamed; while it streams
    it reads the job's record after each piece, as an event stream would."""

    engine_name = "scripted"
    model_id = "test/streaming-instruct"
    revision: str | None = "1"
    max_input_tokens = 4096

    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs
        self.job_id = ""
        self.generated = 0
        self.streamed = 0
        self.seen_on_record: list[str | None] = []

    def count_tokens(self, text: str) -> int:
        return len(text)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.generated += len(texts)
        return [REPLY for _ in texts]

    def stream(self, text: str, *, max_new_tokens: int | None = None) -> Iterator[str]:
        self.streamed += 1
        for start in range(0, len(REPLY), 12):
            yield REPLY[start : start + 12]
            record = self.jobs.get(self.job_id)
            self.seen_on_record.append(record.brief_text if record else None)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-brief-text")) as embedded:
        yield embedded


def _context(server: EmbeddedRedis) -> tuple[WorkerContext, StreamingLLM]:
    client: redis.Redis = connect_redis(server.url)
    layout = RedisLayout(f"t{uuid.uuid4().hex[:8]}")
    jobs = JobStore(client, layout, 600)
    llm = StreamingLLM(jobs)
    engines = offline_engines(None)
    engines.profile = "llm"
    engines.llm = llm
    queues = RecordingApp.queues()
    ctx = WorkerContext(
        settings=Settings(default_glossary=False),
        engines=engines,
        info=PipelineInfo("llm", "fingerprint", [], False, []),
        client=client,
        layout=layout,
        jobs=jobs,
        cache=ResultCache(client, layout, 600),
        batches=BatchCoordinator(
            BatchStore(client, layout, 600),
            BatchPlans(client, layout, 600),
            jobs,
            CeleryBatchTasks(RecordingApp(), queues),
        ),
        queues=queues,
        fetch=lambda url: (b"", None),
    )
    return ctx, llm


def test_a_reader_s_job_puts_the_growing_brief_on_its_record(
    server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary_job, "BRIEF_TEXT_INTERVAL_S", 0.0)  # every piece
    ctx, llm = _context(server)
    options = SummaryOptions(profile="llm", sentences=3)
    article = ArticleInput(text=STORY)
    key = request_digest(article, options, "fingerprint")
    job_id = llm.job_id = uuid.uuid4().hex
    ctx.jobs.create(job_id, key=key)
    updates = ctx.client.pubsub()
    updates.subscribe(ctx.layout.job_updates(job_id))
    payload = SummaryJob(key=key, article=article, options=options).model_dump(mode="json")

    assert run_summary_job(ctx, payload, job_id)

    assert (llm.streamed, llm.generated) == (1, 0)
    seen = [text for text in llm.seen_on_record if text]
    assert len(seen) >= 5 and seen[-1] == REPLY
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(seen))
    record = ctx.jobs.get(job_id)
    assert record is not None and record.state == "done" and record.brief_text == REPLY
    # Each write was announced, as event streams wake on it.
    messages = []
    while (message := updates.get_message(timeout=0.2)) is not None:
        messages.append(message)
    assert sum(1 for m in messages if m["type"] == "message" and m["data"] == "update") >= 5
    updates.close()
    # The result is the checked brief; the streamed text is no part of it.
    assert record.result_key is not None
    raw = ctx.cache.get_raw(record.result_key)
    assert raw is not None and "brief_text" not in raw
    result = SummaryResult.model_validate_json(raw)
    assert result.summary.method == "direct-llm"
    assert result.summary.headline == "Jiaxing sums up its theme education"


def test_an_article_summarized_without_a_reader_does_not_stream(server: EmbeddedRedis) -> None:
    """A batch item summarized on its own (its chunk failed, say): no reader is
    watching, so the model's call is a plain generate and nothing goes on the record."""
    ctx, llm = _context(server)
    options = SummaryOptions(profile="llm", sentences=3)
    prepared = prepare_article(ArticleInput(text=STORY), ctx.settings)
    job_id = llm.job_id = uuid.uuid4().hex
    ctx.jobs.create(job_id, key="k")
    summarize_and_store(ctx, job_id, prepared, options, "own", StageClock(ctx, job_id))
    assert (llm.streamed, llm.generated) == (0, 1)
    record = ctx.jobs.get(job_id)
    assert record is not None and record.state == "done" and record.brief_text is None
