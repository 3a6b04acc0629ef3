"""Plain text and pictures out of the HTML that feeds carry, with nothing but the stdlib.

Feed titles and summaries are HTML written by a CMS (or by anyone who can edit the charity's site),
and every platform we post to wants plain text. These helpers never raise on broken HTML: a feed
with one bad paragraph must still produce a post, never crash the poll.
"""

from __future__ import annotations

import contextlib
import operator
import re
from html import unescape
from html.parser import HTMLParser
from itertools import compress
from typing import NamedTuple

from bot.core.memo import small_lru_cache
from bot.feeds.boilerplate import HIDDEN_CLASS_NAMES

# Elements whose content is code or a fallback, never words a reader should see in a post.
_HIDDEN = frozenset({"script", "style", "iframe", "noscript", "template", "svg", "math", "object"})
# Elements that end a line or a block: their edges become a space, so words never run together.
_BREAKS = frozenset(
    {
        "br", "p", "li", "div", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "ul", "ol", "dl", "dt", "dd", "table", "section", "article",
        "header", "footer", "figure", "figcaption", "hr", "pre", "address",
    }
)  # fmt: skip


# Where lazy-loading plugins (lazysizes, a3 Lazy Load, WP Rocket, Jetpack, Smush...) keep the
# real picture while ``src`` holds a placeholder: first one given wins.
LAZY_SOURCES = ("data-src", "data-lazy-src", "data-original", "data-orig-file", "data-lazyload",
                "data-large-file", "data-full-url", "data-echo", "data-url")  # fmt: skip
LAZY_SRCSETS = ("data-srcset", "data-lazy-srcset")
_LAZY_NAMES = frozenset(LAZY_SOURCES + LAZY_SRCSETS)


_IMAGE_FILES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic")
# Elements that never have an end tag: hiding one by class must not wait for its end.
_VOID = frozenset({"img", "br", "hr", "input", "meta", "link", "source", "wbr", "area", "col"})


class ImageTag(NamedTuple):
    """One ``<img>`` as written in the HTML: ``src`` unresolved, ``alt`` None when absent.

    ``width``/``height`` are the declared pixel sizes (None when absent or not a number);
    ``srcset`` the raw srcset attribute ("" when absent); ``classes`` the class names. A
    NamedTuple, immutable like a frozen dataclass (parsed documents are cached and shared)
    and built in a quarter of the time.
    """

    src: str
    alt: str | None
    width: int | None = None
    height: int | None = None
    srcset: str = ""
    classes: tuple[str, ...] = ()
    # The href of an <a> around the <img> when it links to an image file: the same picture,
    # full size (Blogger, WordPress "link to media file"). "" when there is none.
    full_size: str = ""


def _boilerplate(attrs: list[tuple[str, str | None]]) -> bool:
    classes = next((v for k, v in attrs if k == "class" and v), "")
    return bool(classes) and not HIDDEN_CLASS_NAMES.isdisjoint(classes.split())


def _pixels(value: str | None) -> int | None:
    digits = (value or "").strip().removesuffix("px")
    return int(digits) if digits.isdecimal() and len(digits) < 7 else None


def _link_to_image(attrs: list[tuple[str, str | None]]) -> str:
    """The href of an ``<a>`` with ``attrs`` if it names an image file, else ""."""
    href = (next((v for k, v in attrs if k == "href"), None) or "").strip()
    path = href.split("?", 1)[0].split("#", 1)[0].lower()
    return href if path.endswith(_IMAGE_FILES) else ""


