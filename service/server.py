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
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from workers.settings import Settings
from workers.store.cache import celery_broker_url
from workers.store.embedded_redis import EmbeddedRedis

log = logging.getLogger("newsum.serve")

WORKER_GRACE_S = 20.0


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
    import uvicorn

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
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host=host, port=port, log_level="info")
        )

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
