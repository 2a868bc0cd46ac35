"""The batch protocol through its one coordinator, on a real Redis: the plan waits
for the API's adding token, the last arrival sends it, a sealed batch is notified."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.batch.test_batch_plan import prepared
from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import BatchPlans, PlannedItem
from workers.contract import SummaryOptions
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


def test_an_abandoned_batch_gives_back_all_it_took(coordinator: BatchCoordinator) -> None:
    jobs = coordinator.jobs
    intake = coordinator.open("b", 4, webhook="https://hooks.example/done")
    ref = coordinator.plans.glossaries.put("b", {"嘉兴": "Jiaxing"})
    places = [intake.expect(i, True) for i in range(3)]
    for job_id, key in (("j0", "k0"), ("j1", "k1"), ("j2", "k2")):
        jobs.create(job_id, key=key)
        assert jobs.claim(key, job_id) is None
    jobs.mark_done("j2", result_key="r2")  # a worker was quicker: it stands
    # Another batch waits on j0 (it attached to it): it finishes with it.
    other = coordinator.open("other", 1, webhook=None)
    other.close(["j0"])
    coordinator.abandon("b", [("j0", "k0"), ("j1", "k1"), ("j2", "k2")], [ref], "broker away")

    for job_id in ("j0", "j1"):
        record = jobs.get(job_id)
        assert record is not None and record.state == "failed" and record.error is not None
        assert record.error.code == "transient" and "broker away" in record.error.message
    assert jobs.get("j2") is not None and jobs.get("j2").state == "done"  # type: ignore[union-attr]
    for key in ("k0", "k1", "k2"):
        assert not coordinator.jobs.client.exists(jobs.layout.inflight(key))
    assert coordinator.plans.glossaries.get(ref) is None
    record = coordinator.store.get("b")
    assert record is not None and record.error is not None and record.finished_at
    settled = coordinator.store.get("other")  # it waited on j0 only: j0 failing finished it
    assert settled is not None and settled.finished_at and settled.error is None
    # An item arriving later fails there; the plan never goes, no webhook is sent.
    jobs.create("j3", key="k3")
    late = PlannedItem(3, "j3", "k3", "own3", SummaryOptions(), prepared("甲乙丙。"))
    coordinator.arrive(places[0], late)
    assert jobs.get("j3").state == "failed"  # type: ignore[union-attr]
    coordinator.arrive(places[1], None)
    assert sent(coordinator) == []


def test_redis_refusing_one_step_of_giving_back_does_not_stop_the_others(
    coordinator: BatchCoordinator,
) -> None:
    jobs = coordinator.jobs
    coordinator.open("b", 1, webhook=None)
    jobs.create("j0", key="k0")
    jobs.claim("k0", "j0")

    def refused(*_: object) -> None:
        raise redis.exceptions.OutOfMemoryError("OOM command not allowed")

    coordinator.store.abandon = refused  # type: ignore[method-assign]
    coordinator.abandon("b", [("j0", "k0")], [], "Redis is full")
    assert not jobs.client.exists(jobs.layout.inflight("k0"))
    assert jobs.get("j0").state == "failed"  # type: ignore[union-attr]
