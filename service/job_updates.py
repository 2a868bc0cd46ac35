"""Job updates, pushed: one Redis subscription per API process wakes whoever waits on a job.

``workers.store.jobs`` publishes on the job's channel (``RedisLayout.job_updates``) with
every write to its record. The API subscribes once, to the pattern of every job's
channel, and wakes the event streams and ``wait`` long-polls watching that job;
each then re-reads the record. So a waiting client costs Redis one read per update
of its job, not one per poll: 100 open streams cost what one does.

Pub/sub delivers at most once (what is published while the subscription
reconnects is lost), so a watcher also re-reads every ``SAFETY_REREAD_S``, and
everyone is woken once the subscription is back.

Why a thread with redis-py's blocking ``PubSub`` rather than ``redis.asyncio``:
the subscription must outlive any one event loop (``TestClient`` runs requests in
loops of their own), and it shares the API's Redis client and its settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import redis
from starlette.concurrency import run_in_threadpool

from workers.store.cache import RedisLayout
from workers.store.jobs import JobRecord

log = logging.getLogger("newsum.api")

# A watcher re-reads its job this often even when nothing was announced.
SAFETY_REREAD_S = 15.0
# How long the listener blocks for a message before it looks at its stop flag.
LISTEN_TICK_S = 1.0
# How long a first watcher waits for the subscription to be confirmed.
SUBSCRIBE_WAIT_S = 5.0
RECONNECT_MAX_S = 5.0
# With nobody watching this long, the listener stops (and unsubscribes).
IDLE_STOP_S = 60.0


class JobWatch:
    """One waiter on one job, woken from the listener thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._changed = asyncio.Event()

    def wake(self) -> None:
        """Called from the listener thread."""
        # RuntimeError: the waiter's loop has closed; it is no longer waiting.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._changed.set)

    async def changed(self, timeout_s: float) -> bool:
        """Wait until the job is announced (True) or ``timeout_s`` passes (False)."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout_s)
        except TimeoutError:
            return False
        self._changed.clear()
        return True


class JobUpdates:
    """The API process's one subscription to job updates, shared by every waiter."""

    def __init__(self, client: redis.Redis, layout: RedisLayout) -> None:
        self.client = client
        self.layout = layout
        self._channel_head = layout.job_updates("")
        self._watches: dict[str, set[JobWatch]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._idle_since: float | None = None

    @property
    def watching(self) -> int:
        """Waiters now registered (event streams and long-polls)."""
        with self._lock:
            return sum(len(watches) for watches in self._watches.values())

    @asynccontextmanager
    async def watch(self, job_id: str) -> AsyncIterator[JobWatch]:
        """Register a waiter on ``job_id`` (read the record only after entering)."""
        watch = JobWatch(asyncio.get_running_loop())
        with self._lock:  # with the start: a retiring listener sees this watcher
            self._watches.setdefault(job_id, set()).add(watch)
            self._start()
        try:
            if not self._subscribed.is_set():
                # A first watcher waits for the subscription, or its first update could
                # be published before anyone listens (the safety re-read would find it late).
                await run_in_threadpool(self._subscribed.wait, SUBSCRIBE_WAIT_S)
            yield watch
        finally:
            with self._lock:
                watches = self._watches.get(job_id, set())
                watches.discard(watch)
                if not watches:
                    self._watches.pop(job_id, None)

    def close(self) -> None:
        """Stop listening (the app's shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=LISTEN_TICK_S * 3)

    # --- the listener thread ---

    def _start(self) -> None:
        """Start the listener if none runs (the caller holds the lock)."""
        if self._thread is None and not self._stop.is_set():
            self._idle_since = None
            self._thread = threading.Thread(
                target=self._listen, name="newsum-job-updates", daemon=True
            )
            self._thread.start()

    def _retire_if_idle(self) -> bool:
        """True (and the listener is forgotten) after IDLE_STOP_S with nobody watching:
        an idle API holds no subscription; the next watcher starts a new listener."""
        with self._lock:
            now = time.monotonic()
            if self._watches or self._idle_since is None:
                self._idle_since = None if self._watches else now
                return False
            if now - self._idle_since < IDLE_STOP_S:
                return False
            self._thread = None
            self._subscribed.clear()
            return True

    def _wake(self, job_id: str | None) -> None:
        with self._lock:
            if job_id is None:
                watches = [w for ws in self._watches.values() for w in ws]
            else:
                watches = list(self._watches.get(job_id, ()))
        for watch in watches:
            watch.wake()

    def _listen(self) -> None:
        pause, broken = 0.1, False
        while not self._stop.is_set():
            pubsub = self.client.pubsub()
            try:
                pubsub.psubscribe(self.layout.job_updates_pattern)
                while not self._stop.is_set():
                    if self._retire_if_idle():
                        return
                    message = pubsub.get_message(timeout=LISTEN_TICK_S)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        self._subscribed.set()
                        pause, broken = 0.1, False
                        self._wake(None)  # updates may have been missed while away
                    elif message["type"] == "pmessage":
                        self._wake(str(message["channel"]).removeprefix(self._channel_head))
            except Exception as exc:  # the listener must outlive any error; watchers re-read
                self._subscribed.clear()
                if not broken:
                    log.warning("job updates: the subscription to Redis broke (%s); retrying", exc)
                broken = True
                if self._retire_if_idle():
                    return
                self._stop.wait(pause)
                pause = min(pause * 2, RECONNECT_MAX_S)
            finally:
                with contextlib.suppress(redis.RedisError):
                    pubsub.close()


ReadJob = Callable[[], Awaitable[JobRecord | None]]


async def wait_until_finished(
    updates: JobUpdates, job_id: str, read: ReadJob, wait_s: float
) -> JobRecord | None:
    """The job once it is finished or gone (None), or as it stands after ``wait_s``.

    Woken by the job's announcements; re-reads at least every SAFETY_REREAD_S."""
    job = await read()
    if job is None or job.finished or wait_s <= 0:
        return job
    deadline = asyncio.get_running_loop().time() + wait_s
    async with updates.watch(job_id) as watch:
        while True:
            job = await read()  # after registering: no announcement falls in between
            left = deadline - asyncio.get_running_loop().time()
            if job is None or job.finished or left <= 0:
                return job
            await watch.changed(min(left, SAFETY_REREAD_S))
