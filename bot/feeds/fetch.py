"""Fetch the charity's RSS/Atom feeds and turn their entries into :class:`bot.feeds.items.Item`.

Two steps, kept apart so each is testable on its own and storage stays someone else's job:

* :func:`fetch_feed` does the I/O: a conditional GET (ETag / Last-Modified) with a time and size
  limit, or a read from disk for ``file://`` URLs.
* :func:`parse_feed` is pure: bytes in, items out. It refuses anything that is not a whole,
  well-formed feed, because a truncated feed parsed leniently would look like appeals vanished.

Every failure is a :class:`bot.core.errors.FeedError` whose reason a comms officer can read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import re
import time
import xml.etree.ElementTree as ET
import xml.parsers.expat
import xml.sax
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import feedparser
from feedparser.exceptions import CharacterEncodingOverride, NonXMLContentType

from bot.core.errors import FeedError
from bot.core.gc_pause import collector_paused
from bot.core.memo import small_lru_cache
from bot.core.net import NetError, NetPolicy, Refused, Response, fetch
from bot.feeds.boilerplate import strip_boilerplate
from bot.feeds.items import KINDS, AppealStatus, Item, Kind
from bot.feeds.photos import Picture, choose_photo, number, pictures_from_html
from bot.feeds.text import ImageTag, html_to_text, plain_text, read_html

if TYPE_CHECKING:
    from bot.core.settings import Settings

USER_AGENT = "appeal-bot/0.1 (+feed reader)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
# A title such as "FOUND: Sam Jones", "Withdrawn - Sam Jones" or (several words of one status)
# "Found safe and well: Sam Jones" closes the appeal.
_PREFIX_SEPARATOR = r"(?:\s*:|\s+[-–—])"
# http(s)://host... that urljoin would give back unchanged: ASCII (no host NFKC can change), a
# lower-case scheme, no whitespace (dropped), no IPv6 brackets (checked), no ";" (empty params
# dropped), no empty query or fragment (dropped).
_ABSOLUTE_HTTP = re.compile(r"https?://[^/?#\s\[\];][^\s\[\];]*(?<![?#])")
# A path from the site's root ("/images/a.jpg") that urljoin would keep as it is: no empty,
# "." or ".." segment, no params, query or fragment, nothing but URL characters.
_ROOT_PATH = re.compile(r"(?:/(?!\.\.?(?:/|\Z))[A-Za-z0-9\-._~%!$&'()*+,=:@]+)+/?")
_PREFIX_JOINER = r"(?:\s*,\s*|\s+)(?:and\s+)?"
_MEDIA_NS = "http://search.yahoo.com/mrss/"
_ENTRY_TAGS = frozenset(
    {
        "item",  # RSS 0.9x / 2.0
        "{http://purl.org/rss/1.0/}item",
        "{http://my.netscape.com/rdf/simple/0.9/}item",
        "{http://www.w3.org/2005/Atom}entry",
        "{http://purl.org/atom/ns#}entry",
    }
)
# Longest text kept from a fact's field: a field holding a whole article is not a fact.
MAX_FIELD_CHARS = 500
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")
# feedparser notes these and carries on with a complete, correct parse: not worth refusing a feed.
_HARMLESS_BOZO = (CharacterEncodingOverride, NonXMLContentType)


# --- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedRules:
    """The words that set an appeal's status, urgency and region; all lower case."""

    found_words: tuple[str, ...] = ()
    withdrawn_words: tuple[str, ...] = ()
    urgent_categories: tuple[str, ...] = ()
    # Entry fields (feedparser's names: <charity:status> is "charity_status") that carry the
    # status or region when the site says so outright instead of in titles and categories.
    status_field: str = ""
    region_field: str = ""
    # (fact, entry field) for each card fact the site gives in a field of its own (AGE_FIELD…).
    fact_fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedRules:
        """The rules configured by FOUND_WORDS, WITHDRAWN_WORDS and URGENT_CATEGORIES."""
        return cls(
            found_words=_lowered(settings.found_words),
            withdrawn_words=_lowered(settings.withdrawn_words),
            urgent_categories=_lowered(settings.urgent_categories),
            status_field=settings.status_field.strip(),
            region_field=settings.region_field.strip(),
            fact_fields=tuple(settings.fact_fields.items()),
        )

    @functools.cached_property
    def status_prefixes(
        self,
    ) -> tuple[tuple[AppealStatus, tuple[str, ...], re.Pattern[str] | None], ...]:
        """(status, its words, the title prefix they make) for found then withdrawn: worked
        out once for the rules, not once an entry. (Kept in the instance's own dict, so the
        rules stay frozen, equal and hashable by their fields alone.)"""
        return (
            ("found", self.found_words, _prefix_pattern(self.found_words)),
            ("withdrawn", self.withdrawn_words, _prefix_pattern(self.withdrawn_words)),
        )


