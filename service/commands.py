"""``newsum serve`` and ``newsum worker`` (added to the ``newsum`` group in service.cli).

``python -m service.commands worker`` runs the same commands without the rest
of the command line; ``newsum serve`` starts its worker that way.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from workers.settings import Settings, SettingsError, load_settings

EXIT_START_FAILED = 3
PROFILES = click.Choice(["auto", "offline", "standard", "llm"])


def _settings_or_fail() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="worker processes (each loads the models once)",
)
@click.option("--profile", default="auto", show_default=True, type=PROFILES)
def serve_command(host: str, port: int, concurrency: int, profile: str) -> None:
    """The API, a worker and (without NEWSUM_REDIS_URL) an embedded Redis, on this machine."""
    from service.server import run_server
    from workers.store.embedded_redis import EmbeddedRedisError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = _settings_or_fail()
    if "NEWSUM_ANONYMOUS" not in os.environ and _is_loopback(host):
        # Only this machine can reach a loopback server: let its user (and the web
        # page's multi-file upload) send batches without a key.
        settings = settings.model_copy(update={"anonymous": "all"})
        logging.getLogger("newsum.serve").info(
            "listening on %s only: anonymous batches allowed (NEWSUM_ANONYMOUS overrides)", host
        )
    try:
        code = run_server(settings, host=host, port=port, concurrency=concurrency, profile=profile)
    except EmbeddedRedisError as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(code)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("worker")
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="worker processes (each loads the models once)",
)
@click.option("--profile", default="auto", show_default=True, type=PROFILES)
@click.option(
    "--queues",
    default=None,
    help="comma-separated queues, read in this order [default: interactive,batch]",
)
@click.option(
    "--pool",
    default="prefork",
    show_default=True,
    type=click.Choice(["prefork", "solo"]),
    help="prefork enforces time limits; solo runs tasks in this one process",
)
@click.option("--loglevel", default="INFO", show_default=True)
def worker_command(
    concurrency: int, profile: str, queues: str | None, pool: str, loglevel: str
) -> None:
    """A Celery worker alone (Redis from NEWSUM_REDIS_URL)."""
    from service.server import WorkerStartFailed, run_worker
    from workers.queue.celery_app import QueueConfig

    settings = _settings_or_fail()
    if not settings.redis_url:
        raise click.ClickException("the worker needs NEWSUM_REDIS_URL (or run `newsum serve`)")
    config = QueueConfig.from_settings(settings)
    names = [q.strip() for q in queues.split(",")] if queues else [config.interactive, config.batch]
    try:
        run_worker(
            settings,
            concurrency=concurrency,
            profile=profile,
            queues=names,
            pool=pool,
            loglevel=loglevel,
        )
    except WorkerStartFailed as exc:
        click.echo(f"newsum: error: the worker could not start: {exc}", err=True)
        sys.exit(EXIT_START_FAILED)


def _main() -> None:
    group = click.Group(commands={"serve": serve_command, "worker": worker_command})
    group(prog_name="newsum")


if __name__ == "__main__":
    _main()
