"""What content-management systems add to feed text that is not the appeal: one table, per CMS.

WordPress ends an excerpt with "[…]" and "The post X appeared first on Y.", Joomla with
"Read more: X", Drupal with "Read more about X", Medium with "was originally published in…",
and sharing plugins add "Share this:" rows. A post that carries them reads like spam and wastes
X's 280 characters. To support one more CMS, add its rows to :data:`TRAILING` (text at the end of a
summary, after the HTML is gone) or :data:`HIDDEN_CLASSES` (HTML blocks dropped whole, by class);
tests/feeds/test_boilerplate.py has a case per CMS.

Only the *end* of the text is trimmed (these phrases never open an appeal), and a rule never
removes everything: an entry that is nothing but "Read more" keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ELLIPSIS = r"(?:\.\.\.|…|&hellip;)"
_SERVICES = "Facebook|Twitter|X|Email|WhatsApp|LinkedIn|Pinterest|Print|Reddit|Tumblr"
_ARROW = r"(?:\s*(?:→|»|›|>>|&rarr;|&raquo;|\.\.\.|…))?"


@dataclass(frozen=True)
class Trailer:
    """A phrase a CMS appends: ``pattern`` (case-insensitive) must match up to the text's end."""

    cms: str
    pattern: str


# Ordered: each is removed from the end while any matches, so several can stack up
# ("… [&hellip;] The post X appeared first on Y.").
TRAILING: tuple[Trailer, ...] = (
    # WordPress core (wp_trim_excerpt) and themes; Yoast SEO's RSS footer.
    Trailer("WordPress", r"The post .{1,300}? appeared first on .{1,200}?\.?"),
    Trailer("WordPress", r"Continue reading(?: [\"“‘]?.{0,200}?[\"”’]?)?" + _ARROW),
    Trailer("WordPress", r"\[\s*(?:" + _ELLIPSIS + r"|\.\.\.)\s*\]"),
    Trailer("WordPress", r"(?:Share this|Like this)\s*:.{0,300}?(?:Loading\.\.\.)?"),
    Trailer("WordPress", r"Like Loading\.\.\."),
    # Joomla ("Read more: <title>") and generic "Read more" links (Squarespace, Wix, Ghost).
    Trailer("Joomla", r"Read more\s*:.{0,200}"),
    Trailer("Drupal", r"Read more about .{1,200}"),
    Trailer("Drupal", r"(?:Add new comment|Log in or register to post comments)"),
    Trailer("Blogger", r"\[?Read more(?: of this post)?\s*\.{0,3}\]?" + _ARROW),
    Trailer("Squarespace", r"Read More" + _ARROW),
    Trailer("Wix", r"(?:Read (?:the )?full (?:post|article|story)|Continue Reading)" + _ARROW),
    # Medium: "<title> was originally published in <publication> on Medium, where people…".
    Trailer(
        "Medium",
        r"(?<=[.!?]\s)[^.!?]{1,200}?\swas originally published in .{1,200}? on Medium,.{0,300}",
    ),
    # AddToAny and ShareThis button rows, left as words once their icons are gone.
    Trailer("sharing", r"(?:Share|Share on)\s*:?\s*(?:(?:" + _SERVICES + r")\s*[,|·]?\s*){2,}"),
)

# HTML classes whose whole element is boilerplate: (cms, class name).
HIDDEN_CLASSES: tuple[tuple[str, str], ...] = (
    ("WordPress", "sharedaddy"),  # Jetpack sharing buttons
    ("WordPress", "jp-relatedposts"),
    ("WordPress", "addtoany_share_save_container"),
    ("WordPress", "more-link"),
    ("WordPress", "yarpp-related-rss"),
    ("Blogger", "blogger-post-footer"),
    ("FeedBurner", "feedflare"),
    ("Joomla", "readmore"),
    ("Drupal", "links"),
    ("Drupal", "node-readmore"),
    ("Squarespace", "sqs-block-button"),
)
HIDDEN_CLASS_NAMES = frozenset(name for _, name in HIDDEN_CLASSES)

# The longest text a trailer can span: only the end of a summary is searched, so a long
# summary costs no more than a short one.
_TAIL = 800
# A word (or bracket) every trailer has, as written in its pattern: a cheap test that spares
# most texts the search. The fewer the faster: "Continue reading" has "read", "The post ...
# appeared" has "post", and both of Drupal's comment links have "comment".
_CLUE_WORDS = ("read", "post", "[", "share", "like", "comment", "medium")
_CLUE = re.compile("|".join(map(re.escape, _CLUE_WORDS)), re.IGNORECASE)


def _has_clue(tail: str) -> bool:
    """``_CLUE.search(tail)``: for ASCII text (almost every summary) the same answer from
    substring tests, several times faster than a case-blind search that tries every position;
    beyond ASCII, case folding has its surprises ("K", the kelvin sign), and the regex decides."""
    if tail.isascii():
        lowered = tail.lower()
        # Found where rfind gives a place: the same answer as "in", and CPython's backward
        # search runs through English text twice as fast as its forward one for these words.
        # (A summary has none of them, so all are looked for whatever the order.)
        return max(map(lowered.rfind, _CLUE_WORDS)) != -1
    return _CLUE.search(tail) is not None


# Greedy ``.*`` first: the match found is the trailer that starts last, so "The post office…"
# earlier in an appeal is never taken for WordPress's "The post X appeared first on Y".
_TRAILING_RE = re.compile(
    r"(?P<keep>.*)(?<!\w)(?:" + "|".join(f"(?:{t.pattern})" for t in TRAILING) + r")\s*$",
    re.IGNORECASE | re.DOTALL,
)


def strip_boilerplate(text: str) -> str:
    """``text`` (one paragraph of plain text) without the CMS phrases at its end.

    A bare trailing "…" of an excerpt stays: it tells the reader the text goes on.
    """
    current = text.strip()
    if not _has_clue(current[max(0, len(current) - _TAIL) :]):
        return current  # most summaries: no word any trailer needs, no regex backtracking
    for _ in range(len(TRAILING) + 1):  # bounded: each round removes one phrase
        start = max(0, len(current) - _TAIL)
        match = _TRAILING_RE.match(current, start)
        if match is None:
            break
        kept = current[: match.end("keep")].rstrip(" \t|·-–—:")
        if not kept:
            break  # the entry is nothing but the phrase: keep it rather than post nothing
        current = kept
    return current
