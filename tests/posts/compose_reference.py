"""The composer as it was before its fast paths (bot.posts.compose), kept as the tests' oracle.

Every candidate post is rendered whole and weighed with the count below, a frozen copy of
bot.posts.twitter_text as it was (no caches, the flat TLD lists): slow, and simple enough to
trust. The composer and the planner must give exactly its text on any input
(tests/posts/test_compose_reference.py).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any, NamedTuple

import regex

from bot.core.settings import Settings
from bot.core.templates import parse_template
from bot.feeds.items import Item
from bot.posts.compose import PostStyle
from bot.posts.mastodon_text import countable_length
from bot.posts.regions import region_hashtags
from bot.posts.tracking import tracked_link

# twitter-text-parser's own patterns, through the module that loads it without pkg_resources.
from bot.posts.twitter_text import (
    _ASCII_DOMAIN,
    _CCTLD,
    _CONFIG,
    _EXTRACT_URL,
    _GTLD,
    _INVALID_BEFORE_BARE,
    _LISTED_EMOJI,
    _PUNYCODE,
    _TCO_URL,
    _without_split_sequences,
)

# --- X's weighted length, as bot.posts.twitter_text counted it ------------------------------

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
_DEFAULTS = _CONFIG["defaults"]
_SCALE: int = _DEFAULTS["scale"]
_DEFAULT_WEIGHT: int = _DEFAULTS["default_weight"]
_RANGES = tuple((r["start"], r["end"], r["weight"]) for r in _DEFAULTS["ranges"])
_DOT_LETTER = re.compile(r"\.[^\W\d_]")
_NON_SPACE = re.compile(r"\S*")
_DOT_TLD = re.compile(
    r"\.(?:" + "|".join(p.pattern for p in (_GTLD, _CCTLD, _PUNYCODE)) + ")", _EXTRACT_URL.flags
)
_LABEL_DOTS = re.compile("[.\u3002\uff0e\uff61]")
_TEXT_SYMBOLS = frozenset({"\u00a9", "\u00ae"})
_PLAIN = re.compile(
    "[\u0000-\u00a8\u00aa-\u00ad\u00af-\u10ff\u2000-\u200d\u2010-\u201f\u2026\u2032-\u2037]*"
)


def _extract_urls(text: str) -> list[dict[str, Any]]:
    if "." not in text or not _DOT_TLD.search(text):
        return []
    urls: list[dict[str, Any]] = []
    for match in _EXTRACT_URL.finditer(text):
        _, before, url, protocol, domain, _, path, _ = match.groups()
        end = match.end()
        start = end - len(url)
        if not _is_valid_url(url, protocol or "https://", domain):
            continue
        if protocol is None:
            if _INVALID_BEFORE_BARE.match(before):
                continue
            last: dict[str, Any] | None = None
            for ascii_match in _ASCII_DOMAIN.finditer(domain):
                last = {
                    "url": ascii_match.group(0),
                    "indices": [start + ascii_match.start(), start + ascii_match.end()],
                }
                urls.append(last)
            if last is None:
                continue
            if path:
                last["url"] = url.replace(domain, last["url"])
                last["indices"][1] = end
        else:
            tco = _TCO_URL.search(url)
            if tco:
                if tco.group(1) and len(tco.group(1)) > 40:
                    continue
                url = tco.group(0)
                end = start + len(url)
            urls.append({"url": url, "indices": [start, end]})
    return urls


def _punycoded(domain: str) -> str:
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in _LABEL_DOTS.split(domain)
    )


def _is_valid_url(url: str, protocol: str, domain: str) -> bool:
    # twitter-text's idna.toAscii, as X counts (added to the count this copy froze, which
    # took a host with a label over 63 characters for a link: posts over 280 went out).
    if domain.startswith("xn--") and not _ASCII_DOMAIN.search(domain):
        return False
    try:
        if not all(1 <= len(_punycoded(label)) <= 63 for label in domain.split(".")):
            return False
        ascii_domain = _punycoded(domain)
    except UnicodeError:
        return False
    return len(protocol) + len(url) + len(ascii_domain) - len(domain) <= 4096


def _non_space_end(text: str, start: int) -> int:
    match = _NON_SPACE.match(text, start)
    return match.end() if match else start


def _urls(text: str) -> list[tuple[int, int, int]]:
    found = []
    backwards = text[::-1]
    word_end = 0
    for dot in _DOT_LETTER.finditer(text):
        if dot.start() < word_end:
            continue
        word_start = len(text) - _non_space_end(backwards, len(text) - dot.start())
        word_end = _non_space_end(text, dot.start())
        start = max(0, word_start - 1)
        for url in _extract_urls(text[start : word_end + 1]):
            first, last = url["indices"]
            found.append((start + first, start + last, len(url["url"])))
    return found


def find_urls(text: str) -> list[tuple[int, int]]:
    return [(start, end) for start, end, _ in _urls(text)]


# The listed sequences the official twitter-text takes for one emoji (added to the count this
# copy froze, which took every listed one for an emoji: posts over 280 went out).
_OFFICIAL_EMOJI = re.compile(_without_split_sequences(_LISTED_EMOJI), _LISTED_EMOJI.flags)


def find_emoji(text: str) -> list[tuple[int, int]]:
    if text.isascii():
        return []
    return [  # twitter-text's extract_emojis_with_indices, spans only
        match.span()
        for match in _OFFICIAL_EMOJI.finditer(text)
        if match.group() not in _TEXT_SYMBOLS
    ]


def _weight(char: str) -> int:
    code = ord(char)
    for first, last, weight in _RANGES:
        if first <= code <= last:
            return weight
    return _DEFAULT_WEIGHT


def weighted_length(text: str) -> int:
    if text.isascii() or (_PLAIN.fullmatch(text) and unicodedata.is_normalized("NFC", text)):
        url_extra = sum(URL_WEIGHT - (end - start) for start, end, _ in _urls(text))
        return len(text) + text.count("\u2026") + url_extra
    text = unicodedata.normalize("NFC", text)
    urls = {start: length for start, _, length in _urls(text)}
    emoji = dict(find_emoji(text))
    total = 0
    index = 0
    while index < len(text):
        if index in urls:
            total += URL_WEIGHT * _SCALE
            index += urls[index]
        elif index in emoji:
            total += _DEFAULT_WEIGHT
            index = emoji[index]
        else:
            total += _weight(text[index])
            index += 1
    return total // _SCALE


# --- composing, as bot.posts.compose did it ---------------------------------------------------

FACEBOOK_MAX_LENGTH = 63_206
BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000
ALT_TEXT_MAX_LENGTH = 1000
ELLIPSIS = "…"
PLATFORMS = ("x", "facebook", "bluesky", "mastodon")
_DANGLING = ",;:.!?([{–—…"
_SENTENCE_END = tuple(".!?…")
_HASHTAG_RE = re.compile(r"[#＃]\w+")
_WORD_RE = re.compile(r"\S+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _one_line(text: str) -> str:
    return " ".join(_nfc(text).split())


def _paragraphs(text: str) -> str:
    """Keep paragraph breaks, collapse every other run of whitespace."""
    lines = [" ".join(line.split()) for line in _nfc(text).replace("\r\n", "\n").split("\n")]
    return _one_blank_line("\n".join(lines)).strip()


def _one_blank_line(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", text) if "\n\n\n" in text else text


def _tidy(text: str) -> str:
    """No double spaces, no spaces at line ends, at most one blank line, nothing at either end.

    str.split() splits on exactly the whitespace that \\s matches, so each line is collapsed
    the same way a regular expression would, only faster: composing renders many candidates.
    """
    if "\n" not in text:
        return _nfc(" ".join(text.split()))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _nfc(_one_blank_line("\n".join(lines)).strip())


def _with_ellipsis(kept: str) -> str:
    kept = kept.rstrip().rstrip(_DANGLING + " ").rstrip()
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


def _render(parts: Sequence[tuple[str, str | None]], fields: _Fields) -> str:
    """Fill the template, dropping a separator's punctuation when a field beside it is empty.

    "{title}. {summary} {link}" with no summary gives "Title link", not "Title. link" or
    "Title.  link"; a title that already ends a sentence does not get a second full stop.
    """
    values = {
        "prefix": fields.prefix,
        "title": fields.title,
        "summary": fields.summary,
        "link": fields.link,
        "hashtags": " ".join(fields.hashtags),
    }
    out: list[str] = []
    previous_value: str | None = None  # the field just before this literal, if it is one
    for literal, name in parts:
        text = literal
        between_fields = previous_value is not None and name is not None and text != ""
        if between_fields and (not previous_value or not values[str(name)]):
            text = "".join(c for c in text if c.isspace())
        elif text[:1] == "." and previous_value and previous_value.rstrip().endswith(_SENTENCE_END):
            text = text[1:]
        out.append(text)
        if name is None:
            previous_value = None
        else:
            previous_value = values[name]
            out.append(previous_value)
    return _tidy("".join(out))


class _Fitter:
    """Tries shorter and shorter versions of a post until one fits the platform's limit."""

    def __init__(
        self,
        parts: Sequence[tuple[str, str | None]],
        fields: _Fields,
        measure: Callable[[str], int],
        limit: int,
    ) -> None:
        self.parts = parts
        self.fields = fields
        self.measure = measure
        self.limit = limit
        self._weights: dict[str, int] = {}
        self._allowed_urls: set[str] | None = None
        self._full: str | None = None

    @property
    def full(self) -> str:
        """The post with every field whole."""
        if self._full is None:
            self._full = self.render(self.fields)
        return self._full

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
        self, count: int, build: Callable[[int], str], guess: int | None = None
    ) -> str | None:
        """build(k) for the largest k < count that is acceptable, or None.

        Longer k never weighs less, so a search finds where the weight stops fitting: a gallop
        out from ``guess`` when the caller can estimate it (two or three candidates instead of
        a dozen), else a binary search. Stepping down from there covers the rare candidate a
        URL check turns away.
        """
        built: dict[int, str] = {}

        def build_once(k: int) -> str:
            if k not in built:
                built[k] = build(k)
            return built[k]

        low = _last_fitting(lambda k: self.fits(build_once(k)), count, guess)
        for k in range(low, -1, -1):
            text = build_once(k)
            if self.acceptable(text):
                return text
        return None

    def render(self, fields: _Fields) -> str:
        return _render(self.parts, fields)


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


