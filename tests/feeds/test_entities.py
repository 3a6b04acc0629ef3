"""Issue 11 item 3: feeds that declare XML entities are refused before feedparser expands them.

Each hostile feed is small enough that the old code survives it here, but its expansion is
many times the body: peak memory while parsing must stay near the body's own size.
"""

from __future__ import annotations

import tracemalloc

import pytest

from bot.core.errors import FeedError
from bot.feeds.fetch import FeedRules, declares_entities, parse_feed

URL = "https://charity.example/feeds/appeals.xml"
WORDS = "declares XML entities, which appeal-bot does not expand"


def _feed(dtd: str, title: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{dtd}\n]>\n<rss version="2.0"><channel>'
        f"<title>Appeals</title><item><title>{title}</title><guid>1</guid></item>"
        "</channel></rss>"
    ).encode()


def quadratic() -> bytes:
    """One 10 KB entity with no '&' inside (it passes feedparser's own filter), used often."""
    return _feed(f'<!ENTITY a "{"x" * 10_000}">', "&a;" * 3_000)  # 30 MB expanded


def billion_laughs() -> bytes:
    lols = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 6)]
    return _feed("\n".join(lols), "&l5;")  # 300 KB expanded from a few hundred bytes


def _peak_while_parsing(body: bytes) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(FeedError, match=WORDS):
            parse_feed(body, URL, "appeal", FeedRules())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("shape", [quadratic, billion_laughs])
def test_entity_expansion_is_refused_in_bounded_memory(shape) -> None:  # type: ignore[no-untyped-def]
    body = shape()
    assert _peak_while_parsing(body) < 4 * len(body) + 1_000_000


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "iso-8859-1", "windows-1252"])
def test_entities_are_found_in_any_encoding(codec: str) -> None:
    text = quadratic().decode().replace('version="1.0"?>', f'version="1.0" encoding="{codec}"?>')
    assert declares_entities(text.encode(codec))


def test_an_external_entity_is_refused_too() -> None:
    body = _feed('<!ENTITY ext SYSTEM "http://127.0.0.1/secret">', "&ext;")
    with pytest.raises(FeedError, match=WORDS):
        parse_feed(body, URL, "appeal", FeedRules())


def test_a_doctype_without_entities_and_the_usual_escapes_still_parse() -> None:
    """RSS 0.91 feeds name Netscape's DTD; character references are not entities."""
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss'
        b' PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="2.0"><channel>'
        b"<title>Appeals</title><item><title>Ann &amp; Bea &#8211; missing</title><guid>1</guid>"
        b"</item></channel></rss>"
    )
    [item] = parse_feed(body, URL, "appeal", FeedRules()).items
    assert item.title == "Ann & Bea – missing"
