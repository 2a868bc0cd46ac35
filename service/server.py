"""Process management for ``newsum serve`` and ``newsum worker``.

``newsum serve`` on one machine::

    newsum serve ─┬─ embedded redis-server (unix socket, only if NEWSUM_REDIS_URL is unset)
                  ├─ worker: `python -m service.commands worker` (its own session)
                  └─ uvicorn, in this process

Children run in their own sessions so that Ctrl-C reaches only us and we stop
them in order: the API first, then the worker (warm shutdown, then cold after
a grace period: an unfinished task is unacked and goes back to the queue), then
Redis. If the worker dies (a model failed to load), the API stops too, with
the worker's reason already on stderr.

uvicorn's limits (``api_server``): a connection must deliver a whole request
head within HEADER_TIMEOUT_S of opening or of its last answer (slow-header
clients are cut off), an idle keep-alive connection closes after KEEP_ALIVE_S,
a request head may be at most MAX_HEAD_BYTES, and past MAX_CONNECTIONS open
connections or requests new requests get 503. On a loopback address the server
answers only to its own host names and refuses cross-site writes
(``service.security.LoopbackGuard``). In production, put a reverse proxy in
front (TLS, its own header and body timeouts, connection limits).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from workers.settings import Settings
from workers.store.cache import celery_broker_url
from workers.store.embedded_redis import EmbeddedRedis

if TYPE_CHECKING:
    import asyncio

    import uvicorn
    from fastapi import FastAPI

log = logging.getLogger("newsum.serve")

WORKER_GRACE_S = 20.0
HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5
MAX_HEAD_BYTES = 16 * 1024
MAX_CONNECTIONS = 1000


class WorkerStartFailed(RuntimeError):
    """A worker process could not start (engines, Redis); the message says why."""


def run_worker(
    settings: Settings,
    *,
    concurrency: int,
    profile: str,
    queues: Sequence[str],
    pool: str = "prefork",
    loglevel: str = "INFO",
) -> None:
    """Start a Celery worker in this process (blocks until it stops). Raises
    WorkerStartFailed with the reason when a worker process could not load its engines."""
    from workers.queue.bootstrap import configure_worker, startup_failure
    from workers.queue.celery_app import create_celery
    from workers.queue.tasks import register_tasks

    if not settings.redis_url:
        raise ValueError("the worker needs NEWSUM_REDIS_URL (or run `newsum serve`)")
    # One model copy per process, each with its share of the cores: no oversubscription.
    tuned = settings.threads_for(concurrency if pool == "prefork" else 1)
    app = create_celery(tuned)
    register_tasks(app)
    configure_worker(tuned, profile, settings.redis_url)
    log.info("worker: broker %s, queues %s", celery_broker_url(settings.redis_url), queues)
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--pool={pool}",
        f"--queues={','.join(queues)}",
        f"--loglevel={loglevel}",
        f"--hostname=newsum-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    try:
        app.worker_main(argv)
    except SystemExit:  # the solo pool stops this way when it cannot start
        reason = startup_failure()
        if reason is not None:
            raise WorkerStartFailed(reason) from None
        raise
    reason = startup_failure()
    if reason is not None:
        raise WorkerStartFailed(reason)


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def stop_process(process: subprocess.Popen[bytes], grace_s: float = WORKER_GRACE_S) -> None:
    """SIGTERM (Celery: warm shutdown), then SIGQUIT (cold), then SIGKILL."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)  # its prefork children too
        except ProcessLookupError:
            return
        try:
            process.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def worker_command_line(concurrency: int, profile: str, loglevel: str = "INFO") -> list[str]:
    return [
        sys.executable,
        "-m",
        "service.commands",
        "worker",
        f"--concurrency={concurrency}",
        f"--profile={profile}",
        f"--loglevel={loglevel}",
    ]


def run_server(settings: Settings, *, host: str, port: int, concurrency: int, profile: str) -> int:
    """API + worker (+ embedded Redis) until Ctrl-C or SIGTERM; returns the exit code."""
    from service.app import create_app

    # uvicorn re-raises the signal it caught after shutting down; with this handler
    # a SIGTERM becomes SystemExit and our cleanup below still runs.
    signal.signal(signal.SIGTERM, _raise_exit)
    embedded: EmbeddedRedis | None = None
    worker: subprocess.Popen[bytes] | None = None
    stopping = threading.Event()
    worker_died = threading.Event()
    try:
        url = settings.redis_url
        if not url:
            embedded = EmbeddedRedis(settings.redis_dir)
            embedded.start()
            url = embedded.url
            log.info("embedded Redis at %s", url)
            settings = settings.model_copy(update={"redis_url": url})
        env = dict(os.environ, NEWSUM_REDIS_URL=url)
        worker = subprocess.Popen(
            worker_command_line(concurrency, profile), env=env, start_new_session=True
        )
        server = api_server(create_app(settings), host=host, port=port, cors=settings.cors_origins)

        def watch(process: subprocess.Popen[bytes]) -> None:
            process.wait()
            if not stopping.is_set():
                log.error("the worker exited (code %s): stopping the API", process.returncode)
                worker_died.set()
                server.should_exit = True

        threading.Thread(target=watch, args=(worker,), daemon=True).start()
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        if worker is not None:
            stop_process(worker)
        if embedded is not None:
            embedded.stop()
    return 1 if worker_died.is_set() else 0


def is_loopback(host: str) -> bool:
    """Whether ``host`` (what the server binds to) is a loopback address or name."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def head_timeout_protocol(seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing a connection that has not delivered a whole
    request head ``seconds`` after it opened or after its last answer."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadTimeoutProtocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_head_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = None
            if not self.transport.is_closing():
                self._head_timer = self.loop.call_later(seconds, self._head_overdue)

        def _head_overdue(self) -> None:
            self._head_timer = None
            between_requests = self.cycle is None or self.cycle.response_complete
            if between_requests and not self.transport.is_closing():
                self.transport.close()

    return HeadTimeoutProtocol


def api_server(
    app: FastAPI,
    *,
    host: str,
    port: int,
    cors: str = "",
    header_timeout_s: float = HEADER_TIMEOUT_S,
    log_level: str = "info",
) -> uvicorn.Server:
    """The API under uvicorn with the limits above; on loopback, guarded
    (``service.security.install_loopback_guard``)."""
    import uvicorn

    from service.security import install_loopback_guard

    if is_loopback(host):
        install_loopback_guard(app, host, port, cors)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=head_timeout_protocol(header_timeout_s),
        timeout_keep_alive=KEEP_ALIVE_S,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        limit_concurrency=MAX_CONNECTIONS,
    )
    return uvicorn.Server(config)
