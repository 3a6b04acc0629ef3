"""Fetching a URL the feed or the operator gave us, within fixed limits: the one way to GET.

Feeds and photos both come through :func:`fetch`; nothing else in the bot should open an HTTP
connection to an address that came from outside (platform clients talk to fixed API hosts).
It guarantees, whatever the server does:

* **A whole-request deadline** (``NetPolicy.timeout`` seconds for resolving, connecting, the
  TLS handshake, headers, every redirect and the whole body): a watchdog shuts the socket at the
  deadline, so a body trickled a byte at a time, chunked or with a ``Content-Length``, ends there.
* **A size cap** (``NetPolicy.max_bytes``): a declared or actual body over it is refused
  without reading the rest. No compression is asked for, so none can expand.
* **No request to our own network** (SSRF): the host is resolved and every address must be
  public unicast (not loopback, private, link-local such as 169.254.169.254, 0.0.0.0,
  carrier-grade NAT, multicast or reserved, also written as IPv4-mapped IPv6 or as a decimal or
  octal IPv4 number); metadata host names are refused by name. The connection goes to the
  address that was checked, so a second DNS answer cannot swap it. Checked again on every
  redirect hop; only http and https; no user name or password in a URL; at most
  ``NetPolicy.max_redirects`` redirects.

``ALLOW_PRIVATE_ADDRESSES=1`` (``NetPolicy.allow_private``) lifts only the address check, for
the sandbox, the demo and tests, whose servers are on 127.0.0.1: it is for testing only.
A feed URL is the operator's own choice (it may be an intranet CMS), so ``fetch(...,
trusted=True)`` skips the address check for that URL's own host; redirects elsewhere are
checked as usual.

Usage::

    policy = NetPolicy.from_settings(settings, max_bytes=5_000_000)
    response = fetch(url, policy, headers={"Accept": "image/*"}, check=my_check)

``check`` sees the status and headers before the body is read and may raise to stop there (a
wrong content type). A non-2xx answer comes back with an empty body. Every failure is a
:class:`NetError` (``Refused``, ``TimedOut``, ``TooBig`` or ``Unreachable``) whose ``reason``
is one plain phrase ("did not answer within 20 s"), to be put after the URL. Tests inject
``resolver`` so that no name is ever looked up off the machine.

Connections are made directly, without an HTTP proxy: a proxy would make the address check
meaningless.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.message import Message
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from bot.core.settings import Settings

# Names that reach a cloud provider's instance metadata service whatever they resolve to here.
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "metadata.packet.net",
    }
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "appeal-bot/0.1"
_CHUNK = 64 * 1024

Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system's resolver), IPv4 and IPv6."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class NetError(Exception):
    """A fetch that did not get a usable answer; ``reason`` is a plain phrase."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url} {reason}")
        self.url = url
        self.reason = reason


class Refused(NetError):
    """The address, scheme or redirect is not allowed: will not change by trying again."""


class TimedOut(NetError):
    """The whole request took longer than the deadline."""


class TooBig(NetError):
    """The body is larger than the cap."""


class Unreachable(NetError):
    """DNS, connection, TLS or protocol failure: may work next time."""


@dataclass(frozen=True)
class NetPolicy:
    """The limits of one fetch: seconds for the whole request, bytes of body, and the rest."""

    timeout: float
    max_bytes: int
    allow_private: bool = False
    max_redirects: int = 5
    resolver: Resolver = field(default=system_resolver, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, max_bytes: int) -> NetPolicy:
        """FEED_TIMEOUT_SECONDS as the deadline, ALLOW_PRIVATE_ADDRESSES as the escape hatch."""
        return cls(
            timeout=settings.feed_timeout_seconds,
            max_bytes=max_bytes,
            allow_private=settings.allow_private_addresses,
        )


@dataclass(frozen=True)
class Response:
    """An answer: the URL that gave it (after redirects), status, headers and body.

    ``redirects`` lists each redirect followed: its status and the URL it led to, in order.
    """

    url: str
    status: int
    reason: str
    headers: Message
    body: bytes = b""
    redirects: tuple[tuple[int, str], ...] = ()


def refusal(address: str) -> str | None:
    """Why ``address`` (an IP address as text) may not be connected to, or None if public.

    IPv4-mapped IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it carries.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if ip.is_loopback:
        return f"{ip} is this machine (loopback)"
    if ip.is_link_local:
        return f"{ip} is link-local (cloud metadata lives there)"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_private or not ip.is_global:
        return f"{ip} is a private or reserved address"
    return None


def ip_literal(host: str) -> str | None:
    """``host`` as a dotted or IPv6 address if it is one in any form, else None.

    ``inet_aton`` reads what browsers and libc read: ``2130706433``, ``0x7f.1``, ``0177.0.0.1``.
    """
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


class _Watchdog:
    """Shuts the current socket at the deadline: a blocked read returns at once."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._sock is not None:
                _shut(self._sock)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def fetch(
    url: str,
    policy: NetPolicy,
    *,
    headers: Mapping[str, str] | None = None,
    trusted: bool = False,
    check: Callable[[Response], None] | None = None,
) -> Response:
    """GET ``url`` within ``policy`` (see the module docstring). Raises :class:`NetError`."""
    dog = _Watchdog(time.monotonic() + policy.timeout)
    trusted_host = _host_port(url) if trusted else None
    current = url
    redirects: list[tuple[int, str]] = []
    try:
        for _hop in range(policy.max_redirects + 1):
            guarded = not policy.allow_private and _host_port(current) != trusted_host
            response, conn = _request(current, policy, dog, headers or {}, guarded)
            try:
                location = response.headers.get("Location")
                if response.status in REDIRECTS and location:
                    current = urljoin(current, location.strip())
                    redirects.append((response.status, current))
                    continue
                head = Response(
                    current,
                    response.status,
                    response.reason,
                    response.headers,
                    redirects=tuple(redirects),
                )
                if check is not None:
                    check(head)
                if not 200 <= response.status < 300:
                    return head
                body = _read_body(current, response, conn, policy, dog)
                return replace(head, body=body)
            finally:
                response.close()
                conn.close()
        raise Refused(url, f"redirected more than {policy.max_redirects} times")
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        if dog.fired or isinstance(exc, TimeoutError) or dog.remaining() <= 0:
            raise TimedOut(current, _late(policy)) from None
        raise Unreachable(current, _in_words(exc)) from None
    finally:
        dog.cancel()