def _lowered(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(w.strip().lower() for w in words if w.strip())


# --- fetching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    """One fetch. ``body`` is None when not modified; keep ``etag``/``last_modified`` for next time.

    ``url`` is the URL asked for (the key a caller stores validators under), even after a redirect.
    ``final_url`` is where the body came from (relative links resolve against it);
    ``moved_to`` the new address when the server said the feed moved for good (301 or 308 as
    the first hops), for the operator to put in the settings. ``content_type`` is the
    Content-Type header as sent (None for a file).
    """

    url: str
    status: Literal["ok", "not_modified"]
    body: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None = None
    final_url: str | None = None
    moved_to: str | None = None


def fetch_feed(
    url: str,
    etag: str | None,
    last_modified: str | None,
    policy: NetPolicy,
) -> FetchResult:
    """Fetch ``url`` unless it is unchanged since ``etag``/``last_modified`` (conditional GET).

    Through :func:`bot.core.net.fetch`: ``policy.timeout`` seconds for the whole request (a
    trickled body, chunked or with a Content-Length, is cut off there), ``policy.max_bytes`` of
    body. The feed's own host is the operator's choice and is not address-checked; a redirect
    elsewhere is, and only to http(s). ``file://`` URLs are read from disk with the same size
    limit and are always "ok". Raises :class:`FeedError` for every failure.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return _read_file(url, policy.max_bytes)
    if scheme not in ("http", "https"):
        raise FeedError(url, "is not an http://, https:// or file:// address")

    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        response = fetch(url, policy, headers=headers, trusted=True)
    except NetError as error:
        raise FeedError(url, _net_error_in_words(url, error)) from None
    if response.status == 304:
        if not (etag or last_modified):
            raise FeedError(url, "answered 304 Not Modified to a plain request")
        return FetchResult(
            url,
            "not_modified",
            None,
            response.headers.get("ETag") or etag,
            response.headers.get("Last-Modified") or last_modified,
        )
    if not 200 <= response.status < 300:
        raise FeedError(url, _status_in_words(response.status, response.reason))
    return FetchResult(
        url,
        "ok",
        response.body,
        response.headers.get("ETag"),
        response.headers.get("Last-Modified"),
        content_type=response.headers.get("Content-Type"),
        final_url=response.url,
        moved_to=_moved_to(response),
    )


_PERMANENT = (301, 308)


def _moved_to(response: Response) -> str | None:
    """The address the feed moved to for good: the end of the permanent redirects it starts
    with. A temporary hop after them (301 then 302) is not followed: that one may change."""
    moved = None
    for status, following in response.redirects:
        if status not in _PERMANENT:
            break
        moved = following
    return moved


def _status_in_words(code: int, reason: str) -> str:
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = reason or "unknown status"
    hint = ""
    if code in (401, 403):
        hint = ": the site refused access"
    elif code in (404, 410):
        hint = ": check the feed address"
    elif code >= 500:
        hint = ": the charity's site has a problem, the next poll will try again"
    return f"answered {code} {phrase}{hint}"


def _net_error_in_words(url: str, error: NetError) -> str:
    reason = error.reason.replace("whole answer", "whole feed")
    if error.url != url and isinstance(error, Refused):
        return f"redirected to {error.url}, which {reason}"
    return reason


def _read_file(url: str, max_bytes: int) -> FetchResult:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FeedError(url, "file:// addresses must name a file on this machine")
    path = Path(url2pathname(unquote(parts.path)))
    try:
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FeedError(url, f"no such file: {path}") from None
    except IsADirectoryError:
        raise FeedError(url, f"{path} is a folder, not a feed file") from None
    except OSError as exc:
        raise FeedError(url, f"could not read {path} ({exc.strerror or exc})") from None
    if len(body) > max_bytes:
        raise FeedError(url, f"is larger than {max_bytes} bytes")
    return FetchResult(url, "ok", body, None, None)


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's items in feed order, one per id.

    ``complete`` is False when feedparser had to work around a problem it could recover from
    (say, a wrong declared encoding): the items are usable, but a caller must not infer that an
    item missing from this fetch was removed from the site. Malformed feeds raise instead.
    """

    items: tuple[Item, ...]
    complete: bool
    # Why the feed's text may be wrong (it could not be decoded as it declares): its new items
    # must wait as drafts for a person to read, never be posted as they are. None when clean.
    note: str | None = None
    # Ids that more than one clearly different entry carried (a CMS bug): each later entry was
    # kept under the id plus a hash of its link and title, and the operator should be told.
    shared_ids: tuple[str, ...] = ()


def parse_feed(
    body: bytes,
    url: str,
    kind: Kind,
    rules: FeedRules,
    *,
    content_type: str | None = None,
    base_url: str | None = None,
) -> ParsedFeed:
    """Parse RSS 2.0, RSS 1.0 (RDF) or Atom bytes from ``url`` into items of ``kind``.

    ``content_type`` is the server's Content-Type header (None for a file): its charset is
    used as RFC 7303 says (a byte-order mark first, then the HTTP charset, then the XML
    declaration, then a guess). Relative links and images are resolved against ``base_url``
    (the address the feed was finally read from, after redirects; default ``url``) or the
    feed's xml:base; items keep ``url`` as their feed. Raises :class:`FeedError` for an empty
    body, something that is not a feed (an HTML page, JSON) and malformed or truncated XML:
    never a partial list of items.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    if not body or not body.strip():
        raise FeedError(url, "is empty")
    if declares_entities(body):
        # Expanded, a few hundred kilobytes of entity references asked for gigabytes of memory.
        raise FeedError(url, "declares XML entities, which appeal-bot does not expand")
    base_url = base_url or url
    body = _without_leading_space(body)
    # A stream, never bytes or a str: feedparser opens paths and fetches URLs given as strings.
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), **feedparser_options(body, content_type, base_url)
        )
    except Exception as exc:  # a feedparser bug on odd input must not stop the whole poll
        raise FeedError(url, f"could not be read as a feed ({type(exc).__name__})") from exc
    version = parsed.get("version") or ""
    entries: list[Any] = list(parsed.get("entries") or [])
    if not version and not entries:
        raise FeedError(url, _not_a_feed_in_words(body))
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and not isinstance(problem, _HARMLESS_BOZO):
        raise FeedError(url, _malformed_in_words(problem, body))
    note = None
    if isinstance(problem, CharacterEncodingOverride):
        note = (
            f"the feed's text could not be read in the character set it declares ({problem});"
            " check its wording before approving"
        )

    media_descriptions = _media_descriptions(body, len(entries))
    atom = str(version).startswith("atom")
    items: list[Item] = []
    seen: dict[str, Item] = {}
    shared: list[str] = []
    with collector_paused():  # thousands of Items kept, no cycles among them
        for index, entry in enumerate(entries):
            descriptions = media_descriptions[index]
            item = _entry_to_item(entry, url, base_url, kind, rules, descriptions, atom)
            if item is None:
                continue
            first = seen.get(item.id)
            if first is not None:
                if (first.link, first.title) == (item.link, item.title):
                    continue  # the same entry twice: one is enough
                if item.id not in shared:
                    shared.append(item.id)
                item = replace(item, id=f"{item.id}#{_digest(item.link, item.title)[:16]}")
                if item.id in seen:
                    continue
            seen[item.id] = item
            items.append(item)
    return ParsedFeed(tuple(items), complete=problem is None, note=note, shared_ids=tuple(shared))


