"""The batch protocol through its one coordinator, on a real Redis: the plan waits
for the API's adding token, the last arrival sends it, a sealed batch is notified."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import BatchPlans
from workers.store.batches import BatchStore
from workers.store.cache import RedisLayout, connect_redis
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore


class RecordingTasks:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, list[int] | None]] = []

    def send_plan(self, batch_id: str) -> None:
        self.sent.append(("plan", batch_id, None))

    def send_planned(self, batch_id: str, indices: list[int]) -> None:
        self.sent.append(("planned", batch_id, indices))

    def send_notify(self, batch_id: str) -> None:
        self.sent.append(("notify", batch_id, None))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-coordinator")) as embedded:
        yield embedded


@pytest.fixture
def coordinator(server: EmbeddedRedis) -> BatchCoordinator:
    client: redis.Redis = connect_redis(server.url)
    layout = RedisLayout(f"t{uuid.uuid4().hex[:8]}")
    return BatchCoordinator(
        BatchStore(client, layout, 600),
        BatchPlans(client, layout, 600),
        JobStore(client, layout, 600),
        RecordingTasks(),
    )


def sent(coordinator: BatchCoordinator) -> list[tuple[str, str, list[int] | None]]:
    tasks = coordinator.tasks
    assert isinstance(tasks, RecordingTasks)
    return tasks.sent


def test_the_last_arrival_after_the_api_closed_sends_the_plan(
    coordinator: BatchCoordinator,
) -> None:
    intake = coordinator.open("b", 2, webhook=None)
    places = [intake.expect(0, True), intake.expect(1, True)]
    coordinator.jobs.create("j0")
    coordinator.jobs.create("j1")
    coordinator.arrive(places[0], None)  # both arrive while the API still adds
    coordinator.arrive(places[1], None)
    assert sent(coordinator) == []  # the adding token holds the plan back
    assert intake.close(["j0", "j1"]) is False  # the jobs still run
    assert sent(coordinator) == [("plan", "b", None)]
    coordinator.arrive(places[1], None)  # a redelivered arrival: the plan may go again
    assert sent(coordinator)[-1] == ("plan", "b", None)


def test_a_batch_finished_when_sealed_is_notified_once(coordinator: BatchCoordinator) -> None:
    intake = coordinator.open("b", 1, webhook="https://hooks.example/done")
    coordinator.jobs.create("j0", state="failed")
    assert intake.close(["j0"]) is True  # nothing planned: no plan; finished: notified
    assert sent(coordinator) == [("notify", "b", None)]
    record = coordinator.store.get("b")
    assert record is not None and record.pending == 0 and record.finished_at
    coordinator.job_finished("j0")  # already settled: no second webhook
    assert sent(coordinator) == [("notify", "b", None)]


def test_planned_articles_go_together_or_one_each(coordinator: BatchCoordinator) -> None:
    coordinator.send_planned("b", [3, 4])
    coordinator.send_planned("b", [5, 6], each=True)
    coordinator.send_planned("b", [])
    assert sent(coordinator) == [
        ("planned", "b", [3, 4]),
        ("planned", "b", [5]),
        ("planned", "b", [6]),
    ]
