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
