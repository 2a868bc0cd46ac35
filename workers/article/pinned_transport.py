"""The connection under ``workers.article.fetch``: pinned to checked addresses, and cut
at the fetch's deadline.

* ``CheckedBackend`` resolves the host, checks every address (the check is
  ``fetch``'s address policy, passed in) and connects to a checked IP literal
  itself, so the address connected to is the one checked (DNS rebinding).
* ``Watchdog`` holds a fetch's wall-clock budget, connect to last byte: httpx's
  timeouts bound each read, so a server trickling one header line a second would
  outlast them; at the deadline the watchdog shuts the fetch's sockets down,
  which ends any read in progress, and says so (``fired``).
* ``PinnedTransport`` is httpx over an httpcore pool with that backend, built
  from public httpx/httpcore API only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import cast

import httpcore
import httpx

# (host, port) -> the addresses to connect to, each checked; raises to refuse.
AddressCheck = Callable[[str, int], list[str]]
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class Watchdog:
    """Shuts down every socket of one fetch when its deadline passes (``fired``)."""

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def track(self, stream: httpcore.NetworkStream) -> None:
        """Watch a new connection (a duplicate of its socket: TLS wraps the original)."""
        sock = stream.get_extra_info("socket")
        if not isinstance(sock, socket.socket):
            return
        copy = sock.dup()
        with self._lock:
            self._sockets.append(copy)
            fired = self.fired
        if fired:
            self._shut(copy)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # a blocked read returns at once
            sock.shutdown(socket.SHUT_RDWR)


class CheckedBackend(httpcore.SyncBackend):
    """Resolve, check every address, then connect to a checked IP literal (the pin)."""

    def __init__(self, check: AddressCheck, watchdog: Watchdog | None = None) -> None:
        self._check = check
        self._watchdog = watchdog

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._check(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                # An IP literal: socket.create_connection does no second lookup.
                stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
                if self._watchdog is not None:
                    self._watchdog.track(stream)
                return stream
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure


class _CoreStream(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from cast(Iterable[bytes], self._response.stream)

    def close(self) -> None:
        self._response.close()


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool that uses ``CheckedBackend``.

    Built from public httpx/httpcore API only; httpx's own HTTPTransport offers
    no way to give its pool a network backend.
    """

    def __init__(self, check: AddressCheck, watchdog: Watchdog | None = None) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=CheckedBackend(check, watchdog),
            max_connections=4,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CoreStream(response),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
