"""The broker transport (``workers.queue.broker``) on a real (embedded) Redis driven to
its ``maxmemory``: a message taken while Redis refuses writes is held back, not lost,
and the consumer does not die."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from kombu import Connection, Consumer, Exchange, Message, Producer, Queue

from workers.queue.broker import Channel, Transport, transport_url
from workers.queue.celery_app import create_celery
from workers.settings import load_settings
from workers.store.cache import celery_broker_url, connect_redis
from workers.store.embedded_redis import EmbeddedRedis


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-broker")) as embedded:
        yield embedded


@pytest.fixture
def client(server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = connect_redis(server.url)
    yield client
    client.config_set("maxmemory", 0)


class Full:
    """Redis refuses every write that may grow memory while inside (maxmemory 1 byte)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def __enter__(self) -> None:
        self.client.config_set("maxmemory-policy", "noeviction")
        self.client.config_set("maxmemory", 1)

    def __exit__(self, *_: object) -> None:
        self.client.config_set("maxmemory", 0)


@pytest.fixture
def consumer(server: EmbeddedRedis) -> Iterator[dict[str, Any]]:
    """A kombu consumer on this transport, one queue, and what it received."""
    prefix = f"t{uuid.uuid4().hex[:8]}:q:"
    url = transport_url(celery_broker_url(server.url))
    with Connection(url, transport_options={"global_keyprefix": prefix}) as conn:
        queue = Queue("interactive", Exchange("interactive", type="direct"), "interactive")
        channel = conn.channel()
        received: list[tuple[Any, Message]] = []

        def publish(body: Any) -> None:
            Producer(conn.channel()).publish(
                body,
                exchange=queue.exchange,
                routing_key="interactive",
                declare=[queue],
                serializer="json",
            )

        with Consumer(
            channel,
            [queue],
            callbacks=[lambda body, message: received.append((body, message))],
            accept=["json"],
        ):
            yield {
                "conn": conn,
                "channel": channel,
                "received": received,
                "publish": publish,
                "queue": f"{prefix}interactive",
                "unacked": f"{prefix}unacked",
            }


def test_the_newsum_transport_is_what_celery_connects_with_on_tcp_and_unix_sockets() -> None:
    assert transport_url("redis://127.0.0.1:6379/0") == "newsum-redis://127.0.0.1:6379/0"
    assert transport_url("redis+socket:///run/r.sock") == "newsum-redis+socket:///run/r.sock"
    assert transport_url("rediss://host:6380/0") == "rediss://host:6380/0"  # kombu's TLS set-up
    for url, host in (
        ("redis://127.0.0.1:6399/2", "127.0.0.1"),
        ("unix:///tmp/newsum-test.sock?db=0", "socket:///tmp/newsum-test.sock?virtual_host=0"),
    ):
        app = create_celery(load_settings(), redis_url=url)
        with app.connection_for_read() as conn:
            assert isinstance(conn.transport, Transport)
            assert conn.hostname == host


def test_a_message_taken_while_redis_is_full_is_held_then_delivered_once_there_is_room(
    client: redis.Redis, consumer: dict[str, Any]
) -> None:
    conn, channel, received = consumer["conn"], consumer["channel"], consumer["received"]
    consumer["publish"]({"n": 1})
    assert client.llen(consumer["queue"]) == 1
    with Full(client):
        conn.drain_events(timeout=5)  # stock kombu raises OutOfMemoryError here
        assert received == []
        assert client.llen(consumer["queue"]) == 0  # popped: only this process holds it
        assert client.hlen(consumer["unacked"]) == 0
        assert isinstance(channel, Channel) and len(channel.held) == 1
        assert not channel.qos.can_consume()  # no other message while one is held
        conn.transport.deliver_held()  # still full: held again, not lost
        assert received == [] and len(channel.held) == 1
    conn.transport.deliver_held()
    assert [body for body, _ in received] == [{"n": 1}]
    assert channel.held == [] and channel.qos.can_consume()
    assert client.hlen(consumer["unacked"]) == 1  # recorded as unacked, as usual
    received[0][1].ack()
    assert client.hlen(consumer["unacked"]) == 0


def test_a_held_message_goes_back_to_its_queue_when_the_channel_closes(
    client: redis.Redis, consumer: dict[str, Any]
) -> None:
    consumer["publish"]({"n": 2})
    with Full(client):
        consumer["conn"].drain_events(timeout=5)
    channel = consumer["channel"]
    assert len(channel.held) == 1
    channel.close()
    assert channel.held == []
    assert client.llen(consumer["queue"]) == 1  # for the next worker to take


def test_a_held_message_is_logged_not_raised_when_redis_is_still_full_at_close(
    client: redis.Redis, consumer: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    consumer["publish"]({"n": 3})
    with Full(client):
        consumer["conn"].drain_events(timeout=5)
        consumer["channel"].close()
    assert "is lost with this worker" in caplog.text
    assert client.llen(consumer["queue"]) == 0


def test_a_requeue_refused_by_a_full_redis_leaves_the_message_unacked(
    client: redis.Redis, consumer: dict[str, Any]
) -> None:
    consumer["publish"]({"n": 4})
    consumer["conn"].drain_events(timeout=5)
    ((_, message),) = consumer["received"]
    assert client.hlen(consumer["unacked"]) == 1
    with Full(client):
        message.reject(requeue=True)  # stock kombu raises OutOfMemoryError
        assert client.llen(consumer["queue"]) == 0
        assert client.hlen(consumer["unacked"]) == 1  # kept safe in Redis
        consumer["conn"].transport.deliver_held()  # still full: tried, kept
        assert consumer["channel"].restore_later == {message.delivery_tag: True}
        consumer["channel"].qos.restore_visible(interval=1)  # quiet, not raised
    consumer["conn"].transport.deliver_held()  # room again: back it goes
    assert consumer["channel"].restore_later == {}
    assert client.llen(consumer["queue"]) == 1
    assert client.hlen(consumer["unacked"]) == 0
