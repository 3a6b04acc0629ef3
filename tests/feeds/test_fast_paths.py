"""Each fast path of feed parsing against the slower code it stands in for."""

from __future__ import annotations

import contextlib
import html
import io
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feeds import boilerplate, fetch, photos, text

# Clue words whole, cut and in other cases, beside the non-ASCII characters that case-blind
# matching folds onto ASCII letters (the kelvin sign, the long s, dotted and dotless i).
_CLUE_PIECES = st.lists(
    st.sampled_from(
        [*boilerplate._CLUE_WORDS, "READ", "Share", "PoSt", "rea", "shar", "lik", "\u212a",
         "\u017f", "\u0130", "\u0131", "é", "…", " ", "x", ".", "]"]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@given(_CLUE_PIECES | st.text(max_size=40))
def test_clue_test_answers_as_the_regex(text: str) -> None:
    assert boilerplate._has_clue(text) == (boilerplate._CLUE.search(text) is not None)


def _by_htmlparser(html: str) -> text._Extractor:
    """What text._extract did before its simple path: HTMLParser for everything."""
    parser = text._Extractor()
    with contextlib.suppress(Exception):
        parser.feed(html)
        if parser.rawdata.startswith("<"):
            parser.rawdata = ""
        parser.close()
    return parser


# Pieces of HTML as CMSs write it, and as they get it wrong: tags of every kind the simple
# path reads and many it must hand to HTMLParser (script, comments, unquoted, cut-off...).
HTML_PIECES = [
    "<p>", "</p>", "<P CLASS='Lead'>", "<br>", "<br/>", "<br />", "<br / >", "<hr>",
    "<div class=\"sharedaddy sd-sharing\">", "</div>", "<div class='more-link'>",
    '<a href="/images/big.jpg">', '<a href="https://x.example/?a=1&amp;b=2">', "</a>",
    '<img src="/a.jpg" alt="Sam &amp; Jo" width="640" height="480" />',
    "<img src='b.png' alt>", '<img data-src="c.jpg" src="data:image/gif;base64,R0" />',
    '<img src = "d.jpg" class="avatar photo">', '<img src="e.jpg"alt="x">',
    "<img src=f.jpg>", '<img srcset="g.jpg 480w, h.jpg 1024w" src="g.jpg">',
    "<script>", "</script>", "<style>p{}</style>", "<noscript>", "</noscript>",
    "<!-- note -->", "<![CDATA[x]]>", "<?php ?>", "<!DOCTYPE html>", "<", ">", "</",
    "</ p>", "</p >", "<strong>", "</STRONG>", "<iframe src='v'>", "</iframe>",
    "<svg:rect/>", "<my-tag>", "<h2\v>", "<p\xa0>", "<img src='\"'>", "<a b='<'>",
    "Sam Jones, 14", " ", "\n", "&amp;", "&nbsp;", "&#8217;", "&hellip", "& ", "&",
    "&#x2014;", "a < b", "café", "=", '"', "'", "/", "x=1",
]  # fmt: skip
_HTML = st.lists(st.sampled_from(HTML_PIECES), max_size=14).map("".join)


@settings(max_examples=400)
@given(_HTML | st.text(max_size=60))
def test_simple_html_path_reads_as_htmlparser(html: str) -> None:
    fast, slow = text._extract(html), _by_htmlparser(html)
    assert (fast.parts, fast.images) == (slow.parts, slow.images)


CORPUS = Path(__file__).parent / "corpus"
# Every name fetch.py reads through _field, from entries and from the dicts inside them.
_FIELD_NAMES = ("title", "title_detail", "summary", "summary_detail", "link", "id", "tags",
                "content", "links", "media_content", "media_thumbnail", "type", "base", "value",
                "term", "rel", "href", "length", "medium", "width", "height", "filesize",
                "fileSize", "published_parsed")  # fmt: skip


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.xml")), ids=lambda p: p.stem)
def test_field_reads_what_feedparser_get_gives(path: Path) -> None:
    parsed = feedparser.parse(io.BytesIO(path.read_bytes()), sanitize_html=False)
    mappings: list[dict[str, Any]] = []
    for entry in parsed.entries:
        mappings.append(entry)
        for name in ("title_detail", "summary_detail", "tags", "content", "links",
                     "media_content", "media_thumbnail"):  # fmt: skip
            value = entry.get(name)
            mappings.extend(value if isinstance(value, list) else [value] if value else [])
    assert mappings
    for mapping in mappings:
        for name in _FIELD_NAMES:
            assert fetch._field(mapping, name) == mapping.get(name), (path.name, name)


def _http_url_by_urljoin(candidate: str, base: str) -> str | None:
    """What fetch._http_url did for a relative URL before its root-path shortcut."""
    if not candidate:
        return None
    try:
        absolute = urljoin(base, candidate)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return absolute


_PATHS = st.lists(
    st.sampled_from(["/", "images", "a.jpg", ".", "..", "...", ".a", "//", "?x=1", "#f", ";p",
                     "%20", " ", "\t", "é", "~", ":", "@", "+", "=", "x,y", "(1)", "'", "\n"]),
    max_size=8,
).map("".join)  # fmt: skip
_SEGMENTS = st.lists(
    st.sampled_from(["images", "a.jpg", ".", "..", "...", ".a", "", "x%20y", "é", "a:b", "@",
                     "(1)", "'", "*", "a;b", "a?b", "a#b", "a b", "~u"]),
    min_size=1,
    max_size=5,
).map(lambda segments: "/" + "/".join(segments))  # fmt: skip
_BASES = st.sampled_from(
    ["http://charity.example/feed.xml", "HTTPS://Host.Example:8080/a/b/", "http://u@h/x;p?q#f",
     "https://charity.example", "ftp://x/y", "http:///nohost", "http://[::1]/feed",
     "http://[bad/feed", "", "feed.xml", "HtTp://h/"]
)  # fmt: skip


@settings(max_examples=500)
@given(_PATHS | _SEGMENTS, _BASES)
def test_root_path_shortcut_resolves_as_urljoin(candidate: str, base: str) -> None:
    assert fetch._http_url(candidate, base) == _http_url_by_urljoin(candidate, base)


# URL pieces around every word _NOT_A_PHOTO looks for, in other cases, cut short, and beside
# the non-ASCII letters case-blind matching folds onto ASCII ones (kelvin sign, long s).
_PHOTO_URL_PIECES = st.lists(
    st.sampled_from(
        ["https://", "charity.example", "/", ".", "?", "&", "=", "Gravatar.com", "pixel.WP.com",
         "stats.wordpress.com", "feeds.feedburner.com", "feedburner.google.com",
         "s.w.org/images/core/emoji", "twemoji", "blogger.googleusercontent.com/tracker",
         "www.facebook.com/tr", "analytics", "avatars", "Avatar", "emojis", "smilies",
         "smileys", "icons", "badge", "share", "social", "buttons", "spacer", "blank", "pixel",
         "transparent", "clear", "b", "1x1", "tracking", "beacon", ".GIF", ".png", ".jpg",
         "avat", "emo", "\u212a", "\u017f", "\u0130", "é", "sam-jones", "/share/",
         "/avatar/", "/Emoji/", "/smileys/", "/icon/", "/badges/", "/social/", "/button/",
         "/spacer.gif", "/b.png", "/1x1.GIF", "/beacon.png", "?avatar", "&gravatar",
         ".gravatar.com", "/pixel.wp.com", "/analytics", ".twemoji"]
    ),
    max_size=10,
).map("".join)  # fmt: skip


@settings(max_examples=500)
@given(_PHOTO_URL_PIECES | st.text(max_size=40))
def test_photo_clue_test_never_hides_a_regex_match(url: str) -> None:
    if photos._NOT_A_PHOTO.search(url):
        assert photos._may_not_be_a_photo(url)


def _contains_any_by_scanning(body: bytes, marks: tuple[bytes, ...]) -> bool:
    """What fetch._mentions and declares_entities did before sparing UTF-8 the UTF-16 scans."""
    return any(mark in body for mark in marks)


_BODY_PIECES = st.lists(
    st.sampled_from([b"<rss>", b"\x00", b"<\x00!\x00E\x00", b"xml:base", b"x\x00m\x00l\x00:",
                     b"<!ENTITY", b"\xff\xfe", b"\xef\xbb\xbf", b"a", b"\x00<", b"E\x00N"]),
    max_size=8,
).map(b"".join)  # fmt: skip


@settings(max_examples=300)
@given(_BODY_PIECES, st.sampled_from(["xml:base", "<!ENTITY", fetch._MEDIA_NS, "é"]))
def test_contains_any_answers_as_scanning_every_encoding(body: bytes, text: str) -> None:
    marks = tuple(text.encode(codec) for codec in fetch._CODECS)
    assert fetch._contains_any(body, marks) == _contains_any_by_scanning(body, marks)
    assert fetch._mentions(body, text) == _contains_any_by_scanning(body, marks)


def _strip_without_clue_test(text: str) -> str:
    """What boilerplate.strip_boilerplate does with no clue test before its search."""
    current = text.strip()
    for _ in range(len(boilerplate.TRAILING) + 1):
        match = boilerplate._TRAILING_RE.match(current, max(0, len(current) - boilerplate._TAIL))
        if match is None:
            break
        kept = current[: match.end("keep")].rstrip(" \t|·-–—:")
        if not kept:
            break
        current = kept
    return current


# Every CMS's phrases whole, in other cases and cut short, among appeal words.
_TRAILER_PIECES = st.lists(
    st.sampled_from(
        ["Ada was seen.", " ", "The post Ada appeared first on Charity.", "Continue reading →",
         "CONTINUE READING “Ada”", "[&hellip;]", "[…]", "[...]", "Share this: Facebook",
         "Like this: Like Loading...", "Like Loading...", "Read more: Ada", "read more about Ada",
         "Add new comment", "Log in or register to post comments", "[Read more of this post...]",
         "Read More »", "Read the full story", "Continue Reading", "Ada was seen. Appeal was "
         "originally published in Appeals on Medium, where people talk.", "Share on: Twitter, "
         "Email", "appeared first on", "continue", "register", "rea", "Shar", "\u017fhare this:",
         "\u212a", "…", "|", ":", "x"]
    ),
    max_size=8,
).map("".join)  # fmt: skip


@settings(max_examples=400)
@given(_TRAILER_PIECES)
def test_clue_test_never_hides_a_trailer(text: str) -> None:
    assert boilerplate.strip_boilerplate(text) == _strip_without_clue_test(text)


def test_field_of_what_is_not_a_dict() -> None:
    # feedparser gives dicts; anything else a feed element may hold reads as an absent field,
    # and a Mapping of another kind is read through its own get.
    from types import MappingProxyType

    for odd in (None, "enclosure", ["rel"], 3, ("rel", "enclosure")):
        assert fetch._field(odd, "rel") is None
        assert fetch._field_text(odd, "rel") == ""
    proxy = MappingProxyType({"rel": " enclosure "})
    assert fetch._field(proxy, "rel") == " enclosure "
    assert fetch._field_text(proxy, "rel") == "enclosure"


_ENTITY_PIECES = st.lists(
    st.sampled_from(["&amp;", "&amp", "&", "amp", ";", "&ampx", "&AMP;", "&lt;", "&#38;", "x",
                     " ", "é", "&amp;amp;", "&&", "#"]),
    max_size=10,
).map("".join)  # fmt: skip


@settings(max_examples=400)
@given(_ENTITY_PIECES | st.text(max_size=20))
def test_unescape_shortcut_answers_as_html_unescape(words: str) -> None:
    assert text._unescape(words) == html.unescape(words)


def test_rules_stay_frozen_and_equal_once_their_status_prefixes_are_worked_out() -> None:
    rules = fetch.FeedRules(found_words=("found", "safe and well"), withdrawn_words=())
    fresh = fetch.FeedRules(found_words=("found", "safe and well"), withdrawn_words=())
    (found, _, pattern), (withdrawn, _, none) = rules.status_prefixes
    assert (found, withdrawn, none) == ("found", "withdrawn", None)
    assert pattern is not None and pattern.match("Found, safe and well: Sam")
    assert rules.status_prefixes is rules.status_prefixes  # worked out once
    assert rules == fresh and hash(rules) == hash(fresh) and repr(rules) == repr(fresh)
    with pytest.raises(AttributeError):  # dataclasses.FrozenInstanceError
        rules.found_words = ()  # type: ignore[misc]


# Words and every kind of whitespace str.split() knows (ASCII, control, no-break, wide), alone
# and in runs, beside printable characters beyond ASCII.
_SPACED_PIECES = st.lists(
    st.sampled_from(["Sam", "Jo.", "é", "سارة", " ", "  ", "   ", "\t", "\n", "\r\n", "\x0b",
                     "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u2028", "\u3000",
                     "\u200b", "~", "\x7f"]),
    max_size=14,
).map("".join)  # fmt: skip


@settings(max_examples=400)
@given(_SPACED_PIECES | st.text(max_size=40))
def test_collapse_by_double_spaces_answers_as_split_and_join(words: str) -> None:
    assert text._collapsed(words) == " ".join(words.split())


# A simple tag's attributes as written: names in any case and repeated, values quoted either
# way, empty or missing, with entities.
_ATTRIBUTE_RUNS = st.lists(
    st.sampled_from([' src="/a.jpg"', " SRC='b.png'", ' alt="Sam &amp; Jo"', " alt", ' alt=""',
                     ' Width = "640"', " width='1200px'", ' data-src="/lazy.jpg"', ' x="&lt;&#62;"',
                     '\tsrcset="a.jpg 480w, b.jpg 1024w"', "\nalt='é'"]),
    max_size=6,
).map("".join)  # fmt: skip


@given(_ATTRIBUTE_RUNS)
def test_attribute_map_is_the_dict_of_the_attribute_list(attributes: str) -> None:
    assert text._attribute_map(attributes) == dict(text._attributes(attributes))
