"""Helpers of tests/reliability/test_hostile_http.py: waiting on a condition, a server
that drips its headers, the API served by uvicorn as ``newsum serve`` serves it, and
raw-socket requests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import uvicorn

from service.app import create_app
from service.deps import CeleryQueue
from tests.reliability.conftest import RedisProcess, free_port
from workers.queue.celery_app import create_celery
from workers.settings import Settings, load_settings
from workers.store.cache import PipelineInfo, RedisLayout, connect_redis, publish_pipeline


def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    """Poll ``condition`` every 50 ms until it holds (True) or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def settings_on(server: RedisProcess, **given: Any) -> Settings:
    prefix = f"hh{uuid.uuid4().hex[:8]}"
    settings = load_settings(redis_url=server.url, redis_prefix=prefix, **given)
    publish_pipeline(
        connect_redis(server.url),
        RedisLayout(prefix),
        PipelineInfo("offline", "fp", [], False, []),
        also_as=("auto",),
    )
    return settings


class Served:
    """The API as ``newsum serve`` runs it on 127.0.0.1 (``api_server``), in a thread."""

    def __init__(self, settings: Settings, **server: Any) -> None:
        from service.server import api_server

        self.app = create_app(settings, queue=CeleryQueue(create_celery(settings)))
        self.port = free_port()
        self.server: uvicorn.Server = api_server(
            self.app,
            host="127.0.0.1",
            port=self.port,
            cors=settings.cors_origins,
            log_level="warning",
            **server,
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        assert until(lambda: self.server.started, 60), "uvicorn did not start"
        self.url = f"http://127.0.0.1:{self.port}"

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def raw(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@contextlib.contextmanager
def served(private_redis: RedisProcess, server: Any = None, **settings: Any) -> Iterator[Served]:
    running = Served(settings_on(private_redis, **settings), **(server or {}))
    try:
        yield running
    finally:
        running.close()


def read_response(sock: socket.socket, timeout_s: float = 20.0) -> bytes:
    """What the server sends until it closes or ``timeout_s`` passes."""
    sock.settimeout(timeout_s)
    data = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and b'"}' in data:
                break
    return data


def headers_only(path: str, length: int, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()
