"""Which picture of a feed entry is the appeal's photo, chosen as a person would choose it.

An entry offers pictures from several places: an enclosure, ``media:content``,
``media:thumbnail`` and the ``<img>`` tags of its HTML. Some are never the photo: the author's
avatar (WordPress.com puts the gravatar in ``media:content``), a 1x1 tracking pixel
(``pixel.wp.com/b.gif``), spacers, icons, emoji images. The rest are ranked by how big they
say they are (declared width and height, the largest ``srcset`` candidate, ``media:content``
dimensions, an enclosure's length in bytes); a picture that says nothing keeps its place in
the order above. Pure: URLs stay as written, the caller resolves them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from bot.feeds.text import ImageTag

# Smaller than this (in pixels, either side) is an icon, a button or a pixel, never a face.
MIN_SIDE = 100

# Hosts and paths of pictures that are never an appeal's photo: avatars, tracking pixels,
# spacers, emoji and smileys, share buttons and feed-service badges.
_NOT_A_PHOTO = re.compile(
    r"(?:^|[/.])(?:gravatar\.com|pixel\.wp\.com|stats\.wordpress\.com|feeds\.feedburner\.com"
    r"|feedburner\.google\.com|s\.w\.org/images/core/emoji|twemoji|"
    r"blogger\.googleusercontent\.com/tracker|www\.facebook\.com/tr|analytics)"
    r"|/(?:avatars?|emoji|emojis|smilies|smileys|icons?|badges?|share|social|buttons?)/"
    r"|/(?:spacer|blank|pixel|transparent|clear|b|1x1|tracking|beacon)\.(?:gif|png)"
    r"|[?&/](?:avatar|gravatar)",
    re.IGNORECASE,
)
# A word every _NOT_A_PHOTO match contains, in lower case: a lower-cased ASCII URL with none
# of them is spared the case-blind search, which tries each alternative at every position.
_NOT_A_PHOTO_CLUES = ("avatar", "pixel.wp.com", "stats.wordpress.com", "feedburner", "emoji",
                      "googleusercontent.com/tracker", "facebook.com/tr", "analytics",
                      "smilies", "smileys", "icon", "badge", "share", "social", "button",
                      ".gif", ".png")  # fmt: skip
_NOT_A_PHOTO_CLASSES = frozenset(
    {"avatar", "wp-smiley", "emoji", "icon", "gravatar", "tracking-pixel", "share-icon"}
)
_SRCSET_ITEM = re.compile(r"\s*(\S+?)(?:\s+(\d+(?:\.\d+)?)([wx]))?\s*(?:,|$)")


class Picture(NamedTuple):
    """One picture an entry offers. ``width``/``height`` in pixels and ``length`` in bytes,
    None when not declared; ``classes`` of an ``<img>``; ``source`` where it came from
    ("enclosure", "media", "thumbnail" or "html"), for the alt text.

    A NamedTuple, immutable like a frozen dataclass but built in a quarter of the time: an
    entry offers two or three, and a big feed has thousands of entries.
    """

    url: str
    alt: str | None = None
    width: int | None = None
    height: int | None = None
    length: int | None = None
    classes: tuple[str, ...] = ()
    source: str = "html"

    def at(self, url: str) -> Picture:
        """The same picture at ``url`` (made absolute, say); ``_replace`` at a third of its
        cost."""
        return Picture(
            url, self.alt, self.width, self.height, self.length, self.classes, self.source
        )

    @property
    def pixels(self) -> int | None:
        """Declared area; one side known is taken as a 4:3 picture."""
        if self.width and self.height:
            return self.width * self.height
        if self.width:
            return self.width * self.width * 3 // 4
        if self.height:
            return self.height * self.height * 4 // 3
        return None


def is_photo(picture: Picture) -> bool:
    """False for what is never an appeal's photo: avatars, pixels, icons, emoji, tiny images."""
    if not picture.url or picture.url.startswith("data:"):
        return False
    if _may_not_be_a_photo(picture.url) and _NOT_A_PHOTO.search(picture.url):
        return False
    if picture.classes and any(
        c.lower() in _NOT_A_PHOTO_CLASSES or "avatar" in c.lower() for c in picture.classes
    ):
        return False
    width, height = picture.width, picture.height
    return not (
        (width is not None and width < MIN_SIDE) or (height is not None and height < MIN_SIDE)
    )


