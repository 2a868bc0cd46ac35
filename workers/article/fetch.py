"""Fetch a news page by URL without letting the URL reach inside our own network.

A URL given by a caller is an SSRF risk: ``http://169.254.169.254/`` is the cloud
metadata service, ``http://2130706433/`` is 127.0.0.1 spelled as one number,
``http://[::ffff:10.0.0.1]/`` is a private IPv4 address in IPv6 clothes, and a
public page may redirect to any of them. What this module does about it:

* The URL is parsed once, by ``httpx.URL`` — the parser the HTTP client itself
  uses — so the host we check is the host we connect to.
* Only ``http``/``https``, no user name or password in the URL (``a.com\\@10.0.0.1``
  tricks parse as userinfo), a port in 1–65535.
* The host is resolved with ``socket.getaddrinfo`` (which also reads the odd
  IPv4 spellings ``2130706433``, ``0x7f.1``, ``127.1`` the same way the
  connection would) and EVERY address must be public: no loopback, private,
  link-local (cloud metadata), CGNAT, multicast, reserved or unspecified
  address, and IPv6 forms that embed an IPv4 address (``::ffff:a.b.c.d``,
  6to4, NAT64, IPv4-compatible) are judged by the IPv4 address inside.
* DNS rebinding: the check is done again at connect time by our own network
  backend (``pinned_transport.CheckedBackend``), which resolves the host, checks every address
  and then connects to the checked IP literal itself — so the address we
  connect to is the one we checked, not a second lookup's answer. TLS still
  verifies the certificate and sends SNI for the host name. Environment proxies
  are off (a proxy would do its own lookup, defeating the pin).
* Redirects are followed by hand, each hop checked the same way, at most
  ``max_redirects``.
* A batch's webhook goes out the same way (``post_json``): checked, pinned, no
  proxies, no redirects.
* The body is streamed and cut off at ``max_bytes`` (counted after content
  decoding, so a gzip bomb is cut too); only HTML and plain text are accepted.
* The whole fetch, connect to last byte, has a wall-clock budget of
  ``timeout_s``: httpx's timeouts bound each read, so a server trickling one
  header line a second would outlast them; a watchdog shuts the fetch's
  sockets down at the deadline, which ends any read in progress
  (``workers.article.pinned_transport``, with the pinned connection).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpcore
import httpx

from workers.article.limits import check_url_chars
from workers.article.pinned_transport import AddressCheck, PinnedTransport, Watchdog
from workers.errors import FetchFailed, InputTooLarge, InvalidRequest, UnsafeURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
USER_AGENT = "newsum/0.1 (news summarizer)"
_REDIRECT_CODES = {301, 302, 303, 307, 308}

# Addresses of cloud metadata services, named in the refusal because they are the
# classic SSRF prize (AWS/GCP/Azure, AWS IPv6, AWS ECS task metadata, Alibaba Cloud).
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("100.100.100.200"),
}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def resolve_host(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to (A and AAAA), as the connection would see them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"could not resolve host {host!r}: {exc}") from None
    # Keep getaddrinfo's order (it is the preference order) without duplicates.
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class FetchPolicy:
    """Which addresses may be fetched, and how host names are resolved.

    ``allow_networks`` lets non-public networks through (tests fetch from a
    server on 127.0.0.1; an intranet deployment might allow its own range).
    ``resolve`` is the name lookup used both for the check and for the
    connection; tests give a fake one to play DNS rebinding.
    """

    allow_networks: tuple[IPNetwork, ...] = ()
    resolve: Resolver = field(default=resolve_host)

    def allows(self, address: IPAddress) -> bool:
        return any(address in net for net in self.allow_networks)


PUBLIC_ONLY = FetchPolicy()


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, for the forms that route to it."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _non_public_kind(address: IPAddress) -> str | None:
    """What kind of non-public address ``address`` is ("a loopback address"), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            kind = _non_public_kind(inner)
            return None if kind is None else f"{kind} (IPv4 {inner} inside)"
        if address.teredo is not None:
            return "a Teredo tunnel address"
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a shared (CGNAT 100.64.0.0/10) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a special-purpose address"
    return None


