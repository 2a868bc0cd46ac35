"""A worker's chunk of batch articles summarized together: the jobs' bookkeeping on a
real Redis (state while running, a joint run never tried twice, time-outs that send
the articles again rather than fail them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import redis

from tests.batch.test_batch_followers import RecordingApp
from tests.paths import seed_body
from workers.article.prepared import PreparedArticle
from workers.article.segment import article_sentences
from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import BatchPlans, PlannedItem
from workers.contract import SummaryOptions
from workers.english.engines import Engines, offline_engines
from workers.queue import batch_jobs
from workers.queue.bootstrap import WorkerContext
from workers.queue.celery_app import TASK_SUMMARIZE_PLANNED, CeleryBatchTasks
from workers.settings import Settings
from workers.store.batches import BatchStore
from workers.store.cache import PipelineInfo, RedisLayout, ResultCache, connect_redis
from workers.store.digests import content_digest
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore


class EchoModel:
    """A stand-in model: its output is the input's first few characters. While it
    runs it notes the jobs' states, as a client polling them would see them."""

    revision: str | None = None
    engine_name = "echo"
    max_input_tokens = 400

    def __init__(self, model_id: str, watch: World | None = None) -> None:
        self.model_id = model_id
        self.watch = watch
        self.calls: list[int] = []
        self.states_seen: list[tuple[str, str | None]] = []

    def count_tokens(self, text: str) -> int:
        return len(text) + 1

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.calls.append(len(texts))
        if self.watch is not None:
            for job_id in self.watch.job_ids:
                record = self.watch.jobs.get(job_id)
                assert record is not None
                self.states_seen.append((record.state, record.stage))
        return [f"Summary of {t[:12]}" for t in texts]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-together")) as embedded:
        yield embedded


class World:
    def __init__(self, server: EmbeddedRedis) -> None:
        client: redis.Redis = connect_redis(server.url)
        self.layout = layout = RedisLayout(f"t{uuid.uuid4().hex[:8]}")
        self.jobs = JobStore(client, layout, 600)
        self.plans = BatchPlans(client, layout, 600)
        self.batches = BatchStore(client, layout, 600)
        self.app = RecordingApp()
        self.queues = RecordingApp.queues()
        self.coordinator = BatchCoordinator(
            self.batches, self.plans, self.jobs, CeleryBatchTasks(self.app, self.queues)
        )
        sentences = article_sentences(seed_body())
        self.items = []
        for index, start in enumerate((0, 6, 12)):
            part = sentences[start : start + 6]
            article = PreparedArticle(text="".join(part), sentences=part, language="zh-Hans")
            job_id = f"job{index}"
            self.jobs.create(job_id, key=f"k{index}")
            self.items.append(
                PlannedItem(index, job_id, f"k{index}", f"own{index}", SummaryOptions(), article)
            )
        self.job_ids = [item.job_id for item in self.items]
        self.translator = EchoModel("test/echo-translator")
        self.summarizer = EchoModel("test/echo-summarizer", watch=self)
        engines = offline_engines(None)
        engines.profile = "standard"
        engines.translator, engines.summarizer = self.translator, self.summarizer
        self.ctx = WorkerContext(
            settings=Settings(),
            engines=engines,
            info=PipelineInfo("standard", "fingerprint", [], True, []),
            client=client,
            layout=layout,
            jobs=self.jobs,
            cache=ResultCache(client, layout, 600),
            batches=self.coordinator,
            queues=self.queues,
            fetch=lambda url: (b"", None),
        )

    def summarize_chunk(self, engines: Engines | None = None) -> dict[str, Any]:
        if engines is not None:
            self.ctx.engines = engines
        return batch_jobs.summarize_chunk(self.ctx, "b", self.items)


@pytest.fixture
def world(server: EmbeddedRedis) -> World:
    return World(server)


def test_the_chunk_is_summarized_in_one_call_while_its_jobs_run(world: World) -> None:
    computed = world.summarize_chunk()
    assert sorted(computed) == world.job_ids
    assert world.summarizer.calls == [3]  # one call for the three articles
    for job_id in world.job_ids:
        assert computed[job_id].summary.en.startswith("Summary of")
        assert computed[job_id].summary.method == "translate-then-summarize"
    # A client polling meanwhile saw every job running, in the joint stage.
    assert set(world.summarizer.states_seen) == {("running", batch_jobs.TOGETHER_STAGE)}
    assert world.jobs.client.hget(world.layout.stats, "summaries_together") == "3"


def test_a_joint_run_cut_short_is_not_tried_again(world: World) -> None:
    assert len(world.summarize_chunk()) == 3
    # The same chunk delivered again (its worker was lost): one by one now.
    assert world.summarize_chunk() == {}
    assert world.summarizer.calls == [3]


def test_cached_articles_are_left_out(world: World) -> None:
    first = world.items[0]
    key = content_digest(
        first.prepared.text, first.options, "fingerprint", title=first.prepared.title
    )
    world.ctx.cache.put(world.summarize_chunk()[first.job_id], key)
    for job_id in world.job_ids:  # a fresh chunk of the same articles
        world.jobs.client.hdel(world.layout.job(job_id), "deliveries_together")
    world.summarizer.calls.clear()
    assert sorted(world.summarize_chunk()) == world.job_ids[1:]
    assert world.summarizer.calls == [2]


def test_nothing_is_done_ahead_without_a_model_to_join_calls_for(world: World) -> None:
    assert world.summarize_chunk(offline_engines(None)) == {}
    assert world.jobs.client.hget(world.layout.job("job0"), "deliveries_together") is None


def test_a_chunk_killed_at_its_time_limit_sends_the_joint_articles_again(world: World) -> None:
    # job0 was summarized alone when the kill came; job1 and job2 were still in the
    # joint run (the joint run of a chunk ended, job0's own turn had started).
    world.jobs.mark_running("job0", "summarize")
    world.jobs.mark_running("job1", batch_jobs.TOGETHER_STAGE)
    world.jobs.mark_running("job2", batch_jobs.TOGETHER_STAGE)
    for item in world.items:
        world.plans.expect("b")
        world.plans.arrive("b", item.index, item)
    batch_jobs.time_out_chunk(world.coordinator, world.queues, ["b", [0, 1, 2]])
    job0 = world.jobs.get("job0")
    assert job0 is not None and job0.state == "failed" and job0.error is not None
    assert job0.error.code == "timeout"
    for job_id in ("job1", "job2"):
        record = world.jobs.get(job_id)
        assert record is not None and not record.finished
    assert [(name, args) for name, args, _ in world.app.sent] == [
        (TASK_SUMMARIZE_PLANNED, ["b", [1, 2]])
    ]