def _may_not_be_a_photo(url: str) -> bool:
    """False only where ``_NOT_A_PHOTO`` finds nothing in ``url``. Beyond ASCII, case-blind
    matching has its surprises (the kelvin sign is a "k"), and the regex decides."""
    if not url.isascii():
        return True
    return any(map(url.lower().__contains__, _NOT_A_PHOTO_CLUES))


def choose_photo(
    pictures: Sequence[Picture], resolve: Callable[[str], str | None] | None = None
) -> Picture | None:
    """The appeal's photo among ``pictures`` (given in order of preference), or None.

    The largest declared area wins; then the largest declared file; then the first offered.
    ``resolve`` gives the URL a picture is used at (made absolute, say), None for one that
    cannot be used: the photo is then chosen among the pictures at those URLs, and given at
    its own.
    """
    # Ranked first, then the first photo in that order: the same picture as ranking the photos
    # alone (a stable sort keeps the first offered of equals; a URL changes no rank), and the
    # URL and photo tests, the costly part, are spared for pictures ranked below the one chosen.
    ranked = sorted(pictures, key=_rank) if len(pictures) > 1 else pictures
    for picture in ranked:
        if resolve is not None:
            url = resolve(picture.url)
            if url is None:
                continue
            if url != picture.url:
                picture = picture.at(url)
        if is_photo(picture):
            return picture
    return None


def _rank(picture: Picture) -> tuple[int, int]:
    """Sort key: the largest declared area first, then the largest declared file. (Most
    pictures declare no size: they are spared the call to ``pixels``.)"""
    if picture.width or picture.height:
        return -(picture.pixels or 0), -(picture.length or 0)
    return 0, -(picture.length or 0)


def largest_in_srcset(srcset: str) -> tuple[str, int | None] | None:
    """The biggest candidate of a ``srcset`` ("a.jpg 480w, b.jpg 1024w") and its width in
    pixels when given as a ``w`` descriptor; None for an empty or unreadable srcset."""
    best: tuple[float, str, int | None] | None = None
    for match in _SRCSET_ITEM.finditer(srcset):
        url, number, unit = match.groups()
        if not url or url.startswith("data:"):
            continue
        size = float(number) if number else 1.0
        width = int(size) if unit == "w" else None
        # "x" densities and "w" widths never mix in one valid srcset: comparing sizes is fair.
        if best is None or size > best[0]:
            best = (size, url, width)
        if match.end() >= len(srcset):
            break
    return (best[1], best[2]) if best else None


def number(value: object) -> int | None:
    """A declared size as a positive int ("1200", "1200px", 1200), else None."""
    if isinstance(value, str) and value.isdecimal() and len(value) < 10:
        # Most sizes, as feeds write them: nothing to strip (a decimal digit is neither space
        # nor a letter of "px") and nothing to lower-case.
        return int(value) or None
    text = str(value).strip().lower().removesuffix("px") if value is not None else ""
    return int(text) if text.isdecimal() and 0 < len(text) < 10 and int(text) > 0 else None


def pictures_from_html(images: Iterable[ImageTag]) -> list[Picture]:
    """Pictures from ``<img>`` tags: the largest srcset candidate stands in for ``src`` when
    it is wider (or ``src`` is missing), and a link around the tag to an image file comes
    first, as the full-size picture."""
    found = []
    for image in images:
        url, width, height = image.src, image.width, image.height
        best = largest_in_srcset(image.srcset) if image.srcset else None
        if best is not None:
            best_url, best_width = best
            if not url or (best_width and (width is None or best_width > width)):
                if best_width and width and height:
                    height = height * best_width // width  # the same picture, bigger
                url, width = best_url, best_width or width
        if image.full_size and image.full_size != url:
            # The same picture, linked at full size: as big as declared, and offered first.
            found.append(Picture(image.full_size, image.alt, width, height, None, (), "html"))
        if url:
            found.append(Picture(url, image.alt, width, height, None, image.classes, "html"))
    return found
