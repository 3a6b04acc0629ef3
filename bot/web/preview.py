"""How a post will look on its platform, and how long the platform counts it: one implementation,
used by the queue and edit pages as they are rendered and by the edit page's script as you type
(``POST /preview`` returns it as JSON), so the page never counts differently from the server.

Pure: text in, :class:`Preview` out. Links are found as X finds them
(:func:`bot.posts.twitter_text.find_urls`); on X a link shows without its scheme, cut after
:data:`X_DISPLAY_URL_LENGTH` characters with "…" (as X's ``display_url`` does); Facebook shows it
whole. Hashtags (``#`` then letters or digits, not all digits) and, on X, ``@`` mentions show as
links do.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.posts.approval import length_limit, platform_length
from bot.posts.twitter_text import find_urls
from bot.web.words import platform_name

X_DISPLAY_URL_LENGTH = 23
# A hashtag: '#' not after a word character or '&' (an HTML entity), then word characters with
# at least one that is not a digit (X links #2026 as text).
_HASHTAG = re.compile(r"(?<![\w&])#(?=\w*[^\W\d])\w+")
_MENTION = re.compile(r"(?<![\w@])@\w{1,15}")

SegmentKind = Literal["text", "link", "hashtag", "mention"]


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    text: str  # as the platform shows it


@dataclass(frozen=True)
class Preview:
    """A post as its platform shows it: ``count`` is the platform's own length of the text."""

    platform: str
    segments: list[Segment]
    count: int
    limit: int

    @property
    def over(self) -> int:
        """Characters too many (0 when the text fits)."""
        return max(0, self.count - self.limit)

    @property
    def message(self) -> str:
        """The counter's words, the same on the page as rendered and as updated by its script."""
        name = platform_name(self.platform)
        too_many = f" ({self.over} too many)" if self.over else ""
        return f"{self.count} of {self.limit} characters on {name}{too_many}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "over": self.over, "message": self.message}


def clean_text(text: str) -> str:
    """A post's text as it is saved: browser line ends made plain, outer white space dropped.
    Counting and saving both go through here, so they never disagree by a trailing newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def count_for(platform: str, text: str) -> int:
    """The platform's length of ``text`` once cleaned, as the server checks it on saving."""
    return platform_length(platform, clean_text(text))


def display_url(url: str, platform: str) -> str:
    if platform != "x":
        return url
    shown = re.sub(r"^https?://(www\.)?", "", url, flags=re.I)
    return shown if len(shown) <= X_DISPLAY_URL_LENGTH else shown[:X_DISPLAY_URL_LENGTH] + "…"


def segments(text: str, platform: str) -> list[Segment]:
    """``text`` cut into plain text, links, hashtags and (on X) mentions, in order."""
    marks: list[tuple[int, int, SegmentKind]] = [(s, e, "link") for s, e in find_urls(text)]

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in marks)

    patterns: list[tuple[re.Pattern[str], SegmentKind]] = [(_HASHTAG, "hashtag")]
    if platform == "x":
        patterns.append((_MENTION, "mention"))
    for pattern, kind in patterns:
        marks += [(m.start(), m.end(), kind) for m in pattern.finditer(text) if free(*m.span())]
    result: list[Segment] = []
    at = 0
    for start, end, kind in sorted(marks):
        if start > at:
            result.append(Segment("text", text[at:start]))
        piece = text[start:end]
        result.append(Segment(kind, display_url(piece, platform) if kind == "link" else piece))
        at = end
    if at < len(text):
        result.append(Segment("text", text[at:]))
    return result


def preview(text: str, platform: str) -> Preview:
    text = clean_text(text)
    return Preview(
        platform, segments(text, platform), count_for(platform, text), length_limit(platform)
    )
