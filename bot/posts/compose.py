"""Compose the text of a post for each platform from an item and a template. Pure: no I/O, no clock.

A post must always be accepted: X refuses anything over 280 *weighted* characters (see
:mod:`bot.posts.twitter_text`), Facebook anything over 63,206 characters. So the composer shortens,
in this order, and stops as soon as the post fits:

1. the summary, a whole word at a time, ending the kept part with "…";
2. the title, a whole word at a time (keeping at least one word);
3. the hashtags, dropped one at a time from the end, each time retrying step 2;
4. a title whose first word alone cannot fit is cut between characters (never inside an emoji
   sequence, a URL or a hashtag);
5. the title, then the link, dropped altogether; last of all the rendered text is cut.

The link is what a reader needs to help find the person, so it is kept whole whenever anything
else can give way. A URL is never cut: a cut URL would send people to a wrong or dead page.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import accumulate
from itertools import count as count_up
from operator import add
from typing import NamedTuple, Protocol

from bot.core.memo import small_lru_cache
from bot.core.settings import Settings
from bot.core.templates import parse_template, validate_template
from bot.feeds.items import Item
from bot.posts.mastodon_text import countable_length, graphemes
from bot.posts.twitter_text import (
    MAX_WEIGHTED_LENGTH,
    find_emoji,
    find_urls,
    plain_weight,
    weighted_length,
)

FACEBOOK_MAX_LENGTH = 63_206
# Bluesky's app.bsky.feed.post lexicon: text is at most 300 graphemes and 3,000 UTF-8 bytes.
BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000
ALT_TEXT_MAX_LENGTH = 1000
ELLIPSIS = "…"
PLATFORMS = ("x", "facebook", "bluesky", "mastodon")

# Punctuation that would dangle before an ellipsis ("seen on Monday, …"). None of it can end a
# URL or a hashtag, so stripping it never changes one.
_DANGLING = ",;:.!?([{–—…"
_DANGLING_OR_SPACE = _DANGLING + " "
_SENTENCE_END = tuple(".!?…")
_HASHTAG_RE = re.compile(r"[#＃]\w+")
_WORD_RE = re.compile(r"\S+")
_BLANK_LINES = re.compile(r"\n{3,}")
_PRINTABLE_ASCII = re.compile("[ -~]*")


@dataclass(frozen=True)
class PostStyle:
    """How one platform's posts for one kind of item look; the template is checked on creation."""

    template: str
    hashtags: tuple[str, ...]
    urgent_prefix: str = "URGENT: "

    def __post_init__(self) -> None:
        validate_template(self.template)


def style_for(settings: Settings, platform: str, kind: str) -> PostStyle:
    """The style the settings give posts of ``kind`` ("appeal"/"news") on ``platform``.

    Remembered for the last settings asked about (frozen, so their styles cannot change):
    every post of a poll asks, with the same settings, for one of a few styles.
    """
    global _last_styles
    held, styles = _last_styles
    if held is not settings:
        styles = {}
        _last_styles = (settings, styles)
    style = styles.get((platform, kind))
    if style is None:
        style = styles[platform, kind] = _style_for(settings, platform, kind)
    return style


# The settings style_for was last asked about, and the styles it gave for them by (platform,
# kind). Replaced whole, never changed in place but to add a style, so a thread reading it
# sees one settings object's styles.
_last_styles: tuple[Settings | None, dict[tuple[str, str], PostStyle]] = (None, {})


def _style_for(settings: Settings, platform: str, kind: str) -> PostStyle:
    # Plain branches, not a table built on each call.
    if platform == "x":
        template = settings.x_template
    elif platform == "facebook":
        template = settings.facebook_template
    elif platform == "bluesky":
        template = settings.bluesky_template
    elif platform == "mastodon":
        template = settings.mastodon_template
    else:
        raise ValueError(f"unknown platform {platform!r}; choose from {', '.join(PLATFORMS)}")
    if kind == "appeal":
        hashtags = settings.appeal_hashtags
    elif kind == "news":
        hashtags = settings.news_hashtags
    else:
        raise ValueError(f"unknown item kind {kind!r}; choose from appeal, news")
    return post_style(template, tuple(hashtags), settings.urgent_prefix)


@lru_cache(maxsize=64)
def post_style(template: str, hashtags: tuple[str, ...], urgent_prefix: str) -> PostStyle:
    """``PostStyle(template, hashtags, urgent_prefix)``, one shared (frozen) object for each
    (cached: every post of a poll asks for one of the same few, and checking the template
    each time was a fair part of composing a short post)."""
    return PostStyle(template, hashtags, urgent_prefix)


# --- text helpers --------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _one_line(text: str) -> str:
    if _is_tidy_line(text):
        return text
    return " ".join(_nfc(text).split())


