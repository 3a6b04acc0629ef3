"""bot.core.net: deadline, size cap and SSRF guard, against a server on 127.0.0.1 only.

The guard must refuse before any connection. Names are resolved by an injected resolver that
never looks anything up, and the autouse loopback guard (tests/conftest.py) turns a connection
off the machine into a failure, so a broken guard fails these tests instead of reaching out.
Where the refused address is loopback itself, the local server's request log must stay empty.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

from bot.core.errors import FeedError, PhotoUnusable
from bot.core.net import NetPolicy, Refused, TimedOut, TooBig, Unreachable, fetch
from bot.fakes.images import png
from bot.feeds.fetch import fetch_feed
from bot.platforms.media import download_image

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]  # the feed_server fixture, as in tests/feeds

BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def no_lookups(host: str, port: int) -> Sequence[str]:
    raise AssertionError(f"{host} is an address: it must not be looked up")


def resolving_to(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolve


def guarded(timeout: float = 2.0, resolver=no_lookups) -> NetPolicy:  # type: ignore[no-untyped-def]
    return NetPolicy(timeout, 100_000, allow_private=False, resolver=resolver)


def test_fetch_reads_a_body_within_the_limits(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", BODY)
    response = fetch(url, NetPolicy(2, 100_000, allow_private=True))
    assert (response.status, response.body) == (200, BODY)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f000001",
        "0177.0.0.1",  # octal
        "127.1",
        "[::1]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
        "0.0.0.0",
        "[::]",
    ],
)
def test_loopback_in_any_spelling_is_refused_before_connecting(
    feed_server: FeedServer, host: str
) -> None:
    url = feed_server.serve("/photo.png", png(), content_type="image/png")
    port = url.split(":")[2].split("/")[0]
    with pytest.raises(Refused, match="not a public address"):
        fetch(f"http://{host}:{port}/photo.png", guarded())
    assert feed_server.requests_to("/photo.png") == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[fd00::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://224.0.0.1/",
    ],
)
def test_private_link_local_and_reserved_addresses_are_refused(url: str) -> None:
    with pytest.raises(Refused, match="not a public address"):
        fetch(url, guarded())


@pytest.mark.parametrize("host", ["metadata.google.internal", "localhost", "db.internal"])
def test_metadata_and_local_names_are_refused_by_name(host: str) -> None:
    with pytest.raises(Refused):
        fetch(f"http://{host}/", guarded(resolver=no_lookups))


@pytest.mark.parametrize(
    "addresses", [("10.0.0.7",), ("93.184.216.34", "127.0.0.1"), ("::ffff:10.0.0.1",)]
)
def test_a_name_resolving_to_any_private_address_is_refused(addresses: tuple[str, ...]) -> None:
    with pytest.raises(Refused, match="not a public address"):
        fetch("http://photos.charity.example/p.jpg", guarded(resolver=resolving_to(*addresses)))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("file:///etc/passwd", "not an http"),
        ("gopher://charity.example/", "not an http"),
        ("http://user:secret@charity.example/p.jpg", "user name or password"),
    ],
)
def test_schemes_and_credentials_are_refused(url: str, words: str) -> None:
    with pytest.raises(Refused, match=words):
        fetch(url, guarded())


def test_every_redirect_hop_is_checked(feed_server: FeedServer) -> None:
    """A feed's own host is trusted (the operator's choice); where it redirects to is not."""
    target = feed_server.serve("/secret", b"internal")
    other = target.replace("127.0.0.1", "127.0.0.2")
    start = feed_server.serve("/feed.xml", status=302, headers={"Location": other})
    with pytest.raises(Refused, match="not a public address") as caught:
        fetch(start, guarded(), trusted=True)
    assert caught.value.url == other
    assert feed_server.requests_to("/secret") == []


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x"])
def test_a_redirect_to_another_scheme_is_refused(feed_server: FeedServer, location: str) -> None:
    start = feed_server.serve("/feed.xml", status=301, headers={"Location": location})
    with pytest.raises(Refused, match="not an http"):
        fetch(start, NetPolicy(2, 1000, allow_private=True))


def test_redirects_are_capped(feed_server: FeedServer) -> None:
    loop = feed_server.url("/loop")
    feed_server.serve("/loop", status=302, headers={"Location": loop})
    with pytest.raises(Refused, match="redirected more than 3 times"):
        fetch(loop, NetPolicy(2, 1000, allow_private=True, max_redirects=3))
    assert len(feed_server.requests_to("/loop")) == 4


def test_a_body_trickled_with_a_content_length_stops_at_the_deadline(
    feed_server: FeedServer,
) -> None:
    """Issue 11: each read came within the timeout, so the old download never ended."""
    url = feed_server.serve("/slow.xml", BODY * 20, chunk_size=8, trickle=0.02)
    started = time.monotonic()
    with pytest.raises(TimedOut, match=r"did not answer within 0\.5 s"):
        fetch(url, NetPolicy(0.5, 100_000, allow_private=True))
    assert time.monotonic() - started < 2.5


def test_a_feed_trickled_with_a_content_length_is_cut_off(feed_server: FeedServer) -> None:
    url = feed_server.serve("/slow.xml", BODY * 20, chunk_size=8, trickle=0.02)
    with pytest.raises(FeedError, match=r"did not answer within 0\.5 s"):
        fetch_feed(url, None, None, NetPolicy(0.5, 100_000))


def test_a_trickled_photo_is_cut_off_and_is_not_used(feed_server: FeedServer) -> None:
    url = feed_server.serve(
        "/photo.png", png() * 4, content_type="image/png", chunk_size=8, trickle=0.02
    )
    started = time.monotonic()
    with pytest.raises(Exception, match=r"did not answer within 0\.5 s"):
        download_image(NetPolicy(0.5, 1_000_000, allow_private=True), url, platform="x")
    assert time.monotonic() - started < 2.5


def test_headers_trickled_forever_stop_at_the_deadline(feed_server: FeedServer) -> None:
    url = feed_server.serve("/late.xml", BODY, delay=5)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        fetch(url, NetPolicy(0.3, 1000, allow_private=True))
    assert time.monotonic() - started < 2


def test_a_body_over_the_cap_is_refused(feed_server: FeedServer) -> None:
    declared = feed_server.serve("/big.xml", BODY * 100)
    chunked = feed_server.serve("/bigc.xml", BODY * 100, chunked=True)
    for url in (declared, chunked):
        with pytest.raises(TooBig, match="larger than 1000 bytes"):
            fetch(url, NetPolicy(2, 1000, allow_private=True))


@pytest.mark.parametrize("declared", ["\u00b2", "1\u00b9", "\u00b3\u00b3\u00b3"])
def test_a_content_length_in_digits_int_refuses_is_no_length(
    feed_server: FeedServer, declared: str
) -> None:
    # str.isdigit() takes a superscript for a digit, int() does not: the answer is read as
    # one with no length given (http.client does the same), not a crash of the poll.
    url = feed_server.serve("/odd.xml", BODY, declared_length=declared)
    assert fetch(url, NetPolicy(2, 1000, allow_private=True)).body == BODY


def test_a_slow_resolver_counts_against_the_deadline() -> None:
    def hanging(host: str, port: int) -> Sequence[str]:
        time.sleep(3)
        return ["93.184.216.34"]

    started = time.monotonic()
    with pytest.raises(TimedOut):
        fetch("http://photos.charity.example/", guarded(timeout=0.3, resolver=hanging))
    assert time.monotonic() - started < 1.5


def test_an_unknown_host_is_unreachable_not_refused() -> None:
    def unknown(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    with pytest.raises(Unreachable, match="could not find the host"):
        fetch("http://nowhere.example/", guarded(resolver=unknown))


def test_a_private_photo_is_refused_with_one_line_naming_it(feed_server: FeedServer) -> None:
    """Issue 11: the bytes a loopback server answered were uploaded to X as a public photo."""
    url = feed_server.serve("/admin.png", png(), content_type="image/png")
    with pytest.raises(PhotoUnusable) as caught:
        download_image(NetPolicy(2, 1_000_000), url, platform="x")
    assert f"the image at {url} was refused" in caught.value.message
    assert "loopback" in caught.value.message and "\n" not in caught.value.message
    assert feed_server.requests_to("/admin.png") == []
