"""Feeds: parsing RSS 2.0, RSS 1.0 and Atom into items, and fetching over real local HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.errors import FeedError
from bot.core.net import NetPolicy
from bot.core.settings import load_settings
from bot.feeds.fetch import USER_AGENT, FeedRules, _http_url, fetch_feed, parse_feed
from bot.feeds.items import Item

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

# The feed_server fixture. A plugin, not an import: ruff would flag each test argument that
# shares the imported name, and pytest could not rewrite the fixture's asserts.
pytest_plugins = ["tests.feed_server"]

FEED_URL = "http://127.0.0.1:8000/feeds/appeals.xml"
DATA = Path(__file__).resolve().parents[2] / "bot" / "data"
RULES = FeedRules(
    found_words=("found", "safe and well", "located"),
    withdrawn_words=("withdrawn", "closed"),
    urgent_categories=("urgent", "high-risk", "amber alert"),
)
MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/"'


def rss(*items: str, extra_ns: str = MEDIA) -> bytes:
    """An RSS 2.0 document with these <item> bodies."""
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<rss version="2.0" {extra_ns}><channel><title>Appeals</title><link>/</link>'
        f"<description>Test feed</description>{body}</channel></rss>"
    ).encode()


def parse_one(item_xml: str, kind: str = "appeal", url: str = FEED_URL) -> Item:
    parsed = parse_feed(rss(item_xml), url, kind, RULES)  # type: ignore[arg-type]
    assert len(parsed.items) == 1
    return parsed.items[0]


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


# --- formats --------------------------------------------------------------------------------


def test_rss2_every_field() -> None:
    item = parse_one(
        "<title>Sam Jones, 14, missing from Wigan</title>"
        "<link>/appeals/sam-jones</link>"
        '<guid isPermaLink="false">appeal-42</guid>'
        "<description>&lt;p&gt;Sam was last seen &amp;amp; is "
        "5ft&amp;nbsp;4in.&lt;/p&gt;</description>"
        "<pubDate>Mon, 03 Mar 2025 09:30:00 +0100</pubDate>"
        "<category> Urgent </category><category>region:North-West</category>"
        "<category>child</category>"
        '<media:content url="/images/sam.jpg" medium="image">'
        "<media:description>Sam in a school blazer</media:description></media:content>"
    )
    assert item == Item(
        id="appeal-42",
        kind="appeal",
        title="Sam Jones, 14, missing from Wigan",
        summary="Sam was last seen & is 5ft 4in.",
        link="http://127.0.0.1:8000/appeals/sam-jones",
        image_url="http://127.0.0.1:8000/images/sam.jpg",
        image_alt="Sam in a school blazer",
        published_at=datetime(2025, 3, 3, 8, 30, tzinfo=UTC),
        updated_at=None,
        categories=("Urgent", "region:North-West", "child"),
        status="missing",
        urgent=True,
        region="north-west",
        feed_url=FEED_URL,
    )


def test_rss1_rdf_every_field() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://127.0.0.1:8000/feed.rdf">
    <title>Appeals</title><link>http://127.0.0.1:8000/</link><description>d</description>
  </channel>
  <item rdf:about="http://127.0.0.1:8000/appeals/1">
    <title>Withdrawn - Alex Smith, 30</title>
    <link>/appeals/1</link>
    <description>Alex &lt;em&gt;was&lt;/em&gt; missing.</description>
    <dc:date>2025-01-02T03:04:05Z</dc:date>
    <dc:subject>region:Wales</dc:subject>
  </item>
</rdf:RDF>"""
    (item,) = parse_feed(body, "http://127.0.0.1:8000/feed.rdf", "appeal", RULES).items
    assert item.id == "http://127.0.0.1:8000/appeals/1"
    assert item.title == "Alex Smith, 30"
    assert item.status == "withdrawn"
    assert item.summary == "Alex was missing."
    assert item.link == "http://127.0.0.1:8000/appeals/1"
    assert item.updated_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert item.published_at is None
    assert item.categories == ("region:Wales",)
    assert item.region == "wales"
    assert item.urgent is False
    assert item.image_url is None