def _late(policy: NetPolicy) -> str:
    return f"did not answer within {policy.timeout:g} s"


def _host_port(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return None
    return ((parts.hostname or "").lower(), port)


def _request(
    url: str, policy: NetPolicy, dog: _Watchdog, headers: Mapping[str, str], guarded: bool
) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(url, "is not an http:// or https:// address")
    if parts.username is not None or parts.password is not None:
        raise Refused(url, "has a user name or password in it, which appeal-bot does not send")
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused(url, "names no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise Refused(url, "has an invalid port") from None
    addresses = _addresses(url, host, port, policy, dog, guarded)
    sock = _connect(url, addresses, port, dog)
    if scheme == "https":
        context = _tls_context()
        sock.settimeout(max(dog.remaining(), 0.001))
        sock = context.wrap_socket(sock, server_hostname=host)
        dog.watch(sock)
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, context=context)
    else:
        conn = http.client.HTTPConnection(host, port)
    conn.sock = sock
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **headers}
    sock.settimeout(max(dog.remaining(), 0.001))
    conn.request("GET", path, headers=sent)
    return conn.getresponse(), conn


def _addresses(
    url: str, host: str, port: int, policy: NetPolicy, dog: _Watchdog, guarded: bool
) -> list[str]:
    literal = ip_literal(host)
    if guarded and literal is None and (host in METADATA_HOSTS or _is_local_name(host)):
        raise Refused(url, f"is on {host}, which is not a public address")
    addresses = [literal] if literal else _resolve(url, host, port, policy, dog)
    if guarded:
        for address in addresses:
            why = refusal(address)
            if why:
                raise Refused(url, f"leads to {why}, not a public address")
    return addresses


def _is_local_name(host: str) -> bool:
    return host == "localhost" or host.endswith((".localhost", ".internal", ".local"))


def _resolve(url: str, host: str, port: int, policy: NetPolicy, dog: _Watchdog) -> list[str]:
    """Resolve in a helper thread: the system resolver has no timeout of its own."""
    result: list[str] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.extend(policy.resolver(host, port))
        except BaseException as exc:  # reported in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, daemon=True, name="resolve")
    worker.start()
    worker.join(max(dog.remaining(), 0.0))
    if worker.is_alive():
        raise TimedOut(url, _late(policy))
    if failure or not result:
        raise Unreachable(url, f"could not find the host {host} (is the address right?)")
    return result


def _connect(url: str, addresses: Sequence[str], port: int, dog: _Watchdog) -> socket.socket:
    last: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        dog.watch(sock)
        sock.settimeout(max(dog.remaining(), 0.001))
        try:
            sock.connect((address, port))
            return sock
        except OSError as exc:
            sock.close()
            last = exc
            if dog.fired or dog.remaining() <= 0:
                break
    if isinstance(last, TimeoutError) or dog.fired:
        raise last or TimeoutError()
    raise Unreachable(url, "could not connect (is the address right and the site up?)")


def _read_body(
    url: str,
    response: http.client.HTTPResponse,
    conn: http.client.HTTPConnection,
    policy: NetPolicy,
    dog: _Watchdog,
) -> bytes:
    given = (response.headers.get("Content-Length") or "").strip()
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses (then no length).
    declared = int(given) if given.isascii() and given.isdigit() else None
    if declared is not None and declared > policy.max_bytes:
        raise TooBig(url, f"is larger than {policy.max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        if conn.sock is not None:
            conn.sock.settimeout(max(dog.remaining(), 0.001))
        chunk = response.read1(_CHUNK)
        if dog.fired or dog.remaining() <= 0:
            raise TimedOut(url, _late(policy))
        if not chunk:
            if declared is not None and size < declared:
                raise Unreachable(url, "the connection dropped before the whole answer arrived")
            break
        size += len(chunk)
        if size > policy.max_bytes:
            raise TooBig(url, f"is larger than {policy.max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


_TLS: list[ssl.SSLContext] = []


def _tls_context() -> ssl.SSLContext:
    """The system's trust store, or certifi's bundle (as requests uses) when installed."""
    if not _TLS:
        try:
            import certifi

            _TLS.append(ssl.create_default_context(cafile=certifi.where()))
        except ImportError:
            _TLS.append(ssl.create_default_context())
    return _TLS[0]


def _in_words(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "its HTTPS certificate could not be verified"
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection dropped before the whole answer arrived"
    if isinstance(exc, ssl.SSLError):
        return f"the secure connection failed ({exc.reason or type(exc).__name__})"
    if isinstance(exc, http.client.HTTPException):
        return f"sent an answer that is not valid HTTP ({type(exc).__name__})"
    if isinstance(exc, ConnectionError):
        return "the connection dropped before the whole answer arrived"
    return "could not connect (is the address right and the site up?)"
