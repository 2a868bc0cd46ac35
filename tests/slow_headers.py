"""A loopback HTTP server that sends its headers one line at a time (test helper).

Each connection gets a status line, then a header line every ``DRIP_S`` for up to
30 s: every read comes well within any read timeout, so only a budget over the
whole fetch (``workers.article.pinned_transport.Watchdog``) cuts it off. Used by
tests/article/test_fetch_budget.py and the reliability tests of hostile servers.
"""

from __future__ import annotations

import socket
import threading

DRIP_S = 0.05
DRIP_LINES = 600  # 30 s of headers, if nobody hangs up


class SlowHeaders:
    """The server; ``url`` to fetch, ``hung_up`` set once a client closed on it."""

    def __init__(self, path: str = "/article") -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}{path}"
        self.stop = threading.Event()
        self.hung_up = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
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
