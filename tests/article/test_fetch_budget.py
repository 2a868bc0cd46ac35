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

from workers.article.fetch import FetchPolicy, fetch_url, post_json
from workers.errors import FetchFailed

LOOPBACK = FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.1/32"),))
DRIP_S = 0.05
DRIP_LINES = 600  # 30 s of headers, if nobody hangs up


class Dripper:
    """Answers each connection with a status line, then a header line every DRIP_S."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/page"
        self.stop = threading.Event()
        self.hung_up = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
                for n in range(DRIP_LINES):
                    if self.stop.wait(DRIP_S):
                        return
                    conn.sendall(f"X-Line-{n}: {n}\r\n".encode())
            except OSError:
                self.hung_up.set()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def dripper() -> Iterator[Dripper]:
    server = Dripper()
    yield server
    server.close()


def test_slow_headers_cannot_hold_a_fetch_past_its_budget(dripper: Dripper) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed) as caught:
        fetch_url(dripper.url, timeout_s=0.5, policy=LOOPBACK)
    assert caught.value.message == f"fetching {dripper.url} took longer than 0.5 s"
    assert time.monotonic() - started < 5  # the server would go on for 30 s
    deadline = time.monotonic() + 10
    while not dripper.hung_up.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dripper.hung_up.is_set()


def test_slow_headers_cannot_hold_a_webhook_post_either(dripper: Dripper) -> None:
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
