"""The reading of feed entries as it was before its fast paths: the oracle they are held to.

A frozen copy of bot/feeds/fetch.py's ``_entry_to_item`` and helpers, with the HTML read by
HTMLParser alone and photos chosen by the plain regex, as they stood at commit f6733b1.
Never "fix" this file to follow the bot: a difference is what the tests exist to find. Helpers
that did not change and have tests of their own (``_http_url``, ``pictures_from_html``,
``strip_boilerplate``...) are the bot's.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.feeds.boilerplate import HIDDEN_CLASS_NAMES, strip_boilerplate
from bot.feeds.fetch import (
    _IMAGE_EXTENSIONS,
    _PREFIX_JOINER,
    _PREFIX_SEPARATOR,
    MAX_FIELD_CHARS,
    FeedRules,
    _http_url,
)
from bot.feeds.items import AppealStatus, Item, Kind
from bot.feeds.photos import (
    _NOT_A_PHOTO,
    _NOT_A_PHOTO_CLASSES,
    MIN_SIDE,
    Picture,
    pictures_from_html,
)
from bot.feeds.text import (
    _BREAKS,
    _HIDDEN,
    _IMAGE_FILES,
    _VOID,
    LAZY_SOURCES,
    LAZY_SRCSETS,
    ImageTag,
)


def number(value: object) -> int | None:
    """bot.feeds.photos.number before its fast path for plain digits."""
    text = str(value).strip().lower().removesuffix("px") if value is not None else ""
    return int(text) if text.isdecimal() and 0 < len(text) < 10 and int(text) > 0 else None


def _boilerplate(attrs: list[tuple[str, str | None]]) -> bool:
    classes = next((v for k, v in attrs if k == "class" and v), "")
    return bool(classes) and not HIDDEN_CLASS_NAMES.isdisjoint(classes.split())


def _pixels(value: str | None) -> int | None:
    digits = (value or "").strip().removesuffix("px")
    return int(digits) if digits.isdecimal() and len(digits) < 7 else None


class _Extractor(HTMLParser):
    """Collects visible text and ``<img>`` tags, skipping hidden elements and comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.images: list[ImageTag] = []
        self._hidden_depth = 0
        # The element (tag name) a CMS boilerplate class hid, and how deep in it we are.
        self._boilerplate_tag: str | None = None
        self._boilerplate_depth = 0
        self._link_to_image = ""  # the href of the <a> we are in, if it names an image file

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._boilerplate_tag is not None:
            if tag == self._boilerplate_tag:
                self._boilerplate_depth += 1
            return
        if tag in _HIDDEN:
            self._hidden_depth += 1
            return
        if _boilerplate(attrs):
            if tag not in _VOID:
                self._boilerplate_tag, self._boilerplate_depth = tag, 1
            return
        if tag in _BREAKS:
            self.parts.append(" ")
        if tag == "a":
            href = (next((v for k, v in attrs if k == "href"), None) or "").strip()
            path = href.split("?", 1)[0].split("#", 1)[0].lower()
            self._link_to_image = href if path.endswith(_IMAGE_FILES) else ""
        if tag == "img" and not self._hidden_depth:
            self._image(dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <img/>, and a self-closed <script/> or <div/> that opens nothing.
        if tag in _HIDDEN or _boilerplate(attrs):
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._boilerplate_tag is not None:
            if tag == self._boilerplate_tag:
                self._boilerplate_depth -= 1
                if not self._boilerplate_depth:
                    self._boilerplate_tag = None
            return
        if tag == "a":
            self._link_to_image = ""
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth and self._boilerplate_tag is None:
            self.parts.append(data)

    def _image(self, attrs: dict[str, str | None]) -> None:
        # A lazy-load attribute names the real picture; src is then a placeholder (a data: URI,
        # a spinner or a 1x1 GIF) whatever it looks like.
        lazy = next((attrs[k] for k in LAZY_SOURCES if (attrs.get(k) or "").strip()), None)
        src = (lazy or attrs.get("src") or "").strip()
        srcset = next((attrs[k] for k in LAZY_SRCSETS if (attrs.get(k) or "").strip()), None)
        srcset = (srcset or attrs.get("srcset") or "").strip()
        if src.startswith("data:"):
            src = ""
        if not src and not srcset:
            return
        alt = attrs.get("alt")
        self.images.append(
            ImageTag(
                src,
                " ".join(alt.split()) if alt is not None else None,
                # Blogger states the full picture's size beside the shown one's.
                width=_pixels(attrs.get("data-original-width") or attrs.get("width")),
                height=_pixels(attrs.get("data-original-height") or attrs.get("height")),
                srcset=srcset,
                classes=tuple((attrs.get("class") or "").split()),
                full_size=self._link_to_image,
            )
        )


def _extract(html: str) -> _Extractor:
    parser = _Extractor()
    with contextlib.suppress(Exception):
        parser.feed(html)
        if parser.rawdata.startswith("<"):
            parser.rawdata = ""
        parser.close()
    return parser


def html_to_text(html: str) -> str:
    if not html:
        return ""
    return " ".join("".join(_extract(html).parts).split())


def plain_text(text: str, html: bool = True) -> str:
    return html_to_text(text) if html else " ".join(text.split())


def find_images(html: str) -> list[ImageTag]:
    if not html:
        return []
    return list(_extract(html).images)


def is_photo(picture: Picture) -> bool:
    """False for what is never an appeal's photo: avatars, pixels, icons, emoji, tiny images."""
    if not picture.url or picture.url.startswith("data:"):
        return False
    if _NOT_A_PHOTO.search(picture.url):
        return False
    if any(c.lower() in _NOT_A_PHOTO_CLASSES or "avatar" in c.lower() for c in picture.classes):
        return False
    return not any(side is not None and side < MIN_SIDE for side in (picture.width, picture.height))


def choose_photo(pictures: Sequence[Picture]) -> Picture | None:
    """The appeal's photo among ``pictures`` (given in order of preference), or None.

    The largest declared area wins; then the largest declared file; then the first offered.
    """
    candidates = [p for p in pictures if is_photo(p)]
    if not candidates:
        return None
    ranked = sorted(
        enumerate(candidates),
        key=lambda pair: (-(pair[1].pixels or 0), -(pair[1].length or 0), pair[0]),
    )
    return ranked[0][1]


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
    title = plain_text(_text(_field(entry, "title")), _is_html(_field(entry, "title_detail"), atom))
    categories = _categories(entry)

    status: AppealStatus | None = None
    urgent = False
    if kind == "appeal":
        status, title = _appeal_status(title, categories, rules)
        if status == "missing" and rules.status_field:
            status = _field_status(entry, rules) or status
        urgent = any(c.lower() in rules.urgent_categories for c in categories)

    link = _http_url(_text(_field(entry, "link")), base)
    if not title and not link:
        return None

    bodies = _bodies(entry, media_descriptions, atom)
    html_bodies = [value for value, html in bodies if html]
    photo, image_alt = _image(entry, base, html_bodies)
    if photo is not None and photo.source in ("media", "thumbnail") and media_descriptions:
        image_alt = html_to_text(media_descriptions[0]) or image_alt
    return Item(
        id=_entry_id(entry, link, title),
        kind=kind,
        title=title,
        summary=strip_boilerplate(plain_text(*bodies[0])) if bodies else "",
        link=link,
        image_url=photo.url if photo else None,
        image_alt=image_alt,
        published_at=_utc(entry, "published_parsed"),
        updated_at=_utc(entry, "updated_parsed"),
        categories=categories,
        status=status,
        urgent=urgent,
        region=_region(categories) or _field_region(entry, rules),
        feed_url=url,
        facts=_field_facts(entry, rules) if kind == "appeal" else (),
    )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _field(mapping: Mapping[str, Any], key: str) -> Any:
    """``mapping.get(key)``, read straight from the dict when it is one (feedparser's are).

    FeedParserDict.get maps old element names to new ones ("guid" to "id", "url" to "href")
    at ten times a dict's cost, a few hundred thousand times in a big feed: only names it
    never maps are read through here (never "url"). For "updated_parsed" the dict's own
    answer is the one wanted: feedparser's get would answer with "published_parsed".
    """
    return dict.get(mapping, key) if isinstance(mapping, dict) else mapping.get(key)


def _is_html(detail: Any, atom: bool) -> bool:
    """Whether a text construct is HTML. Atom says so (``type="text"`` is the default and means
    plain text: "<Sammy>" is a name, not a tag); RSS never does, and its text is HTML in
    practice, so it is read as HTML whatever feedparser guessed."""
    if not atom or not isinstance(detail, Mapping):
        return True
    return _text(_field(detail, "type")).lower() != "text/plain"


def _entry_base(entry: Mapping[str, Any], url: str) -> str:
    """The base URI in force for the entry: its xml:base (as feedparser recorded it, joined
    with any outer ones) against the feed's URL; the feed's URL if that is not http(s)."""
    for key in ("title_detail", "summary_detail"):
        detail = _field(entry, key)
        if isinstance(detail, Mapping) and _text(_field(detail, "base")):
            try:
                base = urljoin(url, _text(_field(detail, "base")))
            except ValueError:
                return url
            return base if urlsplit(base).scheme.lower() in ("http", "https") else url
    return url


def _entry_id(entry: Mapping[str, Any], link: str | None, title: str) -> str:
    """The guid/id; else a hash of link and title that stays put across polls.

    The title is hashed after a FOUND:/withdrawn prefix is removed, so an appeal whose title
    gains "FOUND:" keeps its id and the bot sees it close instead of a brand-new item.
    """
    given = _text(_field(entry, "id"))
    if given:
        return given
    return f"sha256:{_digest(link, title)}"


def _digest(link: str | None, title: str) -> str:
    return hashlib.sha256(f"{link or ''}\n{title}".encode()).hexdigest()


def _categories(entry: Mapping[str, Any]) -> tuple[str, ...]:
    terms: list[str] = []
    for tag in _field(entry, "tags") or ():
        term = " ".join(_text(_field(tag, "term") if isinstance(tag, Mapping) else None).split())
        if term and term not in terms:
            terms.append(term)
    return tuple(terms)


def _appeal_status(
    title: str, categories: Sequence[str], rules: FeedRules
) -> tuple[AppealStatus, str]:
    """Found beats withdrawn beats missing; a status prefix is taken off the title."""
    lowered = {c.lower() for c in categories}
    checks: tuple[tuple[AppealStatus, tuple[str, ...]], ...] = (
        ("found", rules.found_words),
        ("withdrawn", rules.withdrawn_words),
    )
    for status, words in checks:
        stripped = _strip_prefix(title, words)
        if stripped is not None:
            return status, stripped or title
        if lowered.intersection(words):
            return status, title
    return "missing", title


def _strip_prefix(title: str, words: Iterable[str]) -> str | None:
    """The title without a leading "<word>:" or "<word> -"; None when it has no such prefix.

    The prefix may chain several of ``words`` ("Found, safe and well:"), never anything else.
    """
    pattern = _prefix_pattern(tuple(words))
    prefix = pattern.match(title) if pattern else None
    return title[prefix.end() :].strip() if prefix else None


@functools.lru_cache(maxsize=16)
def _prefix_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
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
) -> list[tuple[str, bool]]:
    """The entry's summary then its contents, each with whether it is HTML, minus
    media:description texts.

    feedparser files ``<media:description>`` (a caption) as a description, so it lands in the
    summary or content; each caption found in the XML takes out one matching value.
    """
    values = [(_text(_field(entry, "summary")), _is_html(_field(entry, "summary_detail"), atom))]
    for content in _field(entry, "content") or ():
        if isinstance(content, Mapping):
            values.append((_text(_field(content, "value")), _is_html(content, atom)))
    captions = Counter(html_to_text(d) for d in media_descriptions)
    kept: list[tuple[str, bool]] = []
    for value, html in values:
        plain = plain_text(value, html)
        if not plain and not (html and find_images(value)):
            continue
        if captions[plain] > 0:
            captions[plain] -= 1
            continue
        kept.append((value, html))
    return kept


