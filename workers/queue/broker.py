"""The broker: kombu's Redis transport, kept alive through a Redis at ``maxmemory``.

A worker takes a task message with ``BRPOP`` (Redis allows it when full) and then
records it as unacked (``ZADD`` to the unacked index, ``HSET`` of the message:
both refused with OOM at ``maxmemory``). Stock, that ``OutOfMemoryError`` escapes
the worker's event loop, Celery stops with "Unrecoverable error", and the message,
already popped, is lost with the process: its job stays "queued" for good. Here:

- a message whose unacked record is refused is **held back** in this worker: it
  takes no other message meanwhile, tries every ``HOLD_RETRY_S`` to record it
  again, and hands it to Celery once Redis has room (as if just received);
- putting a message back (a rejected task, a redelivery) refused with OOM leaves
  it in the unacked index, and it is tried again every ``HOLD_RETRY_S`` (if the
  worker stops first, the visibility timeout brings it back);
- a worker stopping with a message held pushes it back to its queue; if Redis is
  still full it logs the task, and the job sweeper (``workers.queue.sweeper``)
  settles its job.

Celery finds this transport by the ``newsum-redis`` alias (``transport_url``): a
``redis://`` URL becomes ``newsum-redis://``, ``redis+socket://`` becomes
``newsum-redis+socket://``. ``rediss://`` keeps kombu's own transport, whose TLS
set-up is tied to that scheme's name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis
from kombu.utils.json import dumps

from workers.store.maxmemory import FULL, is_out_of_memory

log = logging.getLogger("newsum.worker")

ALIAS = "newsum-redis"
# How often a held-back message is tried again.
HOLD_RETRY_S = 1.0
HELD_BACK = "stays in this worker until Redis accepts writes again"


class HeldBack(Exception):
    """Redis refused to record the message as unacked: it waits in this worker."""


def transport_url(url: str) -> str:
    """The Celery broker URL that selects this transport (``url`` as
    ``workers.store.cache.celery_broker_url`` makes it); registers the alias."""
    TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:Transport")
    for scheme in ("redis://", "redis+socket://"):
        if url.startswith(scheme):
            return ALIAS + url.removeprefix("redis")
    return url


def _task_of(raw: dict[str, Any]) -> str:
    headers = raw.get("headers") or {}
    return f"{headers.get('task', '?')}[{headers.get('id', '?')}]"


class QoS(kombu_redis.QoS):
    """kombu's unacked bookkeeping, with out-of-memory answered instead of raised."""

    def append(self, message: Any, delivery_tag: str) -> None:
        try:
            super().append(message, delivery_tag)
        except redis.ResponseError as exc:
            if not is_out_of_memory(exc):
                raise
            raise HeldBack(str(exc)) from exc

    def can_consume(self) -> bool:
        # While a message is held back, take no other: Redis is full, and messages
        # pulled into this process would only wait here too.
        return not self.channel.held and bool(super().can_consume())

    def restore_by_tag(self, tag: str, client: Any = None, leftmost: bool = False) -> None:
        try:
            super().restore_by_tag(tag, client=client, leftmost=leftmost)
        except redis.ResponseError as exc:
            if not is_out_of_memory(exc):
                raise
            # The transaction was refused whole: the message is still in the unacked
            # index. Tried again every HOLD_RETRY_S here; if this worker stops first,
            # the visibility timeout restores it.
            if tag not in self.channel.restore_later:
                log.warning(
                    "%s: message %s stays unacked until it can go back (%s)", FULL, tag, exc
                )
            self.channel.restore_later[tag] = leftmost

    def restore_visible(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().restore_visible(*args, **kwargs)
        except redis.ResponseError as exc:  # its lock cannot be taken: the next tick
            if not is_out_of_memory(exc):
                raise


class Channel(kombu_redis.Channel):
    """kombu's Redis channel, holding back what Redis cannot record."""

    QoS = QoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.held: list[tuple[dict[str, Any], str]] = []
        self.restore_later: dict[str, bool] = {}  # delivery tag → leftmost
        self._retrying = False
        super().__init__(*args, **kwargs)

    def basic_consume(self, queue: str, *args: Any, **kwargs: Any) -> Any:
        tag = super().basic_consume(queue, *args, **kwargs)
        callbacks: dict[str, Callable[[dict[str, Any]], Any]] = self.connection._callbacks
        deliver = callbacks[queue]

        def deliver_or_hold(raw: dict[str, Any]) -> Any:
            try:
                return deliver(raw)
            except HeldBack as exc:
                self.held.append((raw, queue))
                if not self._retrying:
                    log.warning("%s: task %s %s (%s)", FULL, _task_of(raw), HELD_BACK, exc)
                return None

        callbacks[queue] = deliver_or_hold
        return tag

    def deliver_held(self) -> None:
        """Hand the held messages to Celery, in order, while Redis records them."""
        self._retrying = True
        try:
            while self.held:
                raw, queue = self.held.pop(0)
                waiting = len(self.held)
                try:
                    self.connection._deliver(raw, queue)
                except BaseException:
                    self.held.insert(0, (raw, queue))
                    raise
                if len(self.held) > waiting:  # held again: it goes back to the front
                    self.held.insert(0, self.held.pop())
                    return
                log.info("task %s taken from this worker's hold: Redis has room", _task_of(raw))
        finally:
            self._retrying = False

    def retry_restores(self) -> None:
        """Put back the messages a full Redis kept in the unacked index, while it can."""
        for tag, leftmost in list(self.restore_later.items()):
            del self.restore_later[tag]
            self.qos.restore_by_tag(tag, leftmost=leftmost)
            if tag in self.restore_later:  # still full
                return

    def _push_back_held(self) -> None:
        while self.held:
            raw, queue = self.held.pop(0)
            try:
                with self.conn_or_acquire() as client:
                    priority = self._get_message_priority(raw, reverse=False)
                    client.rpush(self._q_for_pri(queue, priority), dumps(raw))
            except redis.RedisError as exc:
                log.critical(
                    "task %s held back for a full Redis is lost with this worker: %s "
                    "(the job sweeper settles its job)",
                    _task_of(raw),
                    exc,
                )

    def close(self) -> None:
        self._push_back_held()
        super().close()


class Transport(kombu_redis.Transport):
    """kombu's Redis transport with ``Channel``; retries held messages on the loop."""

    Channel = Channel

    def register_with_event_loop(self, connection: Any, loop: Any) -> None:
        super().register_with_event_loop(connection, loop)
        old = getattr(self, "_held_tref", None)
        if old is not None:
            old.cancel()
        self._held_tref = loop.call_repeatedly(HOLD_RETRY_S, self.deliver_held)

    def deliver_held(self) -> None:
        """Messages a full Redis kept waiting: put back, then delivered."""
        for channel in list(self.channels):
            if isinstance(channel, Channel):
                if channel.restore_later:
                    channel.retry_restores()
                if channel.held:
                    channel.deliver_held()