def _as_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _checked_addresses(host: str, port: int, policy: FetchPolicy) -> list[str]:
    """Resolve ``host`` and refuse it unless every address is public (or allowed)."""
    addresses = policy.resolve(host, port)
    if not addresses:
        raise FetchFailed(f"could not resolve host {host!r}: no addresses")
    for text in addresses:
        # getaddrinfo gives "fe80::1%eth0" for scoped addresses; the scope is not
        # part of the address.
        address = ipaddress.ip_address(text.split("%", 1)[0])
        kind = _non_public_kind(address)
        if kind is not None and not policy.allows(address):
            literal = _as_ip(host)
            shown = host if literal == address else f"{host} resolves to {address}, which"
            raise UnsafeURL(
                f"refused URL: {shown} is {kind}; only public internet addresses can be fetched"
            )
    return addresses


def _parse(url: str) -> httpx.URL:
    """Parse and vet everything about a URL except where its host points."""
    check_url_chars(url)
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise InvalidRequest(f"not a valid URL: {exc}") from None
    if not parsed.scheme:
        raise InvalidRequest("not a valid URL: it must start with http:// or https://")
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURL(
            f"refused URL: scheme {parsed.scheme!r} is not allowed; only http and https"
        )
    if parsed.userinfo:
        raise UnsafeURL("refused URL: a user name or password in the URL is not allowed")
    if not parsed.host:
        raise InvalidRequest("not a valid URL: it has no host")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise InvalidRequest(f"not a valid URL: port {parsed.port} is outside 1-65535")
    return parsed


def _default_port(parsed: httpx.URL) -> int:
    return parsed.port or (443 if parsed.scheme == "https" else 80)


def _address_check(policy: FetchPolicy) -> AddressCheck:
    """The check the connection makes, at connect time, under ``policy``."""
    return lambda host, port: _checked_addresses(host, port, policy)


def check_public_url(url: str, *, policy: FetchPolicy = PUBLIC_ONLY) -> None:
    """Refuse a URL that is not plain http(s) to a public internet address.

    Raises InvalidRequest (malformed, too long), UnsafeURL (scheme, userinfo,
    any resolved address non-public) or FetchFailed (the host does not resolve).
    """
    parsed = _parse(url)
    _checked_addresses(parsed.raw_host.decode("ascii"), _default_port(parsed), policy)


def check_url_form(url: str) -> None:
    """What can be told of a URL without a name lookup (the API checks every batch
    item's URL so before queueing any): InvalidRequest when malformed, UnsafeURL for
    another scheme, a user name, localhost or an address literal (any spelling
    ``inet_aton`` reads) that is not public. Where a name points is checked by the
    fetch itself (``check_public_url``, on every connection)."""
    parsed = _parse(url)
    host = parsed.host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeURL(f"refused URL: {host} is a loopback address{_ONLY_PUBLIC}")
    address = _as_ip(host)
    if address is None:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return  # a name: the fetch resolves and checks it
    kind = _non_public_kind(address)
    if kind is not None:
        shown = host if str(address) == host else f"{host} ({address})"
        raise UnsafeURL(f"refused URL: {shown} is {kind}{_ONLY_PUBLIC}")


_ONLY_PUBLIC = "; only public internet addresses can be fetched"