def test_atom_every_field_with_xml_base() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
  <title>News</title><id>urn:feed</id><updated>2025-03-03T10:00:00Z</updated>
  <entry xml:base="http://127.0.0.1:9000/blog/">
    <title type="html">Helpline open &amp;amp; free</title>
    <id>urn:uuid:news-1</id>
    <link rel="alternate" href="posts/helpline"/>
    <published>2025-03-01T09:00:00+02:00</published>
    <updated>2025-03-02T10:00:00Z</updated>
    <category term="support"/><category term="urgent"/>
    <summary type="text">Call 116 000.</summary>
    <content type="html">&lt;p&gt;Longer text&lt;/p&gt;</content>
    <media:thumbnail url="img/helpline.png"/>
  </entry>
</feed>"""
    (item,) = parse_feed(body, "http://127.0.0.1:8000/news.atom", "news", RULES).items
    assert item.id == "urn:uuid:news-1"
    assert item.kind == "news"
    assert item.title == "Helpline open & free"
    assert item.summary == "Call 116 000."  # summary preferred over content
    assert item.link == "http://127.0.0.1:9000/blog/posts/helpline"
    assert item.image_url == "http://127.0.0.1:9000/blog/img/helpline.png"
    assert item.published_at == datetime(2025, 3, 1, 7, 0, tzinfo=UTC)
    assert item.updated_at == datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    assert item.categories == ("support", "urgent")
    assert item.status is None
    assert item.urgent is False  # news is never urgent, whatever its categories
    assert item.feed_url == "http://127.0.0.1:8000/news.atom"


def test_content_used_when_there_is_no_summary() -> None:
    body = rss(
        "<title>T</title><link>/a</link>"
        "<content:encoded>&lt;p&gt;From content&lt;/p&gt;</content:encoded>",
        extra_ns='xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    )
    (item,) = parse_feed(body, FEED_URL, "news", RULES).items
    assert item.summary == "From content"


def test_sample_feeds_parse() -> None:
    url = "http://127.0.0.1:8000/feeds/sample_appeals.xml"
    appeals = parse_feed((DATA / "sample_appeals.xml").read_bytes(), url, "appeal", RULES)
    assert appeals.complete
    assert len(appeals.items) == 6
    assert all(
        i.image_url is None or i.image_url.startswith("http://127.0.0.1:8000/images/")
        for i in appeals.items
    )
    assert any(i.urgent for i in appeals.items)
    assert any(i.region == "north-west" for i in appeals.items)
    assert [i.status for i in appeals.items].count("found") == 1
    long = next(i for i in appeals.items if "Taunton" in i.title)
    assert "trackAppealView" not in long.summary
    assert "green parka & white trainers" in long.summary
    news = parse_feed((DATA / "sample_news.xml").read_bytes(), url, "news", RULES)
    assert len(news.items) == 3
    assert all(i.status is None and i.link for i in news.items)


# --- links and images -----------------------------------------------------------------------


def test_relative_link_resolved_against_feed_url() -> None:
    item = parse_one("<title>T</title><link>../appeals/7?ref=feed</link>")
    assert item.link == "http://127.0.0.1:8000/appeals/7?ref=feed"


def test_an_appeals_id_stays_put_when_the_feed_moves() -> None:
    # A guid without isPermaLink="false" is still the CMS's own id ("12345"), not a link to
    # resolve: were it made absolute against the feed's address, moving the feed to https
    # would give every appeal a new id, and every appeal would be posted again.
    entry = "<guid>12345</guid><title>Sam Jones, 15</title><link>/appeals/sam</link>"
    before = parse_one(entry, url="http://charity.example/feeds/appeals.xml")
    after = parse_one(entry, url="https://www.charity.example/rss/appeals")
    assert before.id == after.id == "12345"
    assert after.link == "https://www.charity.example/appeals/sam"


def test_a_relative_xml_base_is_taken_against_the_feed_url() -> None:
    item = parse_one('<title>T</title><link xml:base="/blog/">posts/7</link>')
    assert item.link == "http://127.0.0.1:8000/blog/posts/7"  # the base of the link's own text
    body = rss("<title>T</title><link>posts/7</link>").replace(
        b"<item>", b'<item xml:base="/blog/">'
    )
    (item,) = parse_feed(body, FEED_URL, "appeal", RULES).items
    assert item.link == "http://127.0.0.1:8000/blog/posts/7"
    hostile = body.replace(b'xml:base="/blog/"', b'xml:base="javascript:alert(1)//"')
    (item,) = parse_feed(hostile, FEED_URL, "appeal", RULES).items
    assert item.link == "http://127.0.0.1:8000/feeds/posts/7"  # the feed's URL, not the script


@pytest.mark.parametrize(
    ("channel_base", "item_base", "expected"),
    [
        ("appeals/", "", "https://www.charity.org/feeds/appeals/"),
        ("", "b/", "https://www.charity.org/feeds/b/"),
        ("/appeals/", "2024/", "https://www.charity.org/appeals/2024/"),
        ("https://cdn.charity.org/x/", "", "https://cdn.charity.org/x/"),
    ],
)
def test_relative_and_nested_xml_base_resolve_as_a_reader_would(
    channel_base: str, item_base: str, expected: str
) -> None:
    # Applied once each, outer then inner, from the feed's own address.
    def attr(base: str) -> str:
        return f' xml:base="{base}"' if base else ""

    body = (
        f'<?xml version="1.0"?><rss version="2.0" {MEDIA}><channel{attr(channel_base)}>'
        f"<title>A</title><item{attr(item_base)}><title>Sam Jones</title><link>sam.html</link>"
        '<enclosure url="sam.jpg" type="image/jpeg" length="1"/></item></channel></rss>'
    ).encode()
    (item,) = parse_feed(body, "https://www.charity.org/feeds/appeals.xml", "appeal", RULES).items
    assert (item.link, item.image_url) == (f"{expected}sam.html", f"{expected}sam.jpg")


def test_a_link_urllib_cannot_read_is_dropped_and_the_poll_goes_on() -> None:
    body = rss(
        "<guid>a</guid><title>Sam Jones</title><link>https://[broken/sam</link>",
        "<guid>b</guid><title>Jo Bloggs</title><link>HTTPS://ex\uff0fample.org/jo</link>",
        "<guid>c</guid><title>Li Wei</title><link>https://charity.example/li</link>",
    )
    items = parse_feed(body, FEED_URL, "appeal", RULES).items
    assert [(i.id, i.link) for i in items] == [
        ("a", None),
        ("b", None),
        ("c", "https://charity.example/li"),
    ]


@pytest.mark.parametrize(
    "picture",
    [
        '<enclosure url="http://[broken/sam.jpg" length="10"/>',  # no type: its path is read
        '<enclosure url="http://[broken/sam.jpg" type="image/jpeg" length="10"/>',
        '<enclosure url="https://ex\uff0fample.org/sam.jpg"/>',
        '<media:content url="http://[broken/m.jpg" medium="image"/>',
        '<media:thumbnail url="http://[broken/t.jpg"/>',
        '<description>&lt;img src="http://[broken/i.jpg"&gt;</description>',
    ],
)
def test_a_picture_urllib_cannot_read_is_dropped_and_the_poll_goes_on(picture: str) -> None:
    body = rss(
        f"<guid>a</guid><title>Sam Jones</title>{picture}",
        "<guid>b</guid><title>Li Wei</title>"
        '<enclosure url="https://charity.example/li.jpg" type="image/jpeg" length="10"/>',
    )
    items = parse_feed(body, FEED_URL, "appeal", RULES).items
    assert [(i.id, i.image_url) for i in items] == [
        ("a", None),
        ("b", "https://charity.example/li.jpg"),
    ]


# Digits int() refuses though str.isdigit() accepts them: superscripts, circled, other scripts'
# digits that are no decimals. Such a size is no size; it must not stop the feed's poll (every
# entry lost, a found appeal left up) nor cut the summary short after its <img>.
ODD_DIGITS = ["\u00b2", "\u00b3", "1\u00b9", "\u2460", "\u2081"]


@pytest.mark.parametrize("digit", ODD_DIGITS)
@pytest.mark.parametrize(
    "picture",
    [
        '<enclosure url="https://charity.example/sam.jpg" type="image/jpeg" length="{}"/>',
        '<media:content url="https://charity.example/sam.jpg" medium="image" width="{}"/>',
        '<media:content url="https://charity.example/sam.jpg" medium="image" height="{}px"/>',
        '<media:content url="https://charity.example/sam.jpg" medium="image" fileSize="{}"/>',
        '<media:thumbnail url="https://charity.example/sam.jpg" width="{}"/>',
        '<description>&lt;p&gt;Seen in Leeds.&lt;/p&gt;&lt;img src="https://charity.example/'
        'sam.jpg" width="{}"&gt;&lt;p&gt;Wearing a red coat.&lt;/p&gt;</description>',
        '<description>&lt;p class="x"&gt;Seen in Leeds.&lt;/p&gt;&lt;img src="https://charity.'
        'example/sam.jpg" data-original-height="{}"&gt;&lt;p&gt;Wearing a red coat.&lt;/p&gt;'
        "</description>",
    ],
)
def test_a_size_in_odd_digits_is_no_size_and_the_poll_goes_on(picture: str, digit: str) -> None:
    body = rss(
        f"<guid>a</guid><title>Sam Jones</title>{picture.format(digit)}",
        "<guid>b</guid><title>Jo Bloggs found</title><description>Found.</description>",
    )
    items = parse_feed(body, FEED_URL, "appeal", RULES).items
    assert [(i.id, i.image_url) for i in items] == [
        ("a", "https://charity.example/sam.jpg"),
        ("b", None),
    ]
    if "red coat" in picture:
        assert items[0].summary == "Seen in Leeds. Wearing a red coat."


def test_non_http_link_dropped() -> None:
    item = parse_one("<title>T</title><link>javascript:alert(1)</link>")
    assert item.link is None


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ('<enclosure url="/e.jpg" type="image/jpeg" length="10"/>', "http://127.0.0.1:8000/e.jpg"),
        ('<media:content url="/m.png" type="image/png"/>', "http://127.0.0.1:8000/m.png"),
        ('<media:content url="/m.jpg" medium="image"/>', "http://127.0.0.1:8000/m.jpg"),
        ('<media:thumbnail url="/t.jpg"/>', "http://127.0.0.1:8000/t.jpg"),
        (
            '<description>&lt;img src="/feeds/i.jpg" alt="Sam"&gt;</description>',
            "http://127.0.0.1:8000/feeds/i.jpg",
        ),
        ('<enclosure url="/audio.mp3" type="audio/mpeg" length="10"/>', None),
        ('<media:content url="/v.mp4" medium="video"/>', None),
        ('<media:thumbnail url="ftp://127.0.0.1/t.jpg"/>', None),
    ],
)
def test_image_sources(xml: str, expected: str | None) -> None:
    assert parse_one(f"<title>T</title><link>/a</link>{xml}").image_url == expected


def test_enclosure_beats_media_beats_inline_image() -> None:
    item = parse_one(
        "<title>T</title>"
        '<description>&lt;img src="/inline.jpg"&gt;</description>'
        '<media:thumbnail url="/thumb.jpg"/>'
        '<media:content url="/media.jpg" medium="image"/>'
        '<enclosure url="/enclosure.jpg" type="image/jpeg" length="1"/>'
    )
    assert item.image_url == "http://127.0.0.1:8000/enclosure.jpg"


def test_image_alt_from_img_tag() -> None:
    item = parse_one(
        '<title>T</title><description>&lt;img src="pic.jpg" alt="Sam, smiling"&gt;</description>'
    )
    assert item.image_url == "http://127.0.0.1:8000/feeds/pic.jpg"
    assert item.image_alt == "Sam, smiling"


def test_media_description_is_alt_not_summary() -> None:
    # feedparser files media:description as a description; it must not replace the summary.
    item = parse_one(
        '<title>T</title><media:content url="/a.jpg" medium="image">'
        "<media:description>Photo of Sam</media:description></media:content>"
        "<description>The real summary.</description>"
    )
    assert item.summary == "The real summary."
    assert item.image_alt == "Photo of Sam"


# --- hostile HTML ---------------------------------------------------------------------------


def test_hostile_html_becomes_plain_text() -> None:
    item = parse_one(
        "<title>&lt;b&gt;Sam&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;Jones</title>"
        "<link>/a</link>"
        "<description><![CDATA[<style>p{color:red}</style><p>Last seen &amp; "
        "<img src=x onerror=alert(2)>we&#8217;re worried</p><script>alert(3)</script>"
        "<iframe src='http://127.0.0.1/x'>alert(4)</iframe>]]></description>"
    )
    assert item.title == "Sam Jones"
    assert item.summary == "Last seen & we\u2019re worried"
    for text in (item.title, item.summary):
        assert "alert" not in text and "<" not in text and "color" not in text


@pytest.mark.parametrize(
    "cut",
    [
        'near <a href="https://charity.example/appeals/sa',  # inside a tag
        'near <a href="/park">the park</a',  # inside an end tag
        "near the park <!-- editor's note: do not publ",  # inside a comment
        'near <img src="/photo.jpg" alt="Sam Jo',  # inside an image tag
        "near the park <",
    ],
)
def test_a_summary_cut_off_inside_markup_leaks_no_markup(cut: str) -> None:
    # CMS excerpts are often cut at N characters, in the middle of a tag or a comment.
    item = parse_one(
        "<title>Sam Jones</title><link>/a</link>"
        f"<description><![CDATA[<p>Last seen {cut}]]></description>"
    )
    assert item.summary.startswith("Last seen near")
    assert "<" not in item.summary and "href" not in item.summary, item.summary


# --- status, urgency, region ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "categories", "status", "clean_title"),
    [
        ("FOUND: Sam Jones", (), "found", "Sam Jones"),
        ("found - Sam Jones", (), "found", "Sam Jones"),
        ("Safe and well: Sam Jones", (), "found", "Sam Jones"),
        ("Sam Jones", ("Found",), "found", "Sam Jones"),
        ("WITHDRAWN: Sam Jones", (), "withdrawn", "Sam Jones"),
        ("Sam Jones", ("closed",), "withdrawn", "Sam Jones"),
        ("Found safe in Leeds", (), "missing", "Found safe in Leeds"),
        ("Foundry worker Sam Jones", (), "missing", "Foundry worker Sam Jones"),
        ("Sam Jones", ("found out",), "missing", "Sam Jones"),
        ("FOUND:", (), "found", "FOUND:"),
    ],
)
def test_appeal_status(
    title: str, categories: tuple[str, ...], status: str, clean_title: str
) -> None:
    cats = "".join(f"<category>{c}</category>" for c in categories)
    item = parse_one(f"<title>{title}</title><link>/a</link>{cats}")
    assert item.status == status
    assert item.title == clean_title


def test_news_has_no_status_and_keeps_its_title() -> None:
    item = parse_one("<title>FOUND: a new home</title><link>/n</link>", kind="news")
    assert item.status is None
    assert item.title == "FOUND: a new home"


@pytest.mark.parametrize(
    ("categories", "urgent", "region"),
    [
        (("URGENT",), True, None),
        (("Amber Alert", "region: South West "), True, "south west"),
        (("adult", "Region:NORTH-WEST"), False, "north-west"),
        (("region:",), False, None),
        (("regional",), False, None),
        ((), False, None),
    ],
)
def test_urgent_and_region(categories: tuple[str, ...], urgent: bool, region: str | None) -> None:
    cats = "".join(f"<category>{c}</category>" for c in categories)
    item = parse_one(f"<title>T</title><link>/a</link>{cats}")
    assert item.urgent is urgent
    assert item.region == region


def test_rules_from_settings() -> None:
    settings = load_settings(environ={"FOUND_WORDS": "Found, Traced"}, env_file=None)
    rules = FeedRules.from_settings(settings)
    assert rules.found_words == ("found", "traced")
    assert rules.withdrawn_words == ("withdrawn", "closed")
    assert "urgent" in rules.urgent_categories


# --- ids ------------------------------------------------------------------------------------


def test_id_fallback_is_a_stable_hash() -> None:
    xml = "<title>Sam Jones</title><link>/appeals/sam</link>"
    first, second = parse_one(xml), parse_one(xml)
    assert first.id == second.id
    assert first.id.startswith("sha256:") and len(first.id) == len("sha256:") + 64
    assert parse_one("<title>Other</title><link>/appeals/sam</link>").id != first.id


def test_id_fallback_survives_a_found_prefix() -> None:
    before = parse_one("<title>Sam Jones</title><link>/appeals/sam</link>")
    after = parse_one("<title>FOUND: Sam Jones</title><link>/appeals/sam</link>")
    assert before.id == after.id
    assert after.status == "found"


@pytest.mark.parametrize(
    "found_title",
    [
        "Found safe and well: Sam Jones",
        "FOUND, SAFE AND WELL - Sam Jones",
        "Located and safe and well: Sam Jones",
        "Found : Sam Jones",
    ],
)
def test_a_prefix_of_several_found_words_closes_the_appeal_and_keeps_its_id(
    found_title: str,
) -> None:
    # Left as a missing appeal under a new id, "Found safe and well: Sam Jones" was queued and
    # posted as a brand-new appeal while the old one stayed up.
    before = parse_one("<title>Sam Jones</title><link>/appeals/sam</link>")
    after = parse_one(f"<title>{found_title}</title><link>/appeals/sam</link>")
    assert (after.status, after.title, after.id) == ("found", "Sam Jones", before.id)


def test_entries_without_title_or_link_skipped_and_duplicates_dropped() -> None:
    body = rss(
        "<description>nothing to post</description>",
        "<guid>a</guid><title>First</title>",
        "<guid>a</guid><title>First</title>",
        "<link>/only-a-link</link>",
    )
    parsed = parse_feed(body, FEED_URL, "appeal", RULES)
    assert [i.title for i in parsed.items] == ["First", ""]
    assert parsed.items[1].link == "http://127.0.0.1:8000/only-a-link"
    assert parsed.shared_ids == ()


def test_empty_channel_is_a_complete_feed() -> None:
    assert parse_feed(rss(), FEED_URL, "appeal", RULES) == parse_feed(
        rss(), FEED_URL, "appeal", RULES
    )
    parsed = parse_feed(rss(), FEED_URL, "appeal", RULES)
    assert parsed.items == () and parsed.complete


# --- refused bodies -------------------------------------------------------------------------

WHOLE = rss(*(f"<guid>g{n}</guid><title>Appeal {n}</title><link>/a/{n}</link>" for n in range(5)))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "is empty"),
        (b"  \n ", "is empty"),
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>x</body></html>", "HTML"),
        (b"<html><head><title>Hi</title></head><body><p>well formed</p></body></html>", "HTML"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "JSON"),
        (bytes(range(256)) * 4, "not an RSS or Atom feed"),
        (WHOLE[: len(WHOLE) // 2], "not well-formed"),  # cut in the middle of an item
        (WHOLE[:-10], "not well-formed"),  # only the closing tags lost: still refused
        (WHOLE.replace(b"</title>", b"", 1), "not well-formed"),
        (rss("<title>a&nbsp;b</title>"), "not well-formed"),  # undefined entity in XML
    ],
)
def test_refused_bodies(body: bytes, reason: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, FEED_URL, "appeal", RULES)
    assert reason in caught.value.reason
    assert caught.value.url == FEED_URL


def test_wrong_declared_encoding_is_parsed_but_not_complete() -> None:
    body = rss("<title>Caf\xe9 appeal</title><link>/a</link>").replace(b"Caf\xc3\xa9", b"Caf\xe9")
    parsed = parse_feed(body, FEED_URL, "appeal", RULES)
    assert [i.title for i in parsed.items] == ["Caf\xe9 appeal"]
    assert parsed.complete is False


def test_parse_never_fetches_a_url_given_as_body() -> None:
    # Bytes that look like a path or URL are data, not something to open.
    with pytest.raises(FeedError):
        parse_feed(str(DATA / "sample_appeals.xml").encode(), FEED_URL, "appeal", RULES)
    with pytest.raises(FeedError):
        parse_feed(b"http://127.0.0.1:9/feed.xml", FEED_URL, "appeal", RULES)


# --- fetching over HTTP ---------------------------------------------------------------------


def test_200_then_304_with_etag(feed_server: FeedServer, session: requests.Session) -> None:
    url = feed_server.serve("/appeals.xml", WHOLE, etag='"v1"')
    first = fetch_feed(url, None, None, NetPolicy(5, 100_000))
    assert (first.status, first.body, first.etag) == ("ok", WHOLE, '"v1"')
    assert first.url == url
    feed_server.routes["/appeals.xml"].expect_headers = {"If-None-Match": '"v1"'}
    second = fetch_feed(url, first.etag, first.last_modified, NetPolicy(5, 100_000))
    assert (second.status, second.body, second.etag) == ("not_modified", None, '"v1"')
    first_request, _ = feed_server.requests_to("/appeals.xml")
    assert "if-none-match" not in first_request.headers
    assert first_request.headers["user-agent"] == USER_AGENT


def test_changed_etag_gets_the_new_body(feed_server: FeedServer, session: requests.Session) -> None:
    url = feed_server.serve("/appeals.xml", b"new", etag='"v2"')
    result = fetch_feed(url, '"v1"', None, NetPolicy(5, 100_000))
    assert (result.status, result.body, result.etag) == ("ok", b"new", '"v2"')


def test_last_modified_path(feed_server: FeedServer, session: requests.Session) -> None:
    stamp = "Mon, 03 Mar 2025 09:00:00 GMT"
    url = feed_server.serve("/news.xml", WHOLE, last_modified=stamp)
    first = fetch_feed(url, None, None, NetPolicy(5, 100_000))
    assert (first.status, first.etag, first.last_modified) == ("ok", None, stamp)
    feed_server.routes["/news.xml"].expect_headers = {"If-Modified-Since": stamp}
    second = fetch_feed(url, None, first.last_modified, NetPolicy(5, 100_000))
    assert (second.status, second.body, second.last_modified) == ("not_modified", None, stamp)


def test_oversized_by_content_length_refused_before_reading(
    feed_server: FeedServer, session: requests.Session
) -> None:
    # The server promises 10 GB and sends 5 bytes: reading would hang until the timeout.
    url = feed_server.serve("/big.xml", b"<rss>", declared_length=10_000_000_000)
    with pytest.raises(FeedError, match="is larger than 1000 bytes"):
        fetch_feed(url, None, None, NetPolicy(5, 1000))


def test_oversized_chunked_body_refused(feed_server: FeedServer, session: requests.Session) -> None:
    url = feed_server.serve("/big.xml", b"x" * 300_000, chunked=True, chunk_size=8192)
    with pytest.raises(FeedError, match="is larger than 100000 bytes"):
        fetch_feed(url, None, None, NetPolicy(5, 100_000))


def test_chunked_body_under_the_limit(feed_server: FeedServer, session: requests.Session) -> None:
    url = feed_server.serve("/chunked.xml", WHOLE, chunked=True, chunk_size=100)
    result = fetch_feed(url, None, None, NetPolicy(5, 100_000))
    assert result.body == WHOLE
    assert len(parse_feed(result.body, url, "appeal", RULES).items) == 5


def test_slow_server_times_out(feed_server: FeedServer, session: requests.Session) -> None:
    url = feed_server.serve("/slow.xml", WHOLE, delay=5)
    with pytest.raises(FeedError, match=r"did not answer within 0\.3 s"):
        fetch_feed(url, None, None, NetPolicy(0.3, 100_000))


def test_trickling_server_times_out_overall(
    feed_server: FeedServer, session: requests.Session
) -> None:
    # Each chunk arrives well within the timeout, but the whole body would take 2 s.
    url = feed_server.serve("/trickle.xml", b"x" * 2000, chunk_size=100, trickle=0.1, chunked=True)
    with pytest.raises(FeedError, match=r"did not answer within 0\.4 s"):
        fetch_feed(url, None, None, NetPolicy(0.4, 100_000))


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (500, "answered 500 Internal Server Error"),
        (503, "answered 503 Service Unavailable"),
        (404, "answered 404 Not Found: check the feed address"),
        (403, "answered 403 Forbidden"),
    ],
)
def test_error_status(
    feed_server: FeedServer, session: requests.Session, status: int, words: str
) -> None:
    url = feed_server.serve("/broken.xml", b"oops", status=status, content_type="text/plain")
    with pytest.raises(FeedError, match=words) as caught:
        fetch_feed(url, None, None, NetPolicy(5, 100_000))
    assert caught.value.url == url


def test_connection_dropped_mid_body(feed_server: FeedServer, session: requests.Session) -> None:
    url = feed_server.serve("/cut.xml", WHOLE[:100], declared_length=len(WHOLE))
    with pytest.raises(FeedError, match="connection dropped"):
        fetch_feed(url, None, None, NetPolicy(5, 100_000))


def test_nobody_listening(session: requests.Session) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FeedError, match="could not connect"):
        fetch_feed(f"http://127.0.0.1:{port}/feed.xml", None, None, NetPolicy(2, 1000))


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (WHOLE[: len(WHOLE) // 2], "application/rss+xml", "not well-formed"),
        (b"", "application/rss+xml", "is empty"),
        (b"<!doctype html><html><body>Our new website!</body></html>", "text/html", "HTML"),
        (b'{"items": []}', "application/json", "JSON"),
    ],
)
def test_served_bodies_that_are_not_feeds(
    feed_server: FeedServer,
    session: requests.Session,
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    url = feed_server.serve("/feed.xml", body, content_type=content_type)
    result = fetch_feed(url, None, None, NetPolicy(5, 100_000))
    assert result.body is not None
    with pytest.raises(FeedError, match=reason):
        parse_feed(result.body, url, "appeal", RULES)


def test_served_sample_feed_end_to_end(feed_server: FeedServer, session: requests.Session) -> None:
    url = feed_server.serve_file("/feeds/appeals.xml", DATA / "sample_appeals.xml", etag='"s1"')
    result = fetch_feed(url, None, None, NetPolicy(5, 1_000_000))
    assert result.body is not None
    items = parse_feed(result.body, result.url, "appeal", RULES).items
    assert items[0].image_url == feed_server.url("/images/appeal-1.jpg")
    assert items[0].link == feed_server.url("/appeals/sample-0001-alex-marlowe")


def test_unsupported_scheme(session: requests.Session) -> None:
    with pytest.raises(FeedError, match="not an http"):
        fetch_feed("ftp://127.0.0.1/feed.xml", None, None, NetPolicy(5, 1000))


# --- file:// ---------------------------------------------------------------------------------


def test_file_url(session: requests.Session, tmp_path: Path) -> None:
    path = tmp_path / "my feeds" / "appeals.xml"
    path.parent.mkdir()
    path.write_bytes(WHOLE)
    result = fetch_feed(path.as_uri(), '"ignored"', None, NetPolicy(5, 100_000))
    assert (result.status, result.body, result.etag, result.last_modified) == (
        "ok",
        WHOLE,
        None,
        None,
    )
    items = parse_feed(WHOLE, path.as_uri(), "appeal", RULES).items
    assert len(items) == 5
    assert items[0].link is None  # relative to a file: nothing a post could link to


def test_file_url_missing_and_too_big(session: requests.Session, tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="no such file"):
        fetch_feed((tmp_path / "nope.xml").as_uri(), None, None, NetPolicy(5, 1000))
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(FeedError, match="is larger than 1000 bytes"):
        fetch_feed(big.as_uri(), None, None, NetPolicy(5, 1000))
    with pytest.raises(FeedError, match="folder"):
        fetch_feed(tmp_path.as_uri(), None, None, NetPolicy(5, 1000))


LINK_PIECES = [
    "http://", "https://", "HTTP://", "Https://", "charity.example", "/appeals", "/a b", "?", "#",
    ";", "\uff0f",
    "?x=1", "#top", "[::1]", ":8080", "\t", "\n", "..", "/./", "mailto:", "javascript:", "//",
    "é", "%20", ";p", "@",
]  # fmt: skip


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(LINK_PIECES), max_size=8).map("".join))
@example("https://charity.example/appeals?#top")  # the empty query is dropped
@example("https://charity.example/appeals?")
@example("https://charity.example/appeals#")
@example("HTTPS://charity.example/appeals")  # the scheme is lower-cased
@example("https://charity.example/a\tb")  # the tab is dropped
@example("https://[::1/appeals")  # refused
@example("https://charity.example/appeals/sam;")  # the empty params are dropped
@example("https://charity.example/sam;?id=4")
@example("https://ex\uff0fample.org/sam")  # a host NFKC would change: refused
@example("HTTPS://ex\uff0fample.org/sam")
def test_absolute_links_are_taken_as_written_only_when_urljoin_would_agree(candidate: str) -> None:
    # _http_url skips urljoin for links that are absolute already (nearly all of a big feed);
    # the result must be exactly what urljoin gives, or an item's id (a hash of its link when
    # the feed has no guid) would change and the appeal would be posted again.
    base = "https://charity.example/feed/"
    if not candidate.strip():
        return  # no link at all is no link, not the feed's own address
    try:
        joined = urljoin(base, candidate.strip())
        parts = urlsplit(joined)
    except ValueError:
        # urllib cannot read it (an unbalanced IPv6 bracket): no link, and no crashed poll.
        assert _http_url(candidate.strip(), base) is None
        return
    expected = joined if parts.scheme.lower() in ("http", "https") and parts.netloc else None
    assert _http_url(candidate.strip(), base) == expected
