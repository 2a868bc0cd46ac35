"""The job sweeper (``workers.queue.sweeper``) on a real (embedded) Redis with real
Celery messages: a queued job whose message is nowhere is failed transient after two
sweeps, and nothing else is touched."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis

from workers.contract import TASK_SUMMARIZE
from workers.queue.bootstrap import batch_coordinator
from workers.queue.celery_app import TASK_TRANSLATE, create_celery
from workers.queue.sweeper import LOST, Sweeper, jobs_with_messages, queue_keys
from workers.settings import Settings, load_settings
from workers.store.cache import RedisLayout, connect_redis, redis_layout
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore, new_id

LONG_AGO = "2020-01-01T00:00:00.000Z"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-sweeper")) as embedded:
        yield embedded


@pytest.fixture
def settings() -> Settings:
    return load_settings(
        redis_prefix=f"t{uuid.uuid4().hex[:8]}", sweep_interval_s=1, sweep_queued_after_s=60
    )


@pytest.fixture
def client(server: EmbeddedRedis) -> redis.Redis:
    return connect_redis(server.url)


def _job(jobs: JobStore, *, old: bool = True, delivered: bool = False) -> tuple[str, str]:
    job_id, key = new_id(), f"key-{new_id()}"
    jobs.create(job_id, key=key)
    assert jobs.claim(key, job_id) is None
    if old:
        jobs.client.hset(jobs.layout.job(job_id), "created_at", LONG_AGO)
    if delivered:
        jobs.client.hset(jobs.layout.job(job_id), "deliveries", 1)
    return job_id, key


def _to_unacked(client: redis.Redis, layout: RedisLayout, queue: str) -> None:
    """What a worker's BRPOP and unacked record do to the newest message."""
    raw = client.rpop(f"{layout.queue_prefix}{queue}")
    assert raw is not None
    entry = json.dumps([json.loads(str(raw)), queue, queue])
    client.hset(f"{layout.queue_prefix}unacked", uuid.uuid4().hex, entry)


def test_only_a_queued_job_with_no_message_anywhere_is_failed_after_two_sweeps(
    server: EmbeddedRedis, client: redis.Redis, settings: Settings
) -> None:
    layout = redis_layout(settings)
    jobs = JobStore(client, layout, ttl_s=300)
    app = create_celery(settings, redis_url=server.url)
    unacked, _ = _job(jobs)
    app.send_task(TASK_SUMMARIZE, args=[{"key": "k"}, unacked], queue="interactive")
    _to_unacked(client, layout, "interactive")
    queued, _ = _job(jobs)
    app.send_task(TASK_SUMMARIZE, args=[{"key": "k"}, queued], queue="batch")
    translating, _ = _job(jobs)
    options = {"alternatives": 2}
    app.send_task(
        TASK_TRANSLATE, args=[["你好"], "text", translating, options], queue="interactive"
    )
    lost, lost_key = _job(jobs)
    started, _ = _job(jobs, delivered=True)  # a task of it ran: not the sweeper's
    young, _ = _job(jobs, old=False)  # just sent, maybe
    app.close()
    assert jobs_with_messages(client, layout, ["interactive", "batch"]) == {
        unacked,
        queued,
        translating,
    }

    sweeper = Sweeper(client, layout, jobs, batch_coordinator(client, settings), settings, "a")
    other = Sweeper(client, layout, jobs, batch_coordinator(client, settings), settings, "b")
    assert sweeper.sweep() == []  # seen missing once: a suspect, not yet lost
    assert other.sweep() is None  # one sweep an interval, whoever takes the lock
    client.delete(sweeper.keys.lock)  # the interval passed
    assert other.sweep() == [lost]

    record = jobs.get(lost)
    assert record is not None and record.state == "failed" and record.error is not None
    assert record.error.code == "transient" and record.error.message == LOST
    assert client.get(layout.inflight(lost_key)) is None  # identical requests run afresh
    for job_id in (unacked, queued, translating, started, young):
        kept = jobs.get(job_id)
        assert kept is not None and kept.state == "queued", job_id


def test_a_suspect_whose_message_turns_up_is_not_failed(
    server: EmbeddedRedis, client: redis.Redis, settings: Settings
) -> None:
    layout = redis_layout(settings)
    jobs = JobStore(client, layout, ttl_s=300)
    held, _ = _job(jobs)
    sweeper = Sweeper(client, layout, jobs, batch_coordinator(client, settings), settings, "a")
    assert sweeper.sweep() == []
    # A worker that held the message while Redis was full hands it back.
    app = create_celery(settings, redis_url=server.url)
    app.send_task(TASK_SUMMARIZE, args=[{"key": "k"}, held], queue="interactive")
    app.close()
    client.delete(sweeper.keys.lock)
    assert sweeper.sweep() == []
    record = jobs.get(held)
    assert record is not None and record.state == "queued"


def test_the_queue_keys_cover_every_priority_kombu_uses() -> None:
    keys = queue_keys(RedisLayout("p"), ["batch"])
    assert keys[0] == "p:q:batch" and "p:q:batch\x06\x169" in keys and len(keys) == 4
