"""The failure policy when Redis is at ``maxmemory`` (``workers.queue.failure``), on a
real (embedded) Redis: transient, wherever the refusal strikes; retried once Redis
has room; the message given back, never dropped, while it stays full."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from celery.exceptions import Reject, Retry

from workers.errors import TransientError
from workers.queue import bootstrap, failure
from workers.queue.bootstrap import batch_coordinator
from workers.queue.celery_app import QueueConfig
from workers.settings import load_settings
from workers.store.cache import connect_redis, redis_layout
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore, new_id
from workers.store.maxmemory import FULL, is_out_of_memory, writes_refused

OOM = "command not allowed when used memory > 'maxmemory'."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-failure")) as embedded:
        yield embedded


@pytest.fixture
def client(server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = connect_redis(server.url)
    yield client
    client.config_set("maxmemory", 0)


def _fill(client: redis.Redis) -> None:
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", 1)


class FakeTask:
    """What the policy asks of a Celery task: its retries, and ``retry``."""

    def __init__(self, retries: int = 0) -> None:
        self.request = SimpleNamespace(retries=retries)
        self.retried: list[int] = []

    def retry(self, exc: BaseException, countdown: int) -> Retry:
        self.retried.append(countdown)
        return Retry("retry", exc=exc, when=countdown)


@pytest.fixture
def ctx(client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A worker context with what ``guarded`` uses, installed as this process's."""
    settings = load_settings(redis_prefix=f"t{uuid.uuid4().hex[:8]}", task_max_retries=2)
    layout = redis_layout(settings)
    made = SimpleNamespace(
        client=client,
        layout=layout,
        queues=QueueConfig.from_settings(settings),
        jobs=JobStore(client, layout, ttl_s=300),
        batches=batch_coordinator(client, settings),
    )
    monkeypatch.setattr(bootstrap, "_context", made)
    monkeypatch.setattr(failure, "REDIS_FULL_WAIT_S", 0.3)
    return made


def _oom_when(client: redis.Redis) -> Callable[[Any], None]:
    def work(_: Any) -> None:
        _fill(client)
        client.set("anything", "x")  # refused: raises OutOfMemoryError

    return work


def test_out_of_memory_is_told_apart_also_when_wrapped(client: redis.Redis) -> None:
    _fill(client)
    with pytest.raises(redis.RedisError) as refused:
        client.set("k", "v")
    assert is_out_of_memory(refused.value)
    try:
        raise TransientError("the job store is not answering") from refused.value
    except TransientError as wrapped:
        assert is_out_of_memory(wrapped)
    assert not is_out_of_memory(redis.ResponseError("WRONGTYPE Operation against a key"))
    assert not is_out_of_memory(redis.ConnectionError("gone"))


def test_readiness_reason_names_maxmemory_and_clears_with_room(client: redis.Redis) -> None:
    layout = redis_layout(load_settings())
    assert writes_refused(client, layout) is None
    _fill(client)
    reason = writes_refused(client, layout)
    assert reason is not None and reason.startswith(FULL) and "noeviction" in reason
    client.config_set("maxmemory", 0)
    assert writes_refused(client, layout) is None


def test_a_job_meeting_a_full_redis_is_retried_once_there_is_room(
    ctx: SimpleNamespace, client: redis.Redis
) -> None:
    job_id = new_id()
    ctx.jobs.create(job_id, key="k")

    def work(_: Any) -> None:
        _fill(client)
        try:
            client.set("anything", "x")
        finally:
            client.config_set("maxmemory", 0)  # room again while the task waits

    task = FakeTask()
    with pytest.raises(Retry):
        failure.guarded(task, job_id, "k", work)
    assert task.retried == [2]
    record = ctx.jobs.get(job_id)
    assert record is not None and record.state == "queued"  # not "internal", not failed


def test_a_job_whose_failure_cannot_be_recorded_gives_its_message_back(
    ctx: SimpleNamespace, client: redis.Redis
) -> None:
    job_id = new_id()
    ctx.jobs.create(job_id, key="k")
    task = FakeTask()
    with pytest.raises(Reject) as rejected:
        failure.guarded(task, job_id, "k", _oom_when(client))
    assert rejected.value.requeue is True  # back to its queue, or unacked: never dropped
    assert task.retried == []  # a retry could not have been sent
    client.config_set("maxmemory", 0)
    record = ctx.jobs.get(job_id)
    assert record is not None and record.state == "queued"


def test_a_job_out_of_retries_fails_transient_naming_the_full_redis(
    ctx: SimpleNamespace, client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = new_id()
    ctx.jobs.create(job_id, key="k")
    # Room again by the time the policy asks.
    monkeypatch.setattr(failure, "wait_for_room", lambda *_: client.config_set("maxmemory", 0))
    failure.guarded(FakeTask(retries=2), job_id, "k", _oom_when(client))
    record = ctx.jobs.get(job_id)
    assert record is not None and record.state == "failed" and record.error is not None
    assert record.error.code == "transient" and FULL in record.error.message
    assert client.get(ctx.layout.inflight("k")) is None


def test_a_plan_meeting_a_full_redis_is_retried_without_a_limit(
    ctx: SimpleNamespace, client: redis.Redis
) -> None:
    task = FakeTask(retries=50)
    error = redis.exceptions.OutOfMemoryError(OOM)
    with pytest.raises(Retry):
        failure.retry_when_redis_has_room(task, ctx, "plan", error, None)  # type: ignore[arg-type]
    assert task.retried == [60]  # backoff(5), capped: at most a minute apart