def _word_ends(text: str) -> list[int]:
    """Where each word of ``text`` ends."""
    words = text.split()
    if " ".join(words) != text:
        return [match.end() for match in _WORD_RE.finditer(text)]
    # Single-spaced (as every one-line field is): each word ends one space before the next,
    # so the ends are the running sum of (length + 1), less 1; map() keeps the loop in C.
    return list(map((-1).__add__, accumulate(map((1).__add__, map(len, words)))))


def _fit(fields: _Fields, fitter: _Fitter) -> str:
    """The first of ever-shorter versions of the post that fits (see the module docstring)."""
    full = fitter.full
    if fitter.fits(full):  # its URLs are ours by definition
        return full

    def cut_words(text: str, ends: list[int], k: int) -> str:
        return _with_ellipsis(text[: ends[k - 1]]) if k else ""

    # 1. The summary, a word at a time (k words kept; 0 drops it).
    summary_ends = _word_ends(fields.summary)

    def by_summary_words(k: int) -> str:
        return fitter.render(fields._replace(summary=cut_words(fields.summary, summary_ends, k)))

    # A guess only where the summary stands apart (whitespace on both sides): glued to the
    # fields beside it, shorter is not always lighter, and bisection is the safe search.
    apart = _stands_apart(fitter.parts, "summary")
    guess = _guess_words(fitter, full, fields.summary, summary_ends) if apart else None
    found = fitter.longest(len(summary_ends), by_summary_words, guess)
    if found is not None:
        return found
    bare = fields._replace(summary="")

    # 2-3. The title a word at a time (at least one word), then fewer hashtags.
    title_ends = _word_ends(fields.title)
    for count in range(len(fields.hashtags), -1, -1):
        tagged = bare._replace(hashtags=fields.hashtags[:count])
        whole_title = count < len(fields.hashtags)  # with every hashtag, step 1 tried it

        def by_title_words(k: int, tagged: _Fields = tagged) -> str:
            return fitter.render(tagged._replace(title=cut_words(fields.title, title_ends, k + 1)))

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