_NETWORK_ERRORS = (
    httpx.HTTPError,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    OSError,
)
_TIMEOUTS = (httpx.TimeoutException, httpcore.TimeoutException, socket.timeout)


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise InputTooLarge(
            f"the page at {url} is {int(declared):,} bytes; the limit is {max_bytes:,} bytes",
            limit=max_bytes,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise InputTooLarge(
                f"the page at {url} is larger than the limit of {max_bytes:,} bytes",
                limit=max_bytes,
            )
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError
    return b"".join(chunks)


def fetch_url(
    url: str,
    *,
    timeout_s: float = 10.0,
    max_bytes: int = 5_000_000,
    max_redirects: int = 5,
    policy: FetchPolicy = PUBLIC_ONLY,
) -> tuple[bytes, str | None]:
    """Fetch an HTML or plain-text page from a public address.

    Returns the body bytes (content-decoded) and the charset named in the
    Content-Type header, or None. ``timeout_s`` bounds the whole fetch,
    redirects included. Raises InvalidRequest / UnsafeURL (bad or unsafe URL,
    at any redirect hop; unaccepted content type), InputTooLarge (over
    ``max_bytes``), FetchFailed (network error, timeout, HTTP error status,
    too many redirects).
    """
    deadline = time.monotonic() + timeout_s
    current = url
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9",
        "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
    }
    with (
        Watchdog(deadline) as watchdog,
        httpx.Client(
            transport=PinnedTransport(_address_check(policy), watchdog),
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            trust_env=False,  # no proxies, no .netrc credentials
            headers=headers,
        ) as client,
    ):
        for hop in range(max_redirects + 1):
            check_public_url(current, policy=policy)
            try:
                remaining = max(deadline - time.monotonic(), 0.001)
                with client.stream("GET", current, timeout=remaining) as response:
                    if response.status_code in _REDIRECT_CODES:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchFailed(
                                f"the page at {current} redirected "
                                f"({response.status_code}) without a Location"
                            )
                        try:
                            current = str(httpx.URL(current).join(location))
                        except httpx.InvalidURL as exc:
                            raise InvalidRequest(
                                f"the page at {current} redirected to an invalid URL: {exc}"
                            ) from None
                        if hop == max_redirects:
                            break
                        continue
                    if response.status_code >= 400:
                        reason = response.reason_phrase or "error"
                        raise FetchFailed(
                            f"the page at {current} answered "
                            f"HTTP {response.status_code} {reason}".rstrip()
                        )
                    media_type = _media_type(response.headers.get("content-type"))
                    if media_type not in ACCEPTED_TYPES:
                        raise InvalidRequest(
                            f"the page at {current} is {media_type or 'of no stated type'}; "
                            f"only {', '.join(ACCEPTED_TYPES)} are accepted"
                        )
                    body = _read_capped(response, max_bytes, deadline, current)
                    if watchdog.fired:  # its shutdown reads as the end of a body
                        raise TimeoutError
                    return body, response.charset_encoding
            except (*_TIMEOUTS, TimeoutError):
                raise FetchFailed(f"fetching {current} took longer than {timeout_s:g} s") from None
            except (UnsafeURL, InvalidRequest, InputTooLarge, FetchFailed):
                raise
            except _NETWORK_ERRORS as exc:
                if watchdog.fired:  # the watchdog cut the connection at the deadline
                    raise FetchFailed(
                        f"fetching {current} took longer than {timeout_s:g} s"
                    ) from None
                reason = str(exc) or type(exc).__name__
                raise FetchFailed(f"could not fetch {current}: {reason}") from None
    raise FetchFailed(
        f"the page at {url} redirected more than {max_redirects} times", limit=max_redirects
    )


def post_json(
    url: str,
    payload: object,
    *,
    timeout_s: float = 10.0,
    policy: FetchPolicy = PUBLIC_ONLY,
) -> int:
    """POST ``payload`` as JSON to a public address (a batch's webhook); the status.

    The same guard as ``fetch_url``: the URL is checked, and the connection goes to
    the address checked at connect time (DNS rebinding), with no proxies and no
    redirects followed. Raises InvalidRequest / UnsafeURL (bad or unsafe URL) and
    FetchFailed (network error, timeout) naming the URL.
    """
    check_public_url(url, policy=policy)
    watchdog = Watchdog(time.monotonic() + timeout_s)  # the budget covers it all
    try:
        with (
            watchdog,
            httpx.Client(
                transport=PinnedTransport(_address_check(policy), watchdog),
                timeout=httpx.Timeout(timeout_s),
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": USER_AGENT},
            ) as client,
        ):
            status = client.post(url, json=payload).status_code
        if watchdog.fired:
            raise FetchFailed(f"posting to {url} took longer than {timeout_s:g} s")
        return status
    except _TIMEOUTS:
        raise FetchFailed(f"posting to {url} took longer than {timeout_s:g} s") from None
    except (UnsafeURL, InvalidRequest, FetchFailed):
        raise
    except _NETWORK_ERRORS as exc:
        if watchdog.fired:
            raise FetchFailed(f"posting to {url} took longer than {timeout_s:g} s") from None
        reason = str(exc) or type(exc).__name__
        raise FetchFailed(f"could not post to {url}: {reason}") from None


def url_fetcher(
    *, timeout_s: float = 10.0, max_bytes: int = 5_000_000, policy: FetchPolicy = PUBLIC_ONLY
) -> Callable[[str], tuple[bytes, str | None]]:
    """A ``fetch(url) -> (bytes, charset)`` for ``prepare_article``, with these limits."""

    def fetch(url: str) -> tuple[bytes, str | None]:
        return fetch_url(url, timeout_s=timeout_s, max_bytes=max_bytes, policy=policy)

    return fetch


__all__ = [
    "ACCEPTED_TYPES",
    "PUBLIC_ONLY",
    "FetchPolicy",
    "check_public_url",
    "fetch_url",
    "post_json",
    "resolve_host",
    "url_fetcher",
]