def _image_tag(attrs: dict[str, str | None], full_size: str) -> ImageTag | None:
    """The visible ``<img>`` with ``attrs``, inside a link to ``full_size`` (or ""); None
    when it names no usable source."""
    # A lazy-load attribute names the real picture; src is then a placeholder (a data: URI,
    # a spinner or a 1x1 GIF) whatever it looks like.
    lazy = srcset = None
    if not _LAZY_NAMES.isdisjoint(attrs):  # most <img> have none: spare the loops
        lazy = next((attrs[k] for k in LAZY_SOURCES if (attrs.get(k) or "").strip()), None)
        srcset = next((attrs[k] for k in LAZY_SRCSETS if (attrs.get(k) or "").strip()), None)
    src = (lazy or attrs.get("src") or "").strip()
    srcset = (srcset or attrs.get("srcset") or "").strip()
    if src.startswith("data:"):
        src = ""
    if not src and not srcset:
        return None
    alt = attrs.get("alt")
    # Blogger states the full picture's size beside the shown one's.
    width = attrs.get("data-original-width") or attrs.get("width")
    height = attrs.get("data-original-height") or attrs.get("height")
    classes = attrs.get("class")
    return ImageTag(
        src,
        " ".join(alt.split()) if alt is not None else None,
        _pixels(width) if width else None,
        _pixels(height) if height else None,
        srcset,
        tuple(classes.split()) if classes else (),
        full_size,
    )


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
            self._link_to_image = _link_to_image(attrs)
        if tag == "img" and not self._hidden_depth:
            image = _image_tag(dict(attrs), self._link_to_image)
            if image is not None:
                self.images.append(image)

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


# The plain HTML a CMS writes (tags with double- or single-quoted attributes, text between),
# one token at a time. A document made only of these is read here with one regular expression
# per token, calling the parser's own handlers exactly as HTMLParser would; anything else
# (comments, declarations, script or style, unquoted or oddly spaced attributes, a "<" that
# opens no tag, HTML cut off inside a tag) goes through HTMLParser itself.
_SPACE = r"[ \t\n\r\f]"
_NAME = r"[a-zA-Z][a-zA-Z0-9]*"
_VALUE = r"""(?:"([^"<>]*)"|'([^'<>]*)')"""
_ATTRIBUTE_NAME = r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)"
_ATTRIBUTE = rf"{_SPACE}+{_ATTRIBUTE_NAME}(?:{_SPACE}*={_SPACE}*{_VALUE})?"
_SIMPLE_TOKEN = re.compile(
    rf"(?P<text>[^<]+)"
    rf"|<(?P<start>{_NAME})(?P<attributes>(?:{_ATTRIBUTE})*){_SPACE}*(?P<closed>/?)>"
    rf"|</(?P<end>{_NAME}){_SPACE}*>"
)
# An attribute's name, "=" if it has a value, and the value in double or single quotes: a
# findall gives "" for a group that took no part, so "=" tells a missing value from "".
_SIMPLE_ATTRIBUTE = re.compile(rf"{_SPACE}+{_ATTRIBUTE_NAME}(?:{_SPACE}*(=){_SPACE}*{_VALUE})?")
_TEXT, _START, _ATTRIBUTES, _CLOSED, _END = (
    _SIMPLE_TOKEN.groupindex[name] for name in ("text", "start", "attributes", "closed", "end")
)
# Elements whose content HTMLParser reads as raw text: never on the simple path.
_RAW_TEXT = frozenset({"script", "style"})


def _extract_simple(html: str, parser: _Extractor) -> bool:
    """Feed ``html`` to ``parser``'s handlers as HTMLParser (convert_charrefs=True) would, and
    True; False as soon as it meets what is not a simple token (``parser`` is then half fed)."""
    position = 0
    for token in _SIMPLE_TOKEN.finditer(html):
        if token.start() != position:
            return False
        position = token.end()
        kind = token.lastindex  # the last group a token closes tells its kind
        if kind == _TEXT:
            parser.handle_data(unescape(token[_TEXT]))
            continue
        name = token[_START if kind == _CLOSED else _END].lower()
        if name in _RAW_TEXT:
            return False
        _feed_tag(token, name, parser)
    return position == len(html)


def _feed_tag(token: re.Match[str], name: str, parser: _Extractor) -> None:
    """Call ``parser``'s handler for the simple tag ``token`` (named ``name``, lower case)."""
    if token.lastindex == _END:
        parser.handle_endtag(name)
    elif token[_CLOSED]:
        parser.handle_startendtag(name, _attributes(token[_ATTRIBUTES]))
    else:
        parser.handle_starttag(name, _attributes(token[_ATTRIBUTES]))