def _stands_apart(parts: Sequence[tuple[str, str | None]], name: str) -> bool:
    """Whether every use of field ``name`` in the template has whitespace (or an end) on both
    sides, so its words can never join a neighbour's into one word or URL."""
    for index, (literal, field_name) in enumerate(parts):
        if field_name != name:
            continue
        after = parts[index + 1][0] if index + 1 < len(parts) else ""
        before_ok = (index == 0 and not literal) or literal[-1:].isspace()
        after_ok = (index + 1 >= len(parts) and not after) or after[:1].isspace()
        if not (before_ok and after_ok):
            return False
    return True


def _guess_words(fitter: _Fitter, full: str, field: str, ends: list[int]) -> int | None:
    """How many words of ``field`` should fit, reckoning its weight spread evenly over it.

    ``full`` is the post with the whole field; the rest of it weighs what is left. Only a
    guess (a separator or a URL across fields may shift it by a word): :func:`_last_fitting`
    checks it.
    """
    if not ends:
        return None
    whole = fitter.weight(field)
    room = fitter.limit - (fitter.weight(full) - whole) - fitter.weight(ELLIPSIS)
    if room <= 0:
        return 0
    return bisect_right(ends, room * len(field) / whole)


def _hard_cut(text: str, fitter: _Fitter) -> str:
    """The longest acceptable start of ``text`` (a template whose fixed words alone overflow)."""
    points = _cut_points(text)
    found = fitter.longest(len(points), lambda k: _tidy(_with_ellipsis(text[: points[k]])))
    return found if found is not None else ""