def _image(
    entry: Mapping[str, Any], base: str, bodies: Sequence[str]
) -> tuple[Picture | None, str | None]:
    """The entry's photo (see :mod:`bot.feeds.photos`), its URL made absolute, and its alt."""
    offered: list[Picture] = []
    for link in _field(entry, "links") or ():
        if isinstance(link, Mapping) and _field(link, "rel") == "enclosure":
            kind = _text(_field(link, "type")).lower()
            href = _text(_field(link, "href"))
            if kind.startswith("image/") or (
                not kind and urlsplit(href).path.lower().endswith(_IMAGE_EXTENSIONS)
            ):
                size = number(_field(link, "length"))
                offered.append(Picture(href, length=size, source="enclosure"))
    for media in _field(entry, "media_content") or ():
        if isinstance(media, Mapping):
            medium = _text(_field(media, "medium")).lower()
            kind = _text(_field(media, "type")).lower()
            if medium == "image" or kind.startswith("image/"):
                offered.append(_media_picture(media, "media"))
    for thumb in _field(entry, "media_thumbnail") or ():
        if isinstance(thumb, Mapping):
            offered.append(_media_picture(thumb, "thumbnail"))
    for body in bodies:
        offered.extend(pictures_from_html(find_images(body)))
    resolved = []
    for picture in offered:
        # (picture._replace: Picture is a NamedTuple since; dataclasses.replace before)
        absolute = _http_url(picture.url, base)
        if absolute:
            resolved.append(picture if absolute == picture.url else picture._replace(url=absolute))
    chosen = choose_photo(resolved)
    if chosen is None:
        return None, None
    alt = chosen.alt if chosen.source == "html" else _alt_for(chosen.url, base, bodies)
    return chosen, alt or None