def _unescape(text: str) -> str:
    """``html.unescape(text)``. When every "&" in it begins "&amp;" (the commonest case by far)
    that is each "&amp;" as "&", which str.replace does at a fraction of the cost: unescape's
    regular expression reads "&amp;" whole at each "&", and nothing else in the text."""
    if text.count("&") == text.count("&amp;"):
        return text.replace("&amp;", "&")
    return unescape(text)


def _attributes(attributes: str) -> list[tuple[str, str | None]]:
    """A simple start tag's ``attributes`` (as written) as HTMLParser gives them: names lower
    case, values unescaped (None for an attribute without a value)."""
    if not attributes:
        return []
    found: list[tuple[str, str | None]] = []
    for name, equals, double, single in _SIMPLE_ATTRIBUTE.findall(attributes):
        value = (double or single) if equals else None
        found.append((name.lower(), _unescape(value) if value and "&" in value else value))
    return found


def _attribute_map(attributes: str) -> dict[str, str | None]:
    """``dict(_attributes(attributes))``, built at once: a name given twice keeps its last
    value, as in that dict."""
    found: dict[str, str | None] = {}
    for name, equals, double, single in _SIMPLE_ATTRIBUTE.findall(attributes):
        value = (double or single) if equals else None
        found[name.lower()] = _unescape(value) if value and "&" in value else value
    return found


# A document of simple tokens only, with no element whose content is hidden and no class
# attribute (so no CMS boilerplate), never changes the extractor's state: its text is each text
# token unescaped, with a space for each break tag, and only <a> and <img> tags bear on its
# pictures. Such a document (most summaries) is read with a few whole-string operations
# instead of a handler call per token. _PLAIN_TAG is a simple tag with no class attribute:
# splitting a document by it leaves a "<" in its text only where a "<" opens no such tag. A
# class attribute is spelt in ASCII letters, the only ones str.lower turns into "class". Its
# groups: "/" for an end tag, the name, and a start tag's attributes as _SIMPLE_TOKEN's
# "attributes" group reads them.
_PLAIN_TAG = re.compile(
    rf"<(/)?({_NAME})(?(1){_SPACE}*|"
    rf"""((?:{_SPACE}+(?![cC][lL][aA][sS][sS](?![-a-zA-Z0-9_:.]))[a-zA-Z_:][-a-zA-Z0-9_:.]*"""
    rf"""(?:{_SPACE}*={_SPACE}*(?:"[^"<>]*"|'[^'<>]*'))?)*){_SPACE}*/?)>"""
)
# Printable ASCII: of the whitespace characters, the space alone.
_PRINTABLE_ASCII = re.compile("[ -~]*")
# A break tag's name gives the space it leaves; any other tag leaves nothing.
_GAP = {name: " " for name in _BREAKS}
# The tags that bear on a plain document's pictures: links (to the full size) and images.
_PICTURE_TAGS = frozenset({"a", "img"})


def _read_plain_document(html: str) -> tuple[str, tuple[ImageTag, ...]] | None:
    """What :func:`read_html` gives for ``html`` by the extractor, or None when ``html`` is not
    a plain document (the extractor must then read it token by token)."""
    pieces = _PLAIN_TAG.split(html)  # text, "/" or None, name, attributes or None, text...
    texts = pieces[::4]
    names = pieces[2::4]
    if not "".join(names).islower():  # most CMSs write their tags in lower case already
        names = list(map(str.lower, names))
    if "<" in "".join(texts) or not _HIDDEN.isdisjoint(names):
        return None
    if "&" in html:
        # One text at a time, as HTMLParser does: "&am<b>p;" is no ampersand.
        texts = [_unescape(words) if "&" in words else words for words in texts]
    gaps = [_GAP.get(name, "") for name in names]
    gaps.append("")
    text = "".join(map(operator.add, texts, gaps))
    images: list[ImageTag] = []
    if "img" in names:
        link = ""  # the full size an enclosing <a> links to, if any
        # Only <a> and <img> tags, picked out without a Python step for each of the others
        # (by their places: zip(..., strict=True) costs more to set up than the loop).
        for index in compress(range(len(names)), map(_PICTURE_TAGS.__contains__, names)):
            name, attributes = names[index], pieces[4 * index + 3]
            if name == "a":
                link = "" if attributes is None else _link_to_image(_attributes(attributes))
            elif attributes is not None:
                image = _image_tag(_attribute_map(attributes), link)
                if image is not None:
                    images.append(image)
    return _collapsed(text), tuple(images)