def _fields(item: Item, style: PostStyle, link: str | None, *, paragraphs: bool) -> _Fields:
    urgent = item.kind == "appeal" and item.urgent
    summary = _paragraphs(item.summary) if paragraphs else _one_line(item.summary)
    chosen = link if link is not None else item.link
    return _Fields(
        prefix=_nfc(style.urgent_prefix) if urgent else "",
        title=_one_line(item.title),
        summary=summary,
        link=_one_line(chosen or ""),
        hashtags=tuple(_one_line(tag) for tag in style.hashtags if tag.strip()),
    )


def _utf16_length(text: str) -> int:
    # Facebook counts UTF-16 units; that is never fewer than code points, so it is the safe count.
    return len(text.encode("utf-16-le")) // 2


def compose_x(item: Item, style: PostStyle, link: str | None = None) -> str:
    """The text of an X post: at most 280 weighted characters, whatever the item holds.

    ``link`` overrides ``item.link`` (the caller may add tracking parameters). Whitespace in
    the title and summary is collapsed to single spaces; the result is NFC-normalised, so what
    is measured is exactly what is sent.
    """
    parts = parse_template(style.template)
    fields = _fields(item, style, link, paragraphs=False)
    fitter = _Fitter(parts, fields, weighted_length, MAX_WEIGHTED_LENGTH)
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
    given = _one_line(item.image_alt or "")
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


def graphemes(text: str) -> int:
    """User-perceived characters (Unicode extended grapheme clusters, UAX #29): a family emoji
    or a flag is one, as Bluesky and Mastodon count them."""
    return len(regex.findall(r"\X", text)) if not text.isascii() else len(text)


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


def mastodon_length(text: str, limits: MastodonLimits = MASTODON_LIMITS) -> int:
    """A status's length as Mastodon counts it. Counted as the composer counts it since
    Mastodon's own link grammar replaced ``https?://\\S+`` (which took a full stop or a
    bracket after a link for part of it, so a status could be over 500): this copy keeps
    the composer's search, not its count."""
    return countable_length(text, limits.url_weight)


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


def compose(item: Item, platform: str, style: PostStyle, link: str | None = None) -> str:
    """The post text for ``platform`` (one of :data:`PLATFORMS`)."""
    composers = {
        "x": compose_x,
        "facebook": compose_facebook,
        "bluesky": compose_bluesky,
        "mastodon": compose_mastodon,
    }
    if platform not in composers:
        raise ValueError(f"unknown platform {platform!r}; choose from {', '.join(PLATFORMS)}")
    return composers[platform](item, style, link)


# --- the planner's post text, as bot.posts.planner gave it ----------------------------------


def style_for_item(item: Item, settings: Settings, platform: str) -> PostStyle:
    templates = {
        "x": settings.x_template,
        "facebook": settings.facebook_template,
        "bluesky": settings.bluesky_template,
        "mastodon": settings.mastodon_template,
    }
    hashtags = {"appeal": settings.appeal_hashtags, "news": settings.news_hashtags}
    style = PostStyle(templates[platform], tuple(hashtags[item.kind]), settings.urgent_prefix)
    extra = region_hashtags(settings, item.region)
    if not extra:
        return style
    return replace(style, hashtags=tuple(dict.fromkeys((*style.hashtags, *extra))))


def post_content(item: Item, settings: Settings, platform: str) -> tuple[str, str | None]:
    link = tracked_link(item.link, platform, item.id, settings) if item.link else None
    style = style_for_item(item, settings, platform)
    text = compose(item, platform, style, link=link)
    if link and not text.strip():
        return compose(replace(item, link=None), platform, style, link=None), None
    return text, link
