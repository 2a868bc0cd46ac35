"""The fetch's time budget covers the whole fetch, headers included: a server that
sends one header line at a time, each well within any read timeout, is cut off at
the budget (workers.article.pinned_transport.Watchdog)."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.slow_headers import SlowHeaders
from workers.article.fetch import FetchPolicy, fetch_url, post_json
from workers.errors import FetchFailed

LOOPBACK = FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.1/32"),))


@pytest.fixture
def dripper() -> Iterator[SlowHeaders]:
    server = SlowHeaders("/page")
    yield server
    server.close()


def test_slow_headers_cannot_hold_a_fetch_past_its_budget(dripper: SlowHeaders) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed) as caught:
        fetch_url(dripper.url, timeout_s=0.5, policy=LOOPBACK)
    assert caught.value.message == f"fetching {dripper.url} took longer than 0.5 s"
    assert time.monotonic() - started < 5  # the server would go on for 30 s
    deadline = time.monotonic() + 10
    while not dripper.hung_up.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dripper.hung_up.is_set()


def test_slow_headers_cannot_hold_a_webhook_post_either(dripper: SlowHeaders) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed) as caught:
        post_json(dripper.url, {"batch": "x"}, timeout_s=0.5, policy=LOOPBACK)
    assert caught.value.message == f"posting to {dripper.url} took longer than 0.5 s"
    assert time.monotonic() - started < 5


def test_a_fetch_within_its_budget_is_untouched() -> None:
    """The watchdog is cancelled with the fetch: nothing fires after it returned."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    body = "<html><body><p>正文</p></body></html>".encode()

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    got, charset = fetch_url(f"http://127.0.0.1:{port}/", timeout_s=5, policy=LOOPBACK)
    assert (got, charset) == (body, "utf-8")
    thread.join(5)
    listener.close()