def _collapsed(text: str) -> str:
    """``" ".join(text.split())``: one space between words, none at the ends.

    A printable text has no whitespace but the space (every other whitespace character, "\t"
    to U+3000, is unprintable), so splitting it at its double spaces and trimming the pieces
    leaves the same words, single-spaced: a few pieces where split() makes an object of every
    word. (A summary's paragraphs, joined, have a double space or two between them.)
    """
    # The pattern answers for printable ASCII (most summaries) in half isprintable()'s time.
    if _PRINTABLE_ASCII.fullmatch(text) is not None or text.isprintable():
        return " ".join(filter(None, map(str.strip, text.split("  "))))
    return " ".join(text.split())


def _extract(html: str) -> _Extractor:
    with contextlib.suppress(Exception):
        parser = _Extractor()
        if _extract_simple(html, parser):
            return parser
    parser = _Extractor()
    # Broken HTML keeps whatever was read before the parser gave up.
    with contextlib.suppress(Exception):
        parser.feed(html)
        # HTML cut off inside a tag or a comment (a CMS excerpt cut at N characters) is left
        # unparsed, and close() would hand it on as text: raw markup and half a URL in a post.
        if parser.rawdata.startswith("<"):
            parser.rawdata = ""
        parser.close()
    return parser


def read_html(html: str) -> tuple[str, tuple[ImageTag, ...]]:
    """``html``'s text (:func:`html_to_text`) and images (:func:`find_images`) from one read.

    Not cached (those two are): a caller that reads each body once, and keeps both answers,
    is spared the cache's hashing and bookkeeping.
    """
    if "<" not in html and "&" not in html:
        return " ".join(html.split()), ()  # plain text already (most titles): nothing to parse
    # A handler that raises must end the same way as in HTMLParser: the full path below keeps
    # what was read before it. (try, not contextlib.suppress: this runs for every summary,
    # and suppress costs a third as much.)
    try:
        read = _read_plain_document(html)
    except Exception:
        read = None
    if read is not None:
        return read
    parser = _extract(html)
    return _collapsed("".join(parser.parts)), tuple(parser.images)


# A caption or field is often read more than once for one entry.
_cached_read = small_lru_cache(maxsize=32, max_size=64_000)(read_html)


def html_to_text(html: str) -> str:
    """One paragraph of plain text: tags stripped, entities decoded, whitespace collapsed.

    The content of script, style, iframe and noscript elements is dropped, not shown as text,
    so hostile markup in a feed can never end up in a post. Breaks (``<br>``, ``<p>``,
    ``<li>``...) become single spaces: posts are one paragraph.
    """
    if "<" not in html and "&" not in html:
        # Plain text already (most titles): nothing to parse, and nothing worth caching.
        # str.split() also splits on no-break spaces, so &nbsp; collapses like any space.
        return " ".join(html.split())
    return _cached_read(html)[0]


def plain_text(text: str, html: bool = True) -> str:
    """One paragraph of ``text``: HTML as :func:`html_to_text`, or, when the feed declares it
    plain text (Atom ``type="text"``), the same characters with only whitespace collapsed,
    so "Sam <Sammy> Jones" and "<MP-2025-0042>" survive."""
    return html_to_text(text) if html else " ".join(text.split())


def find_images(html: str) -> list[ImageTag]:
    """Every visible ``<img>`` with a usable source, in document order (none inside noscript)."""
    if not html:
        return []
    return list(_cached_read(html)[1])


def first_image_src(html: str) -> str | None:
    """The ``src`` of the first visible ``<img>``, as written (the caller makes it absolute)."""
    images = find_images(html)
    return images[0].src if images else None
