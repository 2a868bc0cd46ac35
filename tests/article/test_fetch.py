"""workers.article.fetch: every refusal with its message, and real fetches from a local server.

No traffic leaves loopback: refusals are decided before any connection (IP
literals need no DNS), and the fetches go to an http.server thread on 127.0.0.1
with a policy that allows exactly 127.0.0.1/32.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workers.article.fetch import FetchPolicy, check_public_url, fetch_url, post_json, resolve_host
from workers.errors import FetchFailed, InputTooLarge, InvalidRequest, UnsafeURL

LOOPBACK_ONLY = FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.1/32"),))
ARTICLE = (
    "<html><head><title>嘉兴</title></head><body><p>嘉兴市召开主题教育总结大会。</p></body></html>"
)
PUBLIC_ONLY_TAIL = "; only public internet addresses can be fetched"


def _refusal(shown: str, kind: str) -> str:
    return f"refused URL: {shown} is {kind}{PUBLIC_ONLY_TAIL}"


# --- refusals decided without any connection -----------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/", _refusal("127.0.0.1", "a loopback address")),
        ("http://127.1/", _refusal("127.1 resolves to 127.0.0.1, which", "a loopback address")),
        (
            "http://2130706433/",
            _refusal("2130706433 resolves to 127.0.0.1, which", "a loopback address"),
        ),
        ("http://0x7f.1/", _refusal("0x7f.1 resolves to 127.0.0.1, which", "a loopback address")),
        ("http://0177.1/", _refusal("0177.1 resolves to 127.0.0.1, which", "a loopback address")),
        ("http://[::1]:8080/", _refusal("::1", "a loopback address")),
        (
            "http://[::ffff:127.0.0.1]/",
            _refusal("::ffff:127.0.0.1", "a loopback address (IPv4 127.0.0.1 inside)"),
        ),
        (
            "http://[::ffff:7f00:1]/",
            _refusal("::ffff:7f00:1", "a loopback address (IPv4 127.0.0.1 inside)"),
        ),
        (
            "http://[::ffff:10.0.0.1]/",
            _refusal("::ffff:10.0.0.1", "a private address (IPv4 10.0.0.1 inside)"),
        ),
        (
            "http://[2002:a9fe:a9fe::]/",
            _refusal("2002:a9fe:a9fe::", "a cloud metadata address (IPv4 169.254.169.254 inside)"),
        ),
        (
            "http://[64:ff9b::a00:1]/",
            _refusal("64:ff9b::a00:1", "a private address (IPv4 10.0.0.1 inside)"),
        ),
        ("http://0/", _refusal("0 resolves to 0.0.0.0, which", "an unspecified address")),
        ("http://0.0.0.0:8000/", _refusal("0.0.0.0", "an unspecified address")),
        ("http://[::]/", _refusal("::", "an unspecified address")),
        ("http://10.0.0.1/", _refusal("10.0.0.1", "a private address")),
        ("http://172.16.5.4/", _refusal("172.16.5.4", "a private address")),
        ("http://172.31.255.255/", _refusal("172.31.255.255", "a private address")),
        ("https://192.168.1.1/admin", _refusal("192.168.1.1", "a private address")),
        ("http://[fc00::1]/", _refusal("fc00::1", "a private address")),
        ("http://[fd12:3456::1]/", _refusal("fd12:3456::1", "a private address")),
        (
            "http://169.254.169.254/latest/meta-data/",
            _refusal("169.254.169.254", "a cloud metadata address"),
        ),
        ("http://[fd00:ec2::254]/", _refusal("fd00:ec2::254", "a cloud metadata address")),
        ("http://100.100.100.200/", _refusal("100.100.100.200", "a cloud metadata address")),
        ("http://169.254.1.1/", _refusal("169.254.1.1", "a link-local address")),
        ("http://[fe80::1]/", _refusal("fe80::1", "a link-local address")),
        ("http://100.64.0.1/", _refusal("100.64.0.1", "a shared (CGNAT 100.64.0.0/10) address")),
        (
            "http://100.127.255.254/",
            _refusal("100.127.255.254", "a shared (CGNAT 100.64.0.0/10) address"),
        ),
        ("http://224.0.0.1/", _refusal("224.0.0.1", "a multicast address")),
        ("http://[ff02::1]/", _refusal("ff02::1", "a multicast address")),
        ("http://240.0.0.1/", _refusal("240.0.0.1", "a reserved address")),
        ("http://255.255.255.255/", _refusal("255.255.255.255", "a reserved address")),
        ("http://[2001::1]/", _refusal("2001::1", "a Teredo tunnel address")),
    ],
)
def test_non_public_addresses_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeURL) as caught:
        check_public_url(url)
    assert caught.value.message == message
    assert caught.value.code == "unsafe_url"


def test_localhost_by_name_is_refused() -> None:
    first = resolve_host("localhost", 80)[0]
    with pytest.raises(UnsafeURL) as caught:
        check_public_url("http://localhost:8000/")
    assert caught.value.message == _refusal(
        f"localhost resolves to {first}, which", "a loopback address"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "refused URL: scheme 'file' is not allowed; only http and https"),
        ("ftp://8.8.8.8/pub", "refused URL: scheme 'ftp' is not allowed; only http and https"),
        ("gopher://8.8.8.8/", "refused URL: scheme 'gopher' is not allowed; only http and https"),
        (
            "javascript:alert(1)",
            "refused URL: scheme 'javascript' is not allowed; only http and https",
        ),
        (
            "http://user:secret@8.8.8.8/",
            "refused URL: a user name or password in the URL is not allowed",
        ),
        (
            "http://8.8.8.8\\@127.0.0.1/",
            "refused URL: a user name or password in the URL is not allowed",
        ),
        (
            "http://8.8.8.8@127.0.0.1/",
            "refused URL: a user name or password in the URL is not allowed",
        ),
    ],
)
def test_schemes_and_userinfo_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeURL) as caught:
        check_public_url(url)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http:///article", "not a valid URL: it has no host"),
        ("//8.8.8.8/", "not a valid URL: it must start with http:// or https://"),
        ("www.example.com/news/1.html", "not a valid URL: it must start with http:// or https://"),
        ("http://8.8.8.8:99999/", "not a valid URL: port 99999 is outside 1-65535"),
        ("http://0177.0.0.1/", "not a valid URL: Invalid IPv4 address: '0177.0.0.1'"),
        ("http://8.8.8.8/" + "a" * 2100, "URL is 2115 characters; the limit is 2048"),
    ],
)
def test_malformed_urls_are_invalid(url: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_public_url(url)
    assert caught.value.message == message
    assert not isinstance(caught.value, UnsafeURL)


def test_url_length_limit_is_carried() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_public_url("http://8.8.8.8/" + "a" * 3000)
    assert caught.value.limit == 2048


@pytest.mark.parametrize(
    "url",
    ["http://8.8.8.8/news/1.html", "https://[2001:4860:4860::8888]:8443/", "HTTP://1.1.1.1"],
)
def test_public_addresses_pass(url: str) -> None:
    check_public_url(url)  # IP literals: no DNS, no connection


def test_every_resolved_address_is_checked() -> None:
    # One public and one private answer: the private one must sink the host.
    policy = FetchPolicy(resolve=lambda host, port: ["93.184.216.34", "2606:2800::1", "10.1.2.3"])
    with pytest.raises(UnsafeURL) as caught:
        check_public_url("https://news.example/a.html", policy=policy)
    assert caught.value.message == _refusal(
        "news.example resolves to 10.1.2.3, which", "a private address"
    )
    check_public_url(
        "https://news.example/a.html",
        policy=FetchPolicy(resolve=lambda host, port: ["93.184.216.34", "2606:2800::1"]),
    )


def test_unresolvable_host_fails_with_reason() -> None:
    with pytest.raises(FetchFailed) as caught:
        check_public_url(
            "http://nowhere.invalid/", policy=FetchPolicy(resolve=lambda host, port: [])
        )
    assert caught.value.message == "could not resolve host 'nowhere.invalid': no addresses"


# --- real fetches from a local server ----------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # close-delimited bodies: lets /stream omit Content-Length
    seen: list[str] = []  # noqa: RUF012  (class-level request log shared by the test)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        type(self).seen.append(f"{self.headers.get('Host')} {self.path}")
        port = self.server.server_address[1]
        path = self.path
        if path == "/article-gbk":
            body = ARTICLE.encode("gbk")
            self._send(200, body, {"Content-Type": "text/html; charset=GBK"})
        elif path == "/plain":
            self._send(200, "正文".encode(), {"Content-Type": "text/plain"})
        elif path == "/xhtml":
            self._send(200, b"<html/>", {"Content-Type": "application/xhtml+xml; charset=utf-8"})
        elif path == "/pdf":
            self._send(200, b"%PDF-1.4", {"Content-Type": "application/pdf"})
        elif path == "/untyped":
            self._send(200, b"<html/>", {})
        elif path == "/declared-big":
            self._send(200, b"x" * 6000, {"Content-Type": "text/html", "Content-Length": "6000"})
        elif path == "/stream":
            self._send(200, b"x" * 6000, {"Content-Type": "text/html"})
        elif path == "/gzip-bomb":
            body = gzip.compress(b"<p>" + b"a" * 1_000_000)
            self._send(
                200,
                body,
                {
                    "Content-Type": "text/html",
                    "Content-Encoding": "gzip",
                    "Content-Length": str(len(body)),
                },
            )
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, b"late", {"Content-Type": "text/html"})
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(30):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        elif path.startswith("/hops/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/article-gbk" if left == 0 else f"/hops/{left - 1}"
            self._send(302, b"", {"Location": target})
        elif path == "/to-metadata":
            self._send(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-private":
            self._send(301, b"", {"Location": "http://10.0.0.1/admin"})
        elif path == "/to-mapped":
            self._send(307, b"", {"Location": f"http://[::ffff:127.0.0.1]:{port}/plain"})
        elif path == "/to-file":
            self._send(302, b"", {"Location": "file:///etc/passwd"})
        elif path == "/no-location":
            self._send(302, b"", {})
        elif path == "/missing":
            self._send(404, b"gone", {"Content-Type": "text/html"})
        elif path == "/echo-host":
            body = f"host={self.headers.get('Host')}".encode()
            self._send(200, body, {"Content-Type": "text/plain; charset=utf-8"})
        else:
            self._send(500, b"", {})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        type(self).seen.append(f"{self.headers.get('Host')} POST {self.path} {body}")
        if self.path == "/hook":
            self._send(204, b"", {})
        elif self.path == "/hook-moved":
            self._send(307, b"", {"Location": "http://10.0.0.1/hook"})
        else:
            self._send(500, b"", {})


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def seen() -> Iterator[list[str]]:
    _Handler.seen = []
    yield _Handler.seen


def test_local_server_is_refused_by_default(server: str, seen: list[str]) -> None:
    with pytest.raises(UnsafeURL) as caught:
        fetch_url(f"{server}/article-gbk")
    assert caught.value.message == _refusal("127.0.0.1", "a loopback address")
    assert seen == []  # refused before connecting


def test_fetch_returns_bytes_and_header_charset(server: str) -> None:
    body, charset = fetch_url(f"{server}/article-gbk", policy=LOOPBACK_ONLY)
    assert body == ARTICLE.encode("gbk")
    assert charset == "gbk"


@pytest.mark.parametrize(("path", "charset"), [("/plain", None), ("/xhtml", "utf-8")])
def test_plain_text_and_xhtml_are_accepted(server: str, path: str, charset: str | None) -> None:
    body, got = fetch_url(server + path, policy=LOOPBACK_ONLY)
    assert body
    assert got == charset


@pytest.mark.parametrize(
    ("path", "shown"), [("/pdf", "application/pdf"), ("/untyped", "of no stated type")]
)
def test_other_content_types_are_refused(server: str, path: str, shown: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        fetch_url(server + path, policy=LOOPBACK_ONLY)
    assert caught.value.message == (
        f"the page at {server}{path} is {shown}; "
        "only text/html, application/xhtml+xml, text/plain are accepted"
    )


def test_declared_size_over_the_cap(server: str) -> None:
    with pytest.raises(InputTooLarge) as caught:
        fetch_url(f"{server}/declared-big", max_bytes=5000, policy=LOOPBACK_ONLY)
    assert caught.value.message == (
        f"the page at {server}/declared-big is 6,000 bytes; the limit is 5,000 bytes"
    )
    assert caught.value.limit == 5000


@pytest.mark.parametrize("path", ["/stream", "/gzip-bomb"])
def test_streamed_size_over_the_cap(server: str, path: str) -> None:
    with pytest.raises(InputTooLarge) as caught:
        fetch_url(server + path, max_bytes=5000, policy=LOOPBACK_ONLY)
    assert caught.value.message == (
        f"the page at {server}{path} is larger than the limit of 5,000 bytes"
    )
    assert caught.value.limit == 5000


def test_size_at_the_cap_is_fine(server: str) -> None:
    body, _ = fetch_url(f"{server}/stream", max_bytes=6000, policy=LOOPBACK_ONLY)
    assert len(body) == 6000


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_timeout_bounds_the_whole_fetch(server: str, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed) as caught:
        fetch_url(server + path, timeout_s=0.5, policy=LOOPBACK_ONLY)
    assert caught.value.message == f"fetching {server}{path} took longer than 0.5 s"
    assert time.monotonic() - started < 1.4


def test_redirects_are_followed(server: str, seen: list[str]) -> None:
    body, charset = fetch_url(f"{server}/hops/3", max_redirects=5, policy=LOOPBACK_ONLY)
    assert body == ARTICLE.encode("gbk")
    assert charset == "gbk"
    assert [line.split(" ")[1] for line in seen] == [
        "/hops/3",
        "/hops/2",
        "/hops/1",
        "/hops/0",
        "/article-gbk",
    ]


def test_redirect_limit(server: str, seen: list[str]) -> None:
    with pytest.raises(FetchFailed) as caught:
        fetch_url(f"{server}/hops/3", max_redirects=3, policy=LOOPBACK_ONLY)
    assert caught.value.message == f"the page at {server}/hops/3 redirected more than 3 times"
    assert caught.value.limit == 3
    assert len(seen) == 4  # the first request and three hops, never the fifth


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        (
            "/to-metadata",
            UnsafeURL,
            _refusal("169.254.169.254", "a cloud metadata address"),
        ),
        ("/to-private", UnsafeURL, _refusal("10.0.0.1", "a private address")),
        (
            "/to-mapped",
            UnsafeURL,
            _refusal("::ffff:127.0.0.1", "a loopback address (IPv4 127.0.0.1 inside)"),
        ),
        (
            "/to-file",
            UnsafeURL,
            "refused URL: scheme 'file' is not allowed; only http and https",
        ),
    ],
)
def test_redirect_into_private_is_refused(
    server: str, seen: list[str], path: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        fetch_url(server + path, policy=LOOPBACK_ONLY)
    assert str(caught.value) == message
    assert [line.split(" ")[1] for line in seen] == [path]  # no request to the target


def test_redirect_without_location(server: str) -> None:
    with pytest.raises(FetchFailed) as caught:
        fetch_url(f"{server}/no-location", policy=LOOPBACK_ONLY)
    assert (
        caught.value.message
        == f"the page at {server}/no-location redirected (302) without a Location"
    )


def test_error_status_fails_with_it(server: str) -> None:
    with pytest.raises(FetchFailed) as caught:
        fetch_url(f"{server}/missing", policy=LOOPBACK_ONLY)
    assert caught.value.message == f"the page at {server}/missing answered HTTP 404 Not Found"


def test_connection_refused_fails_with_reason() -> None:
    # Bind then close a port so nothing listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchFailed) as caught:
        fetch_url(f"http://127.0.0.1:{port}/", policy=LOOPBACK_ONLY)
    assert caught.value.message.startswith(f"could not fetch http://127.0.0.1:{port}/: ")
    assert "refused" in caught.value.message.lower()


def test_connection_goes_to_the_checked_address(server: str, seen: list[str]) -> None:
    # The name is resolved by the policy's resolver only: the connection lands on the
    # address that was checked, and the Host header keeps the name.
    port = server.rsplit(":", 1)[1]
    policy = FetchPolicy(
        allow_networks=LOOPBACK_ONLY.allow_networks, resolve=lambda host, p: ["127.0.0.1"]
    )
    body, charset = fetch_url(f"http://news.example:{port}/echo-host", policy=policy)
    assert body == f"host=news.example:{port}".encode()
    assert charset == "utf-8"


def test_dns_rebinding_is_caught_at_connect_time(server: str, seen: list[str]) -> None:
    # First answer (the check) is allowed; the answer at connect time is private.
    answers = iter([["127.0.0.1"], ["10.0.0.7"]])
    policy = FetchPolicy(
        allow_networks=LOOPBACK_ONLY.allow_networks, resolve=lambda host, p: next(answers)
    )
    port = server.rsplit(":", 1)[1]
    with pytest.raises(UnsafeURL) as caught:
        fetch_url(f"http://rebind.example:{port}/plain", policy=policy)
    assert caught.value.message == _refusal(
        "rebind.example resolves to 10.0.0.7, which", "a private address"
    )
    assert seen == []


# ---------------------------------------------------------------- webhooks (post_json)


def test_a_webhook_post_goes_to_the_checked_address_with_the_json(
    server: str, seen: list[str]
) -> None:
    port = server.rsplit(":", 1)[1]
    policy = FetchPolicy(
        allow_networks=LOOPBACK_ONLY.allow_networks, resolve=lambda host, p: ["127.0.0.1"]
    )
    status = post_json(f"http://hooks.example:{port}/hook", {"batch_id": "b1"}, policy=policy)
    assert status == 204
    assert seen == [f'hooks.example:{port} POST /hook {{"batch_id":"b1"}}']


def test_a_webhook_to_a_local_address_is_refused_before_connecting(
    server: str, seen: list[str]
) -> None:
    with pytest.raises(UnsafeURL) as caught:
        post_json(f"{server}/hook", {"batch_id": "b1"})
    assert caught.value.message == _refusal("127.0.0.1", "a loopback address")
    assert seen == []


def test_a_webhook_host_rebound_to_a_private_address_is_refused_at_connect_time(
    server: str, seen: list[str]
) -> None:
    # The check sees an allowed address; the lookup at connect time a private one.
    answers = iter([["127.0.0.1"], ["10.0.0.7"]])
    policy = FetchPolicy(
        allow_networks=LOOPBACK_ONLY.allow_networks, resolve=lambda host, p: next(answers)
    )
    port = server.rsplit(":", 1)[1]
    with pytest.raises(UnsafeURL) as caught:
        post_json(f"http://rebind.example:{port}/hook", {"batch_id": "b1"}, policy=policy)
    assert caught.value.message == _refusal(
        "rebind.example resolves to 10.0.0.7, which", "a private address"
    )
    assert seen == []


def test_a_webhook_redirect_is_not_followed(server: str, seen: list[str]) -> None:
    assert post_json(f"{server}/hook-moved", {"n": 1}, policy=LOOPBACK_ONLY) == 307
    assert [line.split(" ")[2] for line in seen] == ["/hook-moved"]


def test_a_webhook_nobody_answers_fails_with_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchFailed) as caught:
        post_json(f"http://127.0.0.1:{port}/hook", {"n": 1}, policy=LOOPBACK_ONLY)
    assert caught.value.message.startswith(f"could not post to http://127.0.0.1:{port}/hook: ")