def _paragraphs(text: str) -> str:
    """Keep paragraph breaks, collapse every other run of whitespace."""
    if _is_tidy_line(text):
        return text
    lines = [" ".join(line.split()) for line in _nfc(text).replace("\r\n", "\n").split("\n")]
    return _one_blank_line("\n".join(lines)).strip()


@small_lru_cache(maxsize=16, max_size=20_000)
def _is_tidy_line(text: str) -> bool:
    """Whether ``text`` is printable ASCII, its words one space apart with none at either end,
    which _one_line and _paragraphs leave as it is (as a feed's text often is: a check in C
    instead of splitting and joining it again).

    Printable ASCII holds no whitespace but the space. For ASCII, a pattern of its 95
    printable characters tells it faster than str.isprintable() (a summary is asked about for
    each platform).

    Cached, for the last few texts: planning an item asks about its title three times (X,
    Facebook, the photo's alt text), its summary and link twice; the answer depends on the
    text alone.
    """
    return (
        text.isascii()
        and _PRINTABLE_ASCII.fullmatch(text) is not None
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
    )


def _one_blank_line(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", text) if "\n\n\n" in text else text


def _tidy(text: str) -> str:
    """No double spaces, no spaces at line ends, at most one blank line, nothing at either end.

    str.split() splits on exactly the whitespace that \\s matches, so each line is collapsed
    the same way a regular expression would, only faster: composing renders many candidates.
    """
    if "\n" not in text:
        return _nfc(" ".join(text.split()))
    if not _single_spaced_lines(text):
        text = "\n".join([" ".join(line.split()) for line in text.split("\n")])
    return _nfc(_one_blank_line(text).strip())


# ASCII with no whitespace but spaces and line breaks (and the summary's stand-in, _SLOT).
_SPACES_AND_LINES_ONLY = re.compile("[ -~\n\x00]*")


def _single_spaced_lines(text: str) -> bool:
    """Whether each line of ``text`` is already its words one space apart (no run of spaces,
    no space at a line's start or end, no other whitespace), as a template's line breaks
    between tidy fields leave them (every Facebook post): then collapsing each line would give
    it back unchanged. Spaces at the very start or end go with the final strip().
    """
    return (
        text.isascii()
        and _SPACES_AND_LINES_ONLY.fullmatch(text) is not None
        and "  " not in text
        and " \n" not in text
        and "\n " not in text
    )


def _with_ellipsis(kept: str) -> str:
    kept = kept.rstrip().rstrip(_DANGLING_OR_SPACE).rstrip()
    return kept + ELLIPSIS if kept else ""


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return find_urls(text) + [m.span() for m in _HASHTAG_RE.finditer(text)]


def _cut_points(text: str) -> list[int]:
    """Where ``text`` may be cut between characters: grapheme boundaries outside URLs and hashtags.

    A simplified extended-grapheme rule: never before a combining mark, joiner, variation
    selector, skin tone, tag or keycap, never inside an emoji sequence or a regional-indicator
    pair, never between CR and LF.
    """
    blocked: set[int] = set()
    for start, end in find_emoji(text) + _protected_spans(text):
        blocked.update(range(start + 1, end))
    points = []
    for index in range(1, len(text)):
        char, previous = text[index], text[index - 1]
        code = ord(char)
        if (
            index in blocked
            or unicodedata.combining(char)
            or unicodedata.category(char) in ("Mn", "Me", "Mc")
            or code == 0x200D
            or previous == "\u200d"
            or 0xFE00 <= code <= 0xFE0F
            or 0xE0100 <= code <= 0xE01EF
            or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F
            or code == 0x20E3
            or (previous, char) == ("\r", "\n")
        ):
            continue
        points.append(index)
    return points


# --- fitting -------------------------------------------------------------------------------


class _Fields(NamedTuple):
    """A post's fields as composing cuts them (a tuple: composing builds many of them)."""

    prefix: str
    title: str
    summary: str
    link: str
    hashtags: tuple[str, ...]

    def with_summary(self, summary: str) -> _Fields:
        """The same fields with another summary (``_replace(summary=...)``, at half the cost:
        composing asks for one or two a post)."""
        return _Fields(self.prefix, self.title, summary, self.link, self.hashtags)


def _render(parts: Sequence[tuple[str, str | None]], fields: _Fields) -> str:
    """Fill the template, dropping a separator's punctuation when a field beside it is empty.

    "{title}. {summary} {link}" with no summary gives "Title link", not "Title. link" or
    "Title.  link"; a title that already ends a sentence does not get a second full stop.
    """
    return _fill(_steps(tuple(parts)), _values(fields))


def _values(fields: _Fields) -> tuple[str, str, str, str, str]:
    """The text of each field, in _Fields' order (as _steps numbers them): the hashtags joined."""
    prefix, title, summary, link, hashtags = fields
    return (prefix, title, summary, link, " ".join(hashtags))


_Step = tuple[str, str, int | None, bool, bool]


def _fill(steps: tuple[_Step, ...], values: tuple[str, str, str, str, str]) -> str:
    """:func:`_render` of a template's _steps, given its fields' _values."""
    out: list[str] = []
    previous_value: str | None = None  # the field just before this literal, if it is one
    for literal, blank, field, between_fields, dot in steps:
        # (Between two fields, ``field`` is one: it is None only for a literal after the last.)
        if between_fields and (not previous_value or not values[field]):  # type: ignore[index]
            out.append(blank)
        elif dot and previous_value and previous_value.rstrip().endswith(_SENTENCE_END):
            out.append(literal[1:])
        else:
            out.append(literal)
        if field is None:
            previous_value = None
        else:
            previous_value = values[field]
            out.append(previous_value)
    return _tidy("".join(out))


_FIELD_INDEX = {name: index for index, name in enumerate(_Fields._fields)}


@lru_cache(maxsize=64)
def _steps(parts: tuple[tuple[str, str | None], ...]) -> tuple[_Step, ...]:
    """What _render needs to know of each (literal, field) part of a template, worked out
    once a template (cached: every post of a poll uses one of the same few): the literal, its
    whitespace alone, the field's place in _Fields (None for none), whether the literal stands
    between two fields, and whether it starts with a full stop."""
    steps = []
    after_field = False
    for literal, name in parts:
        blank = "".join(c for c in literal if c.isspace())
        field = None if name is None else _FIELD_INDEX[name]
        between_fields = after_field and name is not None and literal != ""
        steps.append((literal, blank, field, between_fields, literal[:1] == "."))
        after_field = name is not None
    return tuple(steps)


class _Layout(NamedTuple):
    """What composing asks of a template: its _steps, and whether the summary stands apart
    (_stands_apart) and how many times it is put (_uses)."""

    steps: tuple[_Step, ...]
    summary_apart: bool
    summary_uses: int


@lru_cache(maxsize=64)
def _layout(parts: tuple[tuple[str, str | None], ...]) -> _Layout:
    """A template's _Layout, worked out once (cached): a fitter asks it once, where the
    fitting asked each of its parts in turn, each time hashing the template's parts (a tuple's
    hash is not kept)."""
    return _Layout(_steps(parts), _stands_apart(parts, "summary"), _uses(parts, "summary"))


class _Fitter:
    """Tries shorter and shorter versions of a post until one fits the platform's limit."""

    def __init__(
        self,
        parts: Sequence[tuple[str, str | None]],
        fields: _Fields,
        measure: Callable[[str], int],
        limit: int,
        plain_weight: Callable[[str], int | None] | None = None,
    ) -> None:
        self.parts = parts
        self.layout = _layout(tuple(parts))
        self.fields = fields
        self.measure = measure
        self.limit = limit
        # What a run of words adds to ``measure`` wherever it stands apart, when that is simple
        # (see twitter_text.plain_weight); None when the measure offers no such reckoning.
        self.plain_weight = plain_weight
        self._weights: dict[str, int] = {}
        self._allowed_urls: set[str] | None = None
        # Both made at once, as every fit starts from them (plain attributes: in Python 3.11 a
        # cached_property takes a lock on its first use, twice a post).
        # The post with a stand-in for the summary (see :func:`_summary_frame`), or None:
        self.frame: str | None = _summary_frame(self.layout, fields)
        # The post with every field whole:
        self.full: str = self.with_summary(fields.summary)

    def with_summary(self, summary: str) -> str:
        """The post with ``summary`` (the first words of the summary, maybe with "…") for the
        summary: the frame with the words put in, or a render where there is no frame."""
        frame = self.frame
        if frame is not None and summary:
            return frame.replace(_SLOT, summary)
        return self.render(self.fields.with_summary(summary))

    def weight(self, text: str) -> int:
        """``measure(text)``, remembered: a search weighs the same candidate more than once."""
        known = self._weights.get(text)
        if known is None:
            known = self._weights[text] = self.measure(text)
        return known

    def fits(self, text: str) -> bool:
        return self.weight(text) <= self.limit

    def acceptable(self, text: str) -> bool:
        """Fits, and every URL in it is one of ours: a cut must never make or break a URL.

        Ours are the URLs of the whole post as rendered, and of each field on its own; the
        fields are only searched when a candidate holds a URL the whole post does not.
        """
        if not self.fits(text):
            return False
        urls = {text[a:b] for a, b in find_urls(text)}
        if not urls:  # as most cuts of a post: nothing to check against the allowed ones
            return True
        if self._allowed_urls is None:
            full = self.full
            self._allowed_urls = {full[a:b] for a, b in find_urls(full)}
        if urls <= self._allowed_urls:
            return True
        fields = self.fields
        for field in (fields.prefix, fields.title, fields.summary, fields.link, *fields.hashtags):
            self._allowed_urls.update(field[a:b] for a, b in find_urls(field))
        return urls <= self._allowed_urls

    def longest(
        self,
        count: int,
        build: Callable[[int], str],
        guess: int | None = None,
        reckon: Callable[[int], int | None] | None = None,
    ) -> str | None:
        """build(k) for the largest k < count that is acceptable, or None.

        Longer k never weighs less, so a search finds where the weight stops fitting: a gallop
        out from ``guess`` when the caller can estimate it (two or three candidates instead of
        a dozen), else a binary search. Stepping down from there covers the rare candidate a
        URL check turns away.

        ``reckon(k)``, when given, must be the exact weight of build(k), worked out without
        building it (None where it cannot say): the search then renders only the candidate it
        keeps. That one is weighed all the same, as a tripwire: should the two differ, the
        search is done again weighing every candidate.
        """
        built: dict[int, str] = {}

        def build_once(k: int) -> str:
            text = built.get(k)
            if text is None:
                text = built[k] = build(k)
            return text

        def fits(k: int) -> bool:
            reckoned = reckon(k) if reckon is not None else None
            if reckoned is None:
                return self.weight(build_once(k)) <= self.limit
            return reckoned <= self.limit

        low = _last_fitting(fits, count, guess)
        for k in range(low, -1, -1):
            text = build_once(k)
            if reckon is not None and reckon(k) not in (None, self.weight(text)):
                return self.longest(count, build, guess)
            if self.acceptable(text):
                return text
        return None

    def render(self, fields: _Fields) -> str:
        return _fill(self.layout.steps, _values(fields))


def _last_fitting(fits: Callable[[int], bool], count: int, guess: int | None) -> int:
    """The largest k in [0, count) with fits(k), or -1; fits turns false once and stays false.

    From a guess it gallops (steps of 1, 1, 2, 4...) until it brackets the answer, then
    bisects: an exact guess settles in two calls, one off by one in three, one off by e in
    about 2·log2(e) + 2. With no guess it is plain bisection from fits(0), which also keeps to
    the first fitting run of k when fits is not monotone (fields glued together by a template
    with no space between them can make a shorter text weigh more).
    """
    if guess is None:
        if count <= 0 or not fits(0):
            return -1
        low, high = 0, count - 1
        while low < high:
            middle = (low + high + 1) // 2
            if fits(middle):
                low = middle
            else:
                high = middle - 1
        return low
    low, high = -1, count  # fits(low) holds (or low is -1); high is the first k known not to
    if count > 0:
        guess = min(max(guess, 0), count - 1)
        if fits(guess):
            low = guess
            for step in _gallop():
                if low + step >= high:
                    break
                if not fits(low + step):
                    high = low + step
                    break
                low += step
        else:
            high = guess
            for step in _gallop():
                if high - step <= low:
                    break
                if fits(high - step):
                    low = high - step
                    break
                high -= step
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low


def _gallop() -> Iterator[int]:
    yield 1
    step = 1
    while True:
        yield step
        step *= 2


class _Ends(Protocol):
    """Where each word of a text ends: a list, or a :class:`_SpacedWordEnds`."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> int: ...


class _SpacedWordEnds:
    """``_word_ends(text)`` of a single-spaced text, each found only when asked for.

    A search for where to cut a summary of hundreds of words asks about two or three, near a
    guess that :meth:`count_within` gives: each is one str.find from a word already found.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.count = text.count(" ") + 1 if text else 0
        self.found: dict[int, int] = {}

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self.count:
            raise IndexError(index)
        if index == self.count - 1:
            return len(self.text)
        if index not in self.found:
            self.found[index] = self._walk_to(index)
        return self.found[index]

    def _walk_to(self, index: int) -> int:
        # Word i ends at the (i+1)th space: step space by space from the nearest word found,
        # or, far from any, find them all at once. Mostly the search asks for the word after
        # the one it asked for last.
        if index - 1 in self.found:
            return self.text.find(" ", self.found[index - 1] + 1)
        nearest = min(self.found, key=lambda known: abs(known - index), default=None)
        if nearest is None or abs(nearest - index) > 8:
            self.found.update(enumerate(_word_ends(self.text)[:-1]))
            return self.found[index]
        position = self.found[nearest]
        for _ in range(index - nearest):
            position = self.text.find(" ", position + 1)
        for _ in range(nearest - index):
            position = self.text.rfind(" ", 0, position)
        return position

    def count_within(self, limit: float) -> int:
        """How many words end at or before ``limit`` (bisect_right of the ends; limit >= 0)."""
        last = int(limit)
        if last >= len(self.text):
            return self.count
        spaces = self.text.count(" ", 0, last + 1)
        if spaces:  # the last of them ends word spaces - 1: the search starts there
            self.found[spaces - 1] = self.text.rfind(" ", 0, last + 1)
        return spaces


def _word_ends(text: str) -> list[int]:
    """Where each word of ``text`` ends."""
    words = text.split()
    if " ".join(words) != text:
        return [match.end() for match in _WORD_RE.finditer(text)]
    # Single-spaced (as every one-line field is): word i ends after the lengths of words 0 to
    # i and the i spaces between them; map() keeps the loop in C.
    return list(map(add, accumulate(map(len, words)), count_up()))


def _fit(fields: _Fields, fitter: _Fitter) -> str:
    """The first of ever-shorter versions of the post that fits (see the module docstring)."""
    full = fitter.full
    if fitter.fits(full):  # its URLs are ours by definition
        return full
    # 1. The summary, a word at a time. A guess only where the summary stands apart
    # (whitespace on both sides): glued to the fields beside it, shorter is not always
    # lighter, and bisection is the safe search.
    summary = fields.summary
    apart = fitter.layout.summary_apart
    plain = fitter.plain_weight(summary) if apart and fitter.plain_weight else None
    if plain is not None and fitter.frame is not None and summary.isascii():
        found = _cut_plain_summary(fitter, full, plain)
    else:
        found = _cut_summary(fitter, full, apart, plain)
    if found is not None:
        return found
    return _fit_without_summary(fields, fitter)


def _cut_words(text: str, ends: _Ends, k: int) -> str:
    """The first k words of ``text`` (``ends`` as _word_ends gives them) with "…"; "" for none."""
    return _with_ellipsis(text[: ends[k - 1]]) if k else ""


def _cut_summary(fitter: _Fitter, full: str, apart: bool, plain: int | None) -> str | None:
    """Step 1 of _fit, any summary: the post with the most words of it (k words kept; 0 drops
    it) that is acceptable, or None. ``apart`` is whether the summary stands apart, ``plain``
    its plain weight (None if it has none)."""
    summary = fitter.fields.summary
    # With a frame it is one line of single-spaced words (see _summary_frame), whose ends are
    # found as the search asks.
    summary_ends = _SpacedWordEnds(summary) if fitter.frame is not None else _word_ends(summary)

    cuts: dict[int, str] = {}

    def summary_cut(k: int) -> str:
        # Each made once: the search reckons with a cut, then builds the post around it.
        cut = cuts.get(k)
        if cut is None:
            cut = cuts[k] = _cut_words(summary, summary_ends, k)
        return cut

    def by_summary_words(k: int) -> str:
        return fitter.with_summary(summary_cut(k))

    guess = _guess_words(fitter, full, summary, summary_ends, plain) if apart else None
    reckon = (
        None if plain is None else _summary_reckoning(summary_cut, summary.isascii(), fitter, plain)
    )
    return fitter.longest(len(summary_ends), by_summary_words, guess, reckon)


def _cut_plain_summary(fitter: _Fitter, full: str, plain: int) -> str | None:
    """:func:`_cut_summary` for the commonest summary, in fewer steps: ASCII, weighing
    ``plain`` by the fitter's plain_weight, with a frame (so it stands apart and is one line
    of single-spaced words). Nearly every appeal's X post is cut here.

    The same search, step for step: the same guess (_guess_words), the same answer for each k
    _last_fitting asks about, the same candidates tried from there down, the kept one weighed
    in full all the same. The answer for k is _summary_reckoning's, written out: the post with
    k words and "…" weighs ``rest + uses * (len(cut) + 1)`` ("…" is one character weighing
    two); with no words left it is rendered and weighed. Should the kept post weigh anything
    else, the reckoning was wrong: the search is done again weighing every candidate, as
    _Fitter.longest does. (Without the layers of memos the general search needs: each answer
    here is a slice and a strip.)
    """
    summary = fitter.fields.summary
    ends = _SpacedWordEnds(summary)
    uses = fitter.layout.summary_uses
    rest = fitter.weight(full) - uses * plain
    room = fitter.limit - rest

    kept = partial(_cut_words, summary, ends)  # the first k words with "…" ("" for none)

    def fits(k: int) -> bool:
        cut = kept(k)
        if cut:
            return uses * (len(cut) + 1) <= room
        return fitter.fits(fitter.with_summary(""))

    count = len(ends)
    guess = _guess_words(fitter, full, summary, ends, plain)
    for k in range(_last_fitting(fits, count, guess), -1, -1):
        cut = kept(k)
        text = fitter.with_summary(cut)
        if cut and rest + uses * (len(cut) + 1) != fitter.weight(text):  # the tripwire
            return fitter.longest(count, lambda k: fitter.with_summary(kept(k)), guess)
        if fitter.acceptable(text):
            return text
    return None


def _fit_without_summary(fields: _Fields, fitter: _Fitter) -> str:
    bare = fields._replace(summary="")

    # 2-3. The title a word at a time (at least one word), then fewer hashtags.
    title_ends = _word_ends(fields.title)
    for count in range(len(fields.hashtags), -1, -1):
        tagged = bare._replace(hashtags=fields.hashtags[:count])
        whole_title = count < len(fields.hashtags)  # with every hashtag, step 1 tried it

        def by_title_words(k: int, tagged: _Fields = tagged) -> str:
            return fitter.render(tagged._replace(title=_cut_words(fields.title, title_ends, k + 1)))

        found = fitter.longest(len(title_ends) - 1 + (1 if whole_title else 0), by_title_words)
        if found is not None:
            return found

    # 4. A first word too long to fit alone: cut it between characters.
    if title_ends:
        first = fields.title[: title_ends[0]]
        points = _cut_points(first)
        for count in range(len(fields.hashtags), -1, -1):
            tagged = bare._replace(hashtags=fields.hashtags[:count])

            def by_characters(k: int, tagged: _Fields = tagged) -> str:
                return fitter.render(tagged._replace(title=_with_ellipsis(first[: points[k]])))

            found = fitter.longest(len(points), by_characters)
            if found is not None:
                return found

    # 5. Nothing of the title fits: drop it, then the link; last, cut the rendered text itself.
    for candidate in (
        bare._replace(title="", hashtags=()),
        bare._replace(title="", hashtags=(), link=""),
    ):
        text = fitter.render(candidate)
        if fitter.acceptable(text):
            return text
    return _hard_cut(fitter.render(_Fields(fields.prefix, "", "", "", ())), fitter)


# Stands for the summary in a post rendered once (_summary_frame). A feed cannot send it (XML
# forbids it); should a field hold it all the same, the frame is not used.
_SLOT = "\x00"


def _summary_frame(layout: _Layout, fields: _Fields) -> str | None:
    """The post rendered once, by the template whose _Layout is ``layout``, with a stand-in for
    the summary, so that each shorter summary is put in with str.replace instead of a render of
    its own; None where that could differ.

    The same as rendering when the summary stands apart (_stands_apart) and is one line of
    single-spaced words, as _fields makes a summary with no line break, and so is each run of
    its first words, "…" or not: a field that is not empty leaves every separator as it was,
    the whitespace around it collapses to the same single space or line break, and neither
    NFC nor anything else in rendering reaches across that whitespace. An empty run changes
    the separators, so it is always rendered.
    """
    summary = fields.summary
    if not summary or "\n" in summary or not layout.summary_apart:
        return None
    prefix, title, _, link, hashtags = fields
    frame = _fill(layout.steps, (prefix, title, _SLOT, link, " ".join(hashtags)))
    return frame if frame.count(_SLOT) == layout.summary_uses else None


@lru_cache(maxsize=64)
def _uses(parts: tuple[tuple[str, str | None], ...], name: str) -> int:
    """How many times the template puts field ``name`` (cached, as _stands_apart)."""
    return sum(1 for _, field_name in parts if field_name == name)


@lru_cache(maxsize=64)
def _stands_apart(parts: tuple[tuple[str, str | None], ...], name: str) -> bool:
    """Whether every use of field ``name`` in the template has whitespace (or an end) on both
    sides, so its words can never join a neighbour's into one word or URL (cached: asked
    twice a post, of the same few templates)."""
    for index, (literal, field_name) in enumerate(parts):
        if field_name != name:
            continue
        after = parts[index + 1][0] if index + 1 < len(parts) else ""
        before_ok = (index == 0 and not literal) or literal[-1:].isspace()
        after_ok = (index + 1 >= len(parts) and not after) or after[:1].isspace()
        if not (before_ok and after_ok):
            return False
    return True


def _summary_reckoning(
    cut: Callable[[int], str], ascii_summary: bool, fitter: _Fitter, whole: int
) -> Callable[[int], int | None]:
    """The weight of the post keeping k words of a summary that stands apart and weighs
    ``whole`` simply (the fitter's plain_weight), reckoned from the whole post's weight without
    rendering; None for k where it cannot be reckoned. ``cut(k)`` is the summary's first k
    words with "…" ("" for none); ``ascii_summary`` whether the summary is ASCII.

    Where the first k words with "…" weigh simply too, each place the template puts the
    summary changes the post's weight by the difference, whitespace stays as it was around
    it, and nothing else changes. Not for k = 0, nor a cut left empty: with no summary the
    template's separators change too.
    """
    uses = fitter.layout.summary_uses
    rest = fitter.weight(fitter.full) - uses * whole
    plain_weight = fitter.plain_weight
    # The first words of an ASCII summary that weighs simply, with "…" (two), weigh simply.
    reckoned: dict[int, int | None] = {}  # the search and its check ask about k twice

    def reckon(k: int) -> int | None:
        if k not in reckoned:
            kept = cut(k)
            if not kept or plain_weight is None:
                weight = None
            else:
                weight = len(kept) + 1 if ascii_summary else plain_weight(kept)
            reckoned[k] = None if weight is None else rest + uses * weight
        return reckoned[k]

    return reckon


def _guess_words(
    fitter: _Fitter, full: str, field: str, ends: _Ends, plain: int | None = None
) -> int | None:
    """How many words of ``field`` should fit, reckoning its weight spread evenly over it.

    ``full`` is the post with the whole field; the rest of it weighs what is left. ``plain``
    is the field's weight if known. Only a guess (a separator or a URL across fields may shift
    it by a word): :func:`_last_fitting` checks it.
    """
    if not len(ends):
        return None
    whole = fitter.weight(field) if plain is None else plain
    room = fitter.limit - (fitter.weight(full) - whole) - fitter.weight(ELLIPSIS)
    if room <= 0:
        return 0
    within = room * len(field) / whole
    if isinstance(ends, _SpacedWordEnds):
        return ends.count_within(within)
    return bisect_right(ends, within)


def _hard_cut(text: str, fitter: _Fitter) -> str:
    """The longest acceptable start of ``text`` (a template whose fixed words alone overflow)."""
    points = _cut_points(text)
    found = fitter.longest(len(points), lambda k: _tidy(_with_ellipsis(text[: points[k]])))
    return found if found is not None else ""


def _fields(item: Item, style: PostStyle, link: str | None, *, paragraphs: bool) -> _Fields:
    urgent = item.kind == "appeal" and item.urgent
    summary = _paragraphs(item.summary) if paragraphs else _one_line(item.summary)
    chosen = link if link is not None else item.link
    return _Fields(  # prefix, title, summary, link, hashtags (by place: half the cost)
        _nfc(style.urgent_prefix) if urgent else "",
        _one_line(item.title),
        summary,
        _one_line(chosen or ""),
        _hashtags(style.hashtags),
    )


@lru_cache(maxsize=64)
def _hashtags(hashtags: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: every post of a poll has one of the same few lists.
    return tuple(_one_line(tag) for tag in hashtags if tag.strip())


def _utf16_length(text: str) -> int:
    # Facebook counts UTF-16 units; that is never fewer than code points, so it is the safe count.
    if text.isascii():  # one unit a character, as nearly every post is: no copy to count
        return len(text)
    return len(text.encode("utf-16-le")) // 2


# --- public --------------------------------------------------------------------------------


def compose_x(item: Item, style: PostStyle, link: str | None = None) -> str:
    """The text of an X post: at most 280 weighted characters, whatever the item holds.

    ``link`` overrides ``item.link`` (the caller may add tracking parameters). Whitespace in
    the title and summary is collapsed to single spaces; the result is NFC-normalised, so what
    is measured is exactly what is sent.
    """
    parts = parse_template(style.template)
    fields = _fields(item, style, link, paragraphs=False)
    fitter = _Fitter(parts, fields, weighted_length, MAX_WEIGHTED_LENGTH, plain_weight)
    return _fit(fields, fitter)


def compose_facebook(item: Item, style: PostStyle, link: str | None = None) -> str:
    """The text of a Facebook post: the full summary, paragraph breaks kept, whitespace tidied.

    Longer than Facebook's 63,206 characters, it is cut like an X post (summary first, at a
    word) so the link survives.
    """
    parts = parse_template(style.template)
    fields = _fields(item, style, link, paragraphs=True)
    fitter = _Fitter(parts, fields, _utf16_length, FACEBOOK_MAX_LENGTH)
    return _fit(fields, fitter)


def alt_text(item: Item) -> str:
    """The alt text of the item's photo, for people using screen readers.

    The feed's own description when it has one; otherwise the title says who is pictured, as
    appeal titles name the person ("Photo of Sam Jones, 15, missing from Manchester"). At most
    1,000 characters, X's limit, cut at a word.
    """
    given = _one_line(item.image_alt) if item.image_alt else ""
    title = _one_line(item.title)
    text = given or (f"Photo of {title}" if title else "Photo")
    if len(text) <= ALT_TEXT_MAX_LENGTH:
        return text
    room = ALT_TEXT_MAX_LENGTH - len(ELLIPSIS)
    space = text.rfind(" ", 0, room + 1)
    if space > 0:
        return _with_ellipsis(text[:space])
    points = [p for p in _cut_points(text) if p <= room]
    return _with_ellipsis(text[: points[-1]]) if points else text[:room] + ELLIPSIS


def fit_around(fill: Callable[[str], str], value: str, platform: str) -> str:
    """``fill(value)`` if that fits ``platform``; else ``value`` cut at a word with "…" (the
    longest that fits), else left out.

    For a text the charity wrote whole around one field, such as the found thank-you's "Update:
    {title} has been found": its own words are kept as written, only the field gives way.
    """
    measure, limit = MEASURES[platform]
    text = fill(value)
    if measure(text) <= limit:
        return text
    ends = _word_ends(value)

    def shortened(k: int) -> str:
        return fill(_with_ellipsis(value[: ends[k]]))

    kept = _last_fitting(lambda k: measure(shortened(k)) <= limit, len(ends), None)
    return shortened(kept) if kept >= 0 else fill("")


# --- Bluesky and Mastodon ------------------------------------------------------------------


def bluesky_length(text: str) -> int:
    """Graphemes, or more than the limit when the text is over Bluesky's 3,000 bytes."""
    if len(text.encode("utf-8")) > BLUESKY_MAX_BYTES:
        return BLUESKY_MAX_GRAPHEMES + 1
    return graphemes(text)


@dataclass(frozen=True)
class MastodonLimits:
    """An instance's text limits (``/api/v2/instance`` ``configuration.statuses``)."""

    max_characters: int = 500
    url_weight: int = 23  # characters_reserved_per_url


MASTODON_LIMITS = MastodonLimits()
# Where a status's first link begins (shorten_for_mastodon keeps it and what follows whole).
_SCHEMED_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def mastodon_length(text: str, limits: MastodonLimits = MASTODON_LIMITS) -> int:
    """A status's length as Mastodon counts it (:mod:`bot.posts.mastodon_text`): graphemes,
    each link with a scheme as ``url_weight``; a full stop or bracket after a link counts."""
    return countable_length(text, limits.url_weight)


MEASURES: dict[str, tuple[Callable[[str], int], int]] = {
    "x": (weighted_length, MAX_WEIGHTED_LENGTH),
    "facebook": (_utf16_length, FACEBOOK_MAX_LENGTH),
    "bluesky": (bluesky_length, BLUESKY_MAX_GRAPHEMES),
    "mastodon": (mastodon_length, MASTODON_LIMITS.max_characters),
}


def compose_bluesky(item: Item, style: PostStyle, link: str | None = None) -> str:
    """The text of a Bluesky post: at most 300 graphemes (and 3,000 bytes), link kept whole."""
    parts = parse_template(style.template)
    fields = _fields(item, style, link, paragraphs=False)
    return _fit(fields, _Fitter(parts, fields, bluesky_length, BLUESKY_MAX_GRAPHEMES))


def compose_mastodon(
    item: Item, style: PostStyle, link: str | None = None, limits: MastodonLimits = MASTODON_LIMITS
) -> str:
    """The text of a Mastodon status, fitted to ``limits`` (Mastodon's defaults: 500
    characters, 23 a URL), paragraph breaks kept."""
    parts = parse_template(style.template)
    fields = _fields(item, style, link, paragraphs=True)

    def measure(text: str) -> int:
        return mastodon_length(text, limits)

    return _fit(fields, _Fitter(parts, fields, measure, limits.max_characters))


def shorten_for_mastodon(text: str, limits: MastodonLimits) -> str:
    """``text`` as composed for Mastodon's default limits, cut to fit an instance that allows
    fewer characters: the words before the first link are cut at a word with "…", then the
    hashtags after it dropped from the end; the link itself is never cut."""
    if mastodon_length(text, limits) <= limits.max_characters:
        return text
    found = _SCHEMED_URL.search(text)
    head, tail = (text[: found.start()], text[found.start() :]) if found else (text, "")
    ends = _word_ends(head)

    def with_head(k: int) -> str:
        return _tidy(_with_ellipsis(head[: ends[k]]) + " " + tail) if k >= 0 else _tidy(tail)

    def fits(candidate: str) -> bool:
        return mastodon_length(candidate, limits) <= limits.max_characters

    kept = _last_fitting(lambda k: fits(with_head(k)), len(ends), None)
    if kept >= 0 or fits(_tidy(tail)):
        return with_head(kept)
    words = _tidy(tail).split(" ")
    while len(words) > 1 and not fits(" ".join(words)):
        words.pop()
    return " ".join(words)


_COMPOSERS: dict[str, Callable[[Item, PostStyle, str | None], str]] = {
    "x": compose_x,
    "facebook": compose_facebook,
    "bluesky": compose_bluesky,
    "mastodon": compose_mastodon,
}


def compose(item: Item, platform: str, style: PostStyle, link: str | None = None) -> str:
    """The post text for ``platform`` (one of :data:`PLATFORMS`)."""
    if platform not in _COMPOSERS:
        raise ValueError(f"unknown platform {platform!r}; choose from {', '.join(PLATFORMS)}")
    return _COMPOSERS[platform](item, style, link)
