"""A representative's job finishes its near-duplicates' jobs: with its summary, or,
when it failed, by sending each to be summarized on its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from workers.article.prepared import PreparedArticle
from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import BatchPlans, Follower, PlannedItem
from workers.contract import ErrorBody, SummaryOptions
from workers.queue.celery_app import TASK_SUMMARIZE_PLANNED, CeleryBatchTasks, QueueConfig
from workers.settings import Settings
from workers.store.batches import BatchStore
from workers.store.cache import RedisLayout, connect_redis
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore


class RecordingApp:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, dict[str, Any]]] = []

    @staticmethod
    def queues() -> QueueConfig:
        """Limits of 10 s and 20 s a task, as a worker reads them from its Settings."""
        return QueueConfig.from_settings(Settings(task_soft_time_limit_s=10, task_time_limit_s=20))

    def send_task(self, name: str, args: Any = None, **options: Any) -> None:
        self.sent.append((name, args, options))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-followers")) as embedded:
        yield embedded


class World:
    def __init__(self, server: EmbeddedRedis) -> None:
        client: redis.Redis = connect_redis(server.url)
        layout = RedisLayout(f"t{uuid.uuid4().hex[:8]}")
        self.jobs = JobStore(client, layout, 600)
        self.batches = BatchStore(client, layout, 600)
        self.plans = BatchPlans(client, layout, 600)
        self.app = RecordingApp()
        self.coordinator = BatchCoordinator(
            self.batches, self.plans, self.jobs, CeleryBatchTasks(self.app, RecordingApp.queues())
        )
        # Batch "b": item 0 the representative, item 1 its near-duplicate.
        self.batches.create("b", 2)
        for job_id, key in (("lead", "k0"), ("member", "k1")):
            self.jobs.create(job_id, key=key)
            self.jobs.claim(key, job_id)
        self.batches.wait_on("b", ["lead", "member"])
        self.batches.seal("b")
        article = PreparedArticle(text="甲。", sentences=["甲。"], language="zh-Hans")
        member = PlannedItem(1, "member", "k1", "own1", SummaryOptions(), article)
        self.plans.expect("b")
        self.plans.arrive("b", 1, member)
        self.jobs.set_cluster("member", {"id": 0, "representative": 0, "size": 2}, "k1")
        self.plans.follow("lead", Follower("member", "k1", "b", 1))

    def finish(self) -> None:
        self.coordinator.finish_followers("lead")


@pytest.fixture
def world(server: EmbeddedRedis) -> World:
    return World(server)


def test_a_done_representative_finishes_its_followers_with_its_summary(world: World) -> None:
    world.jobs.mark_done("lead", result_key="content-key")
    world.batches.job_finished("lead")
    world.finish()
    member = world.jobs.get("member")
    assert member is not None and member.state == "done"
    assert member.result_key == "content-key" and member.cached
    assert member.cluster is not None and member.member_key == "k1"
    assert world.jobs.client.get(world.jobs.layout.inflight("k1")) is None  # released
    record = world.batches.get("b")
    assert record is not None and record.pending == 0 and record.finished_at
    assert world.plans.get("b", [1]) == [None]  # its article is forgotten
    world.finish()  # handed out once: a second call does nothing
    assert world.app.sent == []


def test_a_failed_representative_sends_its_followers_on_their_own(world: World) -> None:
    world.jobs.mark_failed("lead", ErrorBody(code="timeout", message="too slow"))
    world.finish()
    member = world.jobs.get("member")
    assert member is not None and member.state == "queued"  # not failed with it
    assert member.cluster is None  # it no longer shares anyone's summary
    sent = world.app.sent
    assert [(name, args) for name, args, _ in sent] == [(TASK_SUMMARIZE_PLANNED, ["b", [1]])]
    assert sent[0][2]["soft_time_limit"] == 10 and sent[0][2]["queue"] == "batch"
    assert world.plans.get("b", [1])[0] is not None  # kept for that run


def test_a_follower_keeps_its_own_headline_date_and_outlet(world: World) -> None:
    from workers.contract import Article, Author, Provenance, Summary, SummaryResult

    shared = SummaryResult(
        id="content-key",
        article=Article(
            title="国务院常务会议召开",
            title_en="State Council executive meeting held",
            published="2020-01-09",
            outlet="新华社",
            authors=[Author(name="李明", romanized="Li Ming")],
            url="https://wire.example/1",
            language="zh-Hans",
            text="甲。",
            sentences=["甲。"],
        ),
        summary=Summary(method="extractive", zh="甲。"),
        provenance=Provenance(profile="offline"),
    )
    world.jobs.client.set(world.jobs.layout.result("content-key"), shared.model_dump_json())
    own = PreparedArticle(
        title="国务院开会 部署新能源汽车",
        published="2020-01-10",
        outlet="嘉兴日报",
        authors=["李明", "裘建锋"],
        url="https://portal.example/2",
        text="甲。",
        sentences=["甲。"],
        language="zh-Hans",
    )
    member_item = PlannedItem(1, "member", "k1", "own1", SummaryOptions(), own)
    world.jobs.client.hset(world.plans.layout.batch_prepared("b"), "1", member_item.dumps())
    world.jobs.mark_done("lead", result_key="content-key")
    world.finish()

    record = world.jobs.get("member")
    assert record is not None and record.state == "done"
    assert record.result_key == "member:b:1"  # its own result, kept apart from the cache
    raw = world.jobs.client.get(world.jobs.layout.result(record.result_key))
    member = SummaryResult.model_validate_json(raw)
    article = member.article
    assert (article.title, article.published, article.outlet, article.url) == (
        "国务院开会 部署新能源汽车",
        "2020-01-10",
        "嘉兴日报",
        "https://portal.example/2",
    )
    assert article.title_en is None  # another headline: no English of its own
    assert [(a.name, a.romanized) for a in article.authors] == [
        ("李明", "Li Ming"),
        ("裘建锋", "Qiu Jianfeng"),
    ]
    assert member.id == "k1" and member.summary == shared.summary
    assert member.cluster is not None and member.cluster.size == 2
    assert member.checks.warnings == [member.cluster.member_warning()]
    # The representative's own result is untouched.
    again = SummaryResult.model_validate_json(
        world.jobs.client.get(world.jobs.layout.result("content-key"))
    )
    assert again.article.outlet == "新华社" and again.checks.warnings == []