def feedparser_options(body: bytes, content_type: str | None, base_url: str) -> dict[str, Any]:
    """The keyword arguments :func:`parse_feed` gives ``feedparser.parse`` for ``body`` (after
    its leading space is gone), served as ``content_type`` from ``base_url``.

    Public so that the ingest benchmark's like-for-like baseline is feedparser run exactly as
    the bot runs it. Its sanitizer is off because it keeps the text inside the elements it
    removes (an iframe's fallback, say); html_to_text drops those, and we only ever keep plain
    text. Nor does it rewrite relative URLs inside the HTML (a third of its time on a big
    feed): the only URLs we take from HTML are <img> sources, which _image resolves itself.
    And unless the feed uses xml:base, it is not told the feed's address: it would resolve
    every element's base against it (a fifth of its time) and turn a guid such as "12345" into
    a URL that changes if the feed moves; links and pictures are resolved here (_http_url
    against the feed's URL). With xml:base, relative and nested bases need its resolution from
    the feed's address, as a reader's would.
    """
    headers = {"content-type": _xml_content_type(content_type)}
    if _mentions(body, "xml:base"):
        headers["content-location"] = base_url
    return {"response_headers": headers, "sanitize_html": False, "resolve_relative_uris": False}


def _xml_content_type(header: str | None) -> str:
    """The Content-Type feedparser is told, read as RFC 7303 says.

    feedparser follows the older RFC 3023, where ``text/xml`` without a charset means US-ASCII
    whatever the XML declaration says; RFC 7303 (and every feed reader) use the declaration
    then. So only the HTTP charset is kept, on ``application/xml``; a byte-order mark still
    wins over it inside feedparser.
    """
    charset = ""
    for param in (header or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").strip()
    if charset and re.fullmatch(r"[A-Za-z0-9._:-]{1,40}", charset):
        return f"application/xml; charset={charset}"
    return "application/xml"


_LEADING_SPACE = re.compile(rb"(\xef\xbb\xbf)?[ \t\r\n]+(?=<)")


def _without_leading_space(body: bytes) -> bytes:
    """``body`` without the blank lines a PHP theme or plugin printed before ``<?xml``.

    An XML declaration must be the very first thing, so expat refuses such a feed outright,
    while every feed reader reads it: only ASCII whitespace is taken off, after any UTF-8
    byte-order mark (UTF-16 feeds begin with their mark and ``<``).
    """
    match = _LEADING_SPACE.match(body)
    return (match.group(1) or b"") + body[match.end() :] if match else body


class _PrologRead(Exception):
    """Raised from an expat handler to stop reading once the answer is known."""


# How "<!ENTITY" reads in the encodings expat cannot be asked to decode for us.
_ENTITY_MARKS = tuple("<!ENTITY".encode(codec) for codec in ("ascii", "utf-16-le", "utf-16-be"))


def declares_entities(body: bytes) -> bool:
    """Whether the document declares entities in its DTD (defusedxml's ``forbid_entities``).

    Entities are the one XML feature a feed has no use for and an attacker has: one 10 KB
    entity referenced many times, or nested ones (billion laughs). Only the prolog is parsed,
    with expat's declaration handlers, so a normal feed costs next to nothing; the byte scan
    covers encodings expat does not know, which feedparser would convert and then expand.
    """
    if _contains_any(body, _ENTITY_MARKS):
        return True
    found: list[str] = []

    def declared(name: str, *_: object) -> None:
        found.append(name)
        raise _PrologRead

    def root(*_: object) -> None:
        raise _PrologRead

    parser = xml.parsers.expat.ParserCreate()
    parser.EntityDeclHandler = declared
    parser.UnparsedEntityDeclHandler = declared
    parser.StartElementHandler = root
    # A malformed feed is feedparser's to report, in its own words.
    with contextlib.suppress(_PrologRead, xml.parsers.expat.ExpatError):
        parser.Parse(body, True)
    return bool(found)


def _not_a_feed_in_words(body: bytes) -> str:
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if start[:1] in (b"{", b"["):
        return "is JSON, not an RSS or Atom feed"
    if start.startswith(b"<!doctype html") or b"<html" in start:
        return "is a web page (HTML), not an RSS or Atom feed: check the feed address"
    return "is not an RSS or Atom feed"


def _malformed_in_words(problem: BaseException, body: bytes) -> str:
    """The parser's complaint, with a hint only where the hint is known to be true."""
    if not isinstance(problem, xml.sax.SAXParseException):
        return f"could not be read as a feed ({problem})"
    line, message = problem.getLineNumber(), problem.getMessage()
    where = f"is not well-formed XML (line {line}: {message})"
    start = body.lstrip(b"\xef\xbb\xbf")[:1]
    if "declaration not at start" in message or start not in (b"<", b"\xfe", b"\xff", b"\x00"):
        shown = body.lstrip(b"\xef\xbb\xbf")[:40].decode("utf-8", "replace").splitlines()[0]
        return f"{where}; the site prints something before the feed begins ({shown!r}...)"
    lines = body.rstrip().split(b"\n")
    ends_early = not lines[-1].rstrip().endswith(b">")
    if message in ("no element found", "unclosed token") or (
        ends_early and (line or 0) >= len(lines)
    ):
        return f"{where}; it ends before the feed is complete (cut short?)"
    return f"{where}; the site's feed has a mistake there that its webmaster must fix"


def _entry_to_item(
    entry: Mapping[str, Any],
    url: str,
    base_url: str,
    kind: Kind,
    rules: FeedRules,
    media_descriptions: Sequence[str],
    atom: bool,
) -> Item | None:
    base = _entry_base(entry, base_url)
    title = plain_text(_field_text(entry, "title"), _is_html(_field(entry, "title_detail"), atom))
    categories = _categories(entry)

    status: AppealStatus | None = None
    urgent = False
    if kind == "appeal":
        lowered = {category.lower() for category in categories}
        status, title = _appeal_status(title, lowered, rules)
        if status == "missing" and rules.status_field:
            status = _field_status(entry, rules) or status
        urgent = not lowered.isdisjoint(rules.urgent_categories)

    link = _http_url(_field_text(entry, "link"), base)
    if not title and not link:
        return None

    texts, images = _bodies(entry, media_descriptions, atom)
    photo, image_alt = _image(entry, base, images)
    if photo is not None and photo.source in ("media", "thumbnail") and media_descriptions:
        image_alt = html_to_text(media_descriptions[0]) or image_alt
    # Every field, in Item's order (test_item.py holds its __init__ to it): positional
    # arguments cost half as much as keywords, once an entry.
    return Item(
        _entry_id(entry, link, title),  # id
        kind,
        title,
        strip_boilerplate(texts[0]) if texts else "",  # summary
        link,
        photo.url if photo else None,  # image_url
        image_alt,
        _utc(entry, "published_parsed"),  # published_at
        _utc(entry, "updated_parsed"),  # updated_at
        categories,
        status,
        urgent,
        _region(categories) or _field_region(entry, rules),  # region
        url,  # feed_url
        _field_facts(entry, rules) if kind == "appeal" else (),  # facts
    )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _field_text(mapping: object, key: str) -> str:
    """``_text(_field(mapping, key))``: the field's text, stripped; "" when it is absent or not
    a string, or ``mapping`` is not a mapping. One call instead of two, a dozen times an
    entry."""
    try:
        value = dict.get(mapping, key)  # type: ignore[call-overload]
    except TypeError:  # as in _field
        value = mapping.get(key) if isinstance(mapping, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def _field(mapping: object, key: str) -> Any:
    """``mapping.get(key)``, read straight from the dict when it is one (feedparser's are);
    None when ``mapping`` is not a mapping at all (a feed element where feedparser put
    something odd), so a caller needs no test of its own.

    FeedParserDict.get maps old element names to new ones ("guid" to "id", "url" to "href")
    at ten times a dict's cost, a few hundred thousand times in a big feed: only names it
    never maps are read through here (never "url"). For "updated_parsed" the dict's own
    answer is the one wanted: feedparser's get would answer with "published_parsed".
    """
    try:
        return dict.get(mapping, key)  # type: ignore[call-overload]
    except TypeError:  # not a dict (dict.get refuses it): a Mapping of another kind, or none
        return mapping.get(key) if isinstance(mapping, Mapping) else None


def _is_mapping(value: object) -> bool:
    """``isinstance(value, Mapping)``, answered for a dict (feedparser's all are) without a
    trip through the ABC's ``__instancecheck__``, several times the cost, a dozen times an
    entry."""
    return isinstance(value, (dict, Mapping))


def _is_html(detail: Any, atom: bool) -> bool:
    """Whether a text construct is HTML. Atom says so (``type="text"`` is the default and means
    plain text: "<Sammy>" is a name, not a tag); RSS never does, and its text is HTML in
    practice, so it is read as HTML whatever feedparser guessed."""
    if not atom or not _is_mapping(detail):
        return True
    return _field_text(detail, "type").lower() != "text/plain"


def _entry_base(entry: Mapping[str, Any], url: str) -> str:
    """The base URI in force for the entry: its xml:base (as feedparser recorded it, joined
    with any outer ones) against the feed's URL; the feed's URL if that is not http(s)."""
    for key in ("title_detail", "summary_detail"):
        detail = _field(entry, key)
        given = _field_text(detail, "base")
        if given:
            try:
                base = urljoin(url, given)
            except ValueError:
                return url
            return base if urlsplit(base).scheme.lower() in ("http", "https") else url
    return url


_CODECS = ("utf-8", "utf-16-le", "utf-16-be")


def _mentions(body: bytes, text: str) -> bool:
    """Whether the feed's bytes contain ``text`` in any encoding a feed is likely to use."""
    return _contains_any(body, tuple(text.encode(codec) for codec in _CODECS))


def _contains_any(body: bytes, marks: Iterable[bytes]) -> bool:
    """Whether ``body`` contains any of ``marks``. A mark with a NUL byte (ASCII text in
    UTF-16) is looked for only if ``body`` has one: a UTF-8 feed is then read once, not three
    times, for each mark.

    Each mark is looked for from the end: ``rfind`` gives the same answer as ``in``, and
    CPython's backward search skips through feed text (markup, English) much faster than its
    forward one for these marks: ~1 ms instead of ~4 for the three whole-body checks of the
    benchmark's 5 MB feed."""
    nul: bool | None = None
    for mark in marks:
        if b"\0" in mark:
            if nul is None:
                nul = b"\0" in body
            if not nul:
                continue
        if body.rfind(mark) != -1:
            return True
    return False


def _http_url(candidate: str, base: str) -> str | None:
    """``candidate`` made absolute against ``base``; None unless it is a usable http(s) URL.

    A URL urllib cannot read (a broken IPv6 host, a host that changes under NFKC) is None: one
    bad link must never stop a poll. Not cached: an entry resolves each of its URLs about once
    (its link, the photo chosen, its HTML's pictures for the alt text), and the shortcuts
    below answer nearly all of them faster than a cache's bookkeeping.
    """
    if not candidate:
        return None
    if candidate.isascii() and _ABSOLUTE_HTTP.fullmatch(candidate) and "?#" not in candidate:
        return candidate  # absolute already, as most feeds write their links
    origin = _http_origin(base) if _ROOT_PATH.fullmatch(candidate) else None
    if origin:
        return origin + candidate  # what urljoin gives, as a CMS writes its own pictures
    try:
        absolute = urljoin(base, candidate)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return absolute


@small_lru_cache(maxsize=16, max_size=2_000)
def _http_origin(base: str) -> str | None:
    """ "scheme://host" of an http(s) ``base`` as urljoin rebuilds it (scheme lower-cased),
    else None."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _entry_id(entry: Mapping[str, Any], link: str | None, title: str) -> str:
    """The guid/id; else a hash of link and title that stays put across polls.

    The title is hashed after a FOUND:/withdrawn prefix is removed, so an appeal whose title
    gains "FOUND:" keeps its id and the bot sees it close instead of a brand-new item.
    """
    given = _field_text(entry, "id")
    if given:
        return given
    return f"sha256:{_digest(link, title)}"


def _digest(link: str | None, title: str) -> str:
    return hashlib.sha256(f"{link or ''}\n{title}".encode()).hexdigest()


def _categories(entry: Mapping[str, Any]) -> tuple[str, ...]:
    terms: list[str] = []
    for tag in _field(entry, "tags") or ():
        # split() drops the ends' whitespace as _text's strip() would.
        term = _field(tag, "term")
        term = " ".join(term.split()) if isinstance(term, str) else ""
        if term and term not in terms:
            terms.append(term)
    return tuple(terms)


def _appeal_status(
    title: str, lowered: AbstractSet[str], rules: FeedRules
) -> tuple[AppealStatus, str]:
    """Found beats withdrawn beats missing; a status prefix ("<word>:" or "<word> -") is taken
    off the title. ``lowered`` are the entry's categories in lower case."""
    for status, words, pattern in rules.status_prefixes:
        prefix = pattern.match(title) if pattern else None
        if prefix:
            return status, title[prefix.end() :].strip() or title
        if not lowered.isdisjoint(words):
            return status, title
    return "missing", title


@functools.lru_cache(maxsize=16)
def _prefix_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """A title's leading status prefix made of ``words``: it may chain several of them
    ("Found, safe and well:"), never anything else; None for no words."""
    ordered = sorted(words, key=len, reverse=True)
    if not ordered:
        return None
    word = "(?:" + "|".join(re.escape(w) for w in ordered) + ")"
    return re.compile(f"{word}(?:{_PREFIX_JOINER}{word})*{_PREFIX_SEPARATOR}", re.I)


def _field_status(entry: Mapping[str, Any], rules: FeedRules) -> AppealStatus | None:
    """The status named by STATUS_FIELD: one of the found or withdrawn words, else None."""
    value = " ".join(html_to_text(_text(entry.get(rules.status_field))).split()).lower()
    if value and value in rules.found_words:
        return "found"
    if value and value in rules.withdrawn_words:
        return "withdrawn"
    return None


def _field_region(entry: Mapping[str, Any], rules: FeedRules) -> str | None:
    """The region named by REGION_FIELD, normalised like a region:<name> category."""
    if not rules.region_field:
        return None
    value = " ".join(html_to_text(_text(entry.get(rules.region_field))).split()).lower()
    return value or None


def _field_facts(entry: Mapping[str, Any], rules: FeedRules) -> tuple[tuple[str, str], ...]:
    """The card facts named by AGE_FIELD and its siblings, as plain one-line text (cut long)."""
    facts = []
    for fact, name in rules.fact_fields:
        value = " ".join(html_to_text(_text(entry.get(name))).split())[:MAX_FIELD_CHARS]
        if value:
            facts.append((fact, value))
    return tuple(facts)


def _region(categories: Sequence[str]) -> str | None:
    for category in categories:
        name, sep, value = category.partition(":")
        if sep and name.strip().lower() == "region" and value.strip():
            return " ".join(value.split()).lower()
    return None


def _bodies(
    entry: Mapping[str, Any], media_descriptions: Sequence[str], atom: bool
) -> tuple[list[str], list[ImageTag]]:
    """The plain texts (:func:`plain_text`) of the entry's summary then its contents, and the
    pictures of their HTML (:func:`find_images`) in the same order, both from one read of
    each; minus media:description texts and bodies with neither text nor picture.

    feedparser files ``<media:description>`` (a caption) as a description, so it lands in the
    summary or content; each caption found in the XML takes out one matching value.
    """
    values = [(_field_text(entry, "summary"), _is_html(_field(entry, "summary_detail"), atom))]
    for content in _field(entry, "content") or ():
        if _is_mapping(content):
            values.append((_field_text(content, "value"), _is_html(content, atom)))
    captions = Counter(html_to_text(d) for d in media_descriptions) if media_descriptions else None
    texts: list[str] = []
    pictures: list[ImageTag] = []
    reads: dict[str, tuple[str, tuple[ImageTag, ...]]] = {}  # a CMS may repeat its summary
    images: tuple[ImageTag, ...]
    for value, html in values:
        if not html:
            plain, images = " ".join(value.split()), ()
        elif value in reads:
            plain, images = reads[value]
        else:
            plain, images = reads[value] = read_html(value)
        if not plain and not images:
            continue
        if captions and captions[plain] > 0:
            captions[plain] -= 1
            continue
        texts.append(plain)
        pictures.extend(images)
    return texts, pictures


def _image(
    entry: Mapping[str, Any], base: str, images: Sequence[ImageTag]
) -> tuple[Picture | None, str | None]:
    """The entry's photo (see :mod:`bot.feeds.photos`), its URL made absolute, and its alt;
    ``images`` are the ``<img>`` tags of its HTML bodies, in order."""
    offered: list[Picture] = []
    for link in _field(entry, "links") or ():
        if _field(link, "rel") == "enclosure":
            kind = _field_text(link, "type").lower()
            href = _field_text(link, "href")
            if kind.startswith("image/") or (not kind and _names_image_file(href)):
                size = number(_field(link, "length"))
                offered.append(Picture(href, length=size, source="enclosure"))
    for media in _field(entry, "media_content") or ():
        if _is_mapping(media):
            medium = _field_text(media, "medium").lower()
            kind = _field_text(media, "type").lower()
            if medium == "image" or kind.startswith("image/"):
                offered.append(_media_picture(media, "media"))
    for thumb in _field(entry, "media_thumbnail") or ():
        if _is_mapping(thumb):
            offered.append(_media_picture(thumb, "thumbnail"))
    offered.extend(pictures_from_html(images))
    chosen = choose_photo(offered, resolve=lambda url: _http_url(url, base))
    if chosen is None:
        return None, None
    alt = chosen.alt if chosen.source == "html" else _alt_for(chosen.url, base, images)
    return chosen, alt or None


def _names_image_file(url: str) -> bool:
    """Whether ``url``'s path ends in an image file's extension. False for a URL urllib cannot
    split (a broken IPv6 host): one bad enclosure must never stop a poll."""
    try:
        return urlsplit(url).path.lower().endswith(_IMAGE_EXTENSIONS)
    except ValueError:
        return False


def _media_picture(media: Mapping[str, Any], source: str) -> Picture:
    return Picture(
        _text(media.get("url")),
        width=number(_field(media, "width")),
        height=number(_field(media, "height")),
        length=number(_field(media, "filesize") or _field(media, "fileSize")),
        source=source,
    )


def _alt_for(image_url: str, base: str, images: Sequence[ImageTag]) -> str | None:
    """The alt text of the same picture if the entry's HTML (``images``) shows it too."""
    for image in images:
        if image.src and image.alt and _http_url(image.src, base) == image_url:
            return image.alt
    return None


def _utc(entry: Mapping[str, Any], key: str) -> datetime | None:
    # dict.get, not entry.get: feedparser answers a missing updated_parsed with published_parsed.
    value = _field(entry, key)
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _media_descriptions(body: bytes, count: int) -> list[list[str]]:
    """The ``<media:description>`` texts of each entry, read from the XML itself.

    feedparser only exposes them mixed up with the entry's description. Entries are matched by
    position; if the two parsers disagree on how many there are, no captions are used.
    """
    empty: list[list[str]] = [[] for _ in range(count)]
    if not _mentions(body, _MEDIA_NS):
        return empty  # no Media RSS namespace, no captions: skip parsing the XML a second time
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, ValueError):
        return empty
    found = [
        [
            " ".join(element.itertext()).strip()
            for element in node.iter(f"{{{_MEDIA_NS}}}description")
            if "".join(element.itertext()).strip()
        ]
        for node in root.iter()
        if node.tag in _ENTRY_TAGS
    ]
    return found if len(found) == count else empty