def _media_picture(media: Mapping[str, Any], source: str) -> Picture:
    return Picture(
        _text(media.get("url")),
        width=number(_field(media, "width")),
        height=number(_field(media, "height")),
        length=number(_field(media, "filesize") or _field(media, "fileSize")),
        source=source,
    )


def _alt_for(image_url: str, base: str, bodies: Sequence[str]) -> str | None:
    """The alt text of the same picture if the entry's HTML shows it too."""
    for body in bodies:
        for image in find_images(body):
            if image.src and _http_url(image.src, base) == image_url and image.alt:
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


def items(
    entries: Sequence[Mapping[str, Any]],
    url: str,
    base_url: str,
    kind: Kind,
    rules: FeedRules,
    media_descriptions: Sequence[Sequence[str]],
    atom: bool,
) -> list[Item]:
    """What parse_feed's loop made of feedparser's ``entries``, one id each."""
    found: list[Item] = []
    seen: dict[str, Item] = {}
    for index, entry in enumerate(entries):
        item = _entry_to_item(entry, url, base_url, kind, rules, media_descriptions[index], atom)
        if item is None:
            continue
        first = seen.get(item.id)
        if first is not None:
            if (first.link, first.title) == (item.link, item.title):
                continue
            item = replace(item, id=f"{item.id}#{_digest(item.link, item.title)[:16]}")
            if item.id in seen:
                continue
        seen[item.id] = item
        found.append(item)
    return found
