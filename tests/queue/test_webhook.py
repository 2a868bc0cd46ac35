"""A batch's webhook from the worker's side (``workers.queue.webhooks.notify_batch``).

Real Redis for the batch and job records, a real HTTP server on 127.0.0.1 for the
webhook; the policy allows exactly 127.0.0.1/32 and plays DNS, so nothing leaves
loopback.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from workers.article.fetch import FetchPolicy
from workers.contract import ErrorBody
from workers.errors import UnsafeURL
from workers.queue.webhooks import notify_batch
from workers.store.batches import BatchItem, BatchStore
from workers.store.cache import RedisLayout, connect_redis
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, str, dict[str, Any]]] = []  # noqa: RUF012  (shared with the test)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append((str(self.headers.get("Host")), self.path, json.loads(body)))
        self.send_response(204)
        self.end_headers()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-webhook")) as embedded:
        yield embedded


@pytest.fixture(scope="module")
def hook_port() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def received() -> list[tuple[str, str, dict[str, Any]]]:
    _Hook.received = []
    return _Hook.received


def _stores(redis_server: EmbeddedRedis, webhook: str | None) -> tuple[BatchStore, JobStore]:
    client = connect_redis(redis_server.url)
    layout = RedisLayout(f"t{uuid.uuid4().hex[:8]}")
    jobs, batches = JobStore(client, layout, 600), BatchStore(client, layout, 600)
    batches.create("b1", 2, webhook)
    jobs.create("j0")
    jobs.mark_failed("j0", ErrorBody(code="invalid_request", message="empty"))
    jobs.create("j1")
    batches.add_items("b1", [BatchItem(0, "a", "j0"), BatchItem(1, "b", "j1")])
    return batches, jobs


def test_the_batch_summary_is_posted_to_the_checked_address(
    redis_server: EmbeddedRedis, hook_port: int, received: list[Any]
) -> None:
    batches, jobs = _stores(redis_server, f"http://hooks.example:{hook_port}/done")
    policy = FetchPolicy(allow_networks=LOOPBACK, resolve=lambda host, port: ["127.0.0.1"])
    assert notify_batch(batches, jobs, "b1", policy=policy) == 204
    [(host, path, body)] = received
    assert (host, path) == (f"hooks.example:{hook_port}", "/done")
    assert body["batch_id"] == "b1" and body["count"] == 2
    assert body["states"] == {"queued": 1, "running": 0, "done": 0, "failed": 1}
    assert body["results"] == "/v1/batches/b1/results"


def test_a_webhook_name_that_now_resolves_inside_is_refused_unsent(
    redis_server: EmbeddedRedis, hook_port: int, received: list[Any]
) -> None:
    # Accepted when the batch came in; the name has since been pointed at a private
    # address for the connection (DNS rebinding).
    batches, jobs = _stores(redis_server, f"http://hooks.example:{hook_port}/done")
    answers = iter([["127.0.0.1"], ["10.0.0.7"]])
    policy = FetchPolicy(allow_networks=LOOPBACK, resolve=lambda host, port: next(answers))
    with pytest.raises(UnsafeURL, match=re.escape("hooks.example resolves to 10.0.0.7")):
        notify_batch(batches, jobs, "b1", policy=policy)
    assert received == []


def test_a_batch_without_a_webhook_posts_nothing(
    redis_server: EmbeddedRedis, received: list[Any]
) -> None:
    batches, jobs = _stores(redis_server, None)
    assert notify_batch(batches, jobs, "b1") is None
    assert received == []
