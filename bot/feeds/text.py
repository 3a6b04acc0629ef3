"""Plain text and pictures out of the HTML that feeds carry, with nothing but the stdlib.

Feed titles and summaries are HTML written by a CMS (or by anyone who can edit the charity's site),
and every platform we post to wants plain text. These helpers never raise on broken HTML: a feed
with one bad paragraph must still produce a post, never crash the poll.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from html.parser import HTMLParser

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


@dataclass(frozen=True)
class ImageTag:
    """One ``<img>`` as written in the HTML: ``src`` unresolved, ``alt`` None when absent."""

    src: str
    alt: str | None


class _Extractor(HTMLParser):
    """Collects visible text and ``<img>`` tags, skipping hidden elements and comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.images: list[ImageTag] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden_depth += 1
            return
        if tag in _BREAKS:
            self.parts.append(" ")
        if tag == "img" and not self._hidden_depth:
            self._image(dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <img/>, and a self-closed <script/> that opens nothing.
        if tag in _HIDDEN:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)

    def _image(self, attrs: dict[str, str | None]) -> None:
        src = (attrs.get("src") or "").strip()
        if not src or src.startswith("data:"):
            # Lazy-loading themes put a placeholder in src and the real picture in data-src.
            src = (attrs.get("data-src") or "").strip()
        if src and not src.startswith("data:"):
            alt = attrs.get("alt")
            self.images.append(ImageTag(src, " ".join(alt.split()) if alt is not None else None))


def _extract(html: str) -> _Extractor:
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


@functools.lru_cache(maxsize=32)
def _parsed(html: str) -> tuple[str, tuple[ImageTag, ...]]:
    """Text and images of ``html``, parsed once: parsing a feed asks for both, often twice."""
    if "<" not in html and "&" not in html:
        return " ".join(html.split()), ()  # plain text already (most titles): nothing to parse
    parser = _extract(html)
    return " ".join("".join(parser.parts).split()), tuple(parser.images)


def html_to_text(html: str) -> str:
    """One paragraph of plain text: tags stripped, entities decoded, whitespace collapsed.

    The content of script, style, iframe and noscript elements is dropped, not shown as text,
    so hostile markup in a feed can never end up in a post. Breaks (``<br>``, ``<p>``,
    ``<li>``...) become single spaces: posts are one paragraph.
    """
    if not html:
        return ""
    # str.split() also splits on no-break spaces, so &nbsp; collapses like any space.
    return _parsed(html)[0]


def find_images(html: str) -> list[ImageTag]:
    """Every visible ``<img>`` with a usable source, in document order (none inside noscript)."""
    if not html:
        return []
    return list(_parsed(html)[1])


def first_image_src(html: str) -> str | None:
    """The ``src`` of the first visible ``<img>``, as written (the caller makes it absolute)."""
    images = find_images(html)
    return images[0].src if images else None
