"""How X counts a post's length: twitter-text v3's weighted length, in pure Python.

X refuses a post whose *weighted* length is over 280, and that length is not ``len(text)``:
the text is NFC-normalised, Latin/Cyrillic/Hebrew/Arabic and some punctuation count 1,
everything else (CJK, most symbols, the "…" character) counts 2, every URL counts 23 however
long it is, and every emoji sequence (a family, a flag, a skin-toned hand, a keycap) counts 2
in total. The composer and the fake X server both use this module, so what we compose is
measured exactly as the fake measures it, and as closely as we can to how X does.

The URL matcher is a reasonable subset of twitter-text's: ``http(s)://`` URLs, and bare
domains such as ``example.org/path`` whose top-level domain is a known one. Where it must
guess it errs on the long side (it may count a trailing ``)`` that X would swallow into a URL),
so a post we think fits is never refused for length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23

_SCALE = 100
_DEFAULT_WEIGHT = 200
# (first code point, last code point, weight) from twitter-text v3's config.
_RANGES: tuple[tuple[int, int, int], ...] = (
    (0x0000, 0x10FF, 100),
    (0x2000, 0x200D, 100),
    (0x2010, 0x201F, 100),
    (0x2032, 0x2037, 100),
)

# --- URLs ------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


# Generic TLDs twitter-text knows that a charity's posts are likely to meet; X knows ~1,500.
_GENERIC_TLDS = _words(
    "com org net edu gov mil int info biz name pro mobi aero coop museum jobs travel tel asia "
    "cat post xxx app dev io ai co me tv cc ly gl gg "
    "charity ngo ong foundation help support care health community social news blog media "
    "online site website web page link live life world global london scot wales cymru uk eu "
    "shop store club today email team family group school education academy "
    "police"
)
# Every two-letter country-code TLD (ISO 3166-1 alpha-2 plus uk, eu, ac, su).
_COUNTRY_TLDS = _words(
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br "
    "bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do "
    "dz ec ee eg er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt "
    "gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp "
    "kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms "
    "mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr "
    "ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx "
    "sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn "
    "vu wf ws ye yt za zm zw"
)
_TLDS = sorted(set(_GENERIC_TLDS + _COUNTRY_TLDS), key=len, reverse=True)
_TLD = "(?:" + "|".join(_TLDS) + ")"

# A URL may not start right after a letter, digit, @, $ or #: "user@example.org" is an address.
_PRECEDING = r"(?<![A-Za-z0-9@＠$#＃\u202A-\u202E])"
_LABEL = r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_HOST_WITH_PROTOCOL = r"(?:[\w-]+\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]+)(?![\w-])"
_BARE_HOST = rf"(?:{_LABEL}\.)+{_TLD}(?![a-z0-9_-])"
_PORT = r"(?::[0-9]{1,5})?"
# Path, query and fragment: ASCII, Latin and Cyrillic letters as twitter-text allows; a URL
# never ends in punctuation, so "see example.org/appeal." leaves the full stop out.
_PATH_CHAR = r"[a-z0-9!*';:=+,.$/%#\[\]\-_~&|@()?\u00C0-\u024F\u0400-\u04FF]"
_PATH_END = r"[a-z0-9=_#/+\-&~%$@|\u00C0-\u024F\u0400-\u04FF]"
_PATH = rf"(?:[/?#](?:{_PATH_CHAR}*{_PATH_END})?)?"

# twitter-text ignores a would-be URL longer than this (counting an added "https://").
_MAX_URL_LENGTH = 4096

_URL_RE = re.compile(
    rf"{_PRECEDING}(?:https?://{_HOST_WITH_PROTOCOL}|(?<![-_./]){_BARE_HOST}){_PORT}{_PATH}",
    re.IGNORECASE,
)

# --- emoji -----------------------------------------------------------------------------------

# Extended_Pictographic, approximately: a single one of these weighs 2 whether or not it is an
# emoji, so the approximation only matters for what may follow it in a sequence.
_PICTO = (
    "\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u2388\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001f1e5\U0001f200-\U0001f3fa\U0001f400-\U0001faff\U0001fc00-\U0001fffd"
)
_MODIFIER = "[\U0001f3fb-\U0001f3ff]"
_ELEMENT = (
    rf"(?:[{_PICTO}]|[\u00a9\u00ae](?=\ufe0f))(?:\ufe0f|{_MODIFIER})?"
    r"(?:[\U000e0020-\U000e007e]+\U000e007f)?"
)
_EMOJI_RE = re.compile(
    r"[\U0001f1e6-\U0001f1ff]{2}"  # a flag: two regional indicators
    r"|[0-9#*]\ufe0f?\u20e3"  # a keycap
    rf"|{_ELEMENT}(?:\u200d{_ELEMENT})*"  # a pictograph, toned, tagged or ZWJ-joined
)


# Every URL has a host with a dot before a letter, and none spans whitespace: only the
# whitespace-separated words holding ".<letter>" need the (much slower) URL pattern.
_DOT_LETTER = re.compile(r"\.[^\W\d_]")
_NON_SPACE = re.compile(r"\S*")


def _url_matches(text: str) -> Iterator[re.Match[str]]:
    backwards = None
    word_end = 0
    for dot in _DOT_LETTER.finditer(text):
        if dot.start() < word_end:
            continue  # another dot of a word already searched
        if backwards is None:
            backwards = text[::-1]
        # The word around the dot: non-space characters on either side of it.
        word_start = len(text) - _non_space_end(backwards, len(text) - dot.start())
        word_end = _non_space_end(text, dot.start())
        # pos/endpos keep the lookbehind and lookahead seeing the real neighbours (whitespace).
        yield from _URL_RE.finditer(text, word_start, word_end)


def _non_space_end(text: str, start: int) -> int:
    match = _NON_SPACE.match(text, start)  # \S* always matches, if only the empty string
    return match.end() if match else start


@lru_cache(maxsize=256)
def _url_spans(text: str) -> tuple[tuple[int, int], ...]:
    # Cached: composing measures a candidate post, then checks the URLs of the one it keeps.
    spans = []
    for match in _url_matches(text):
        url = match.group()
        has_protocol = url[:8].lower().startswith(("http://", "https://"))
        if len(url) + (0 if has_protocol else len("https://")) <= _MAX_URL_LENGTH:
            spans.append(match.span())
    return tuple(spans)


def find_urls(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the URLs in ``text``, as X would link them.

    The composer uses the spans to avoid cutting a post inside a URL; the spans index ``text``
    itself, not its NFC form.
    """
    return list(_url_spans(text))


def find_emoji(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the emoji sequences in ``text``; each counts 2 however long.

    The composer uses them to avoid cutting a family or a flag in half.
    """
    return [match.span() for match in _EMOJI_RE.finditer(text)]


def _weight(char: str) -> int:
    code = ord(char)
    for first, last, weight in _RANGES:
        if first <= code <= last:
            return weight
    return _DEFAULT_WEIGHT


# Characters of weight 1 (the ranges above, less © and ®, which can be emoji) and the ellipsis.
_PLAIN = re.compile(
    "[\u0000-\u00a8\u00aa-\u00ad\u00af-\u10ff\u2000-\u200d\u2010-\u201f\u2026\u2032-\u2037]*"
)


def weighted_length(text: str) -> int:
    """The length X gives ``text``; X refuses a post when this is over MAX_WEIGHTED_LENGTH."""
    if text.isascii() or (_PLAIN.fullmatch(text) and unicodedata.is_normalized("NFC", text)):
        # The common case, and composing weighs many candidate texts per post: only light
        # characters that cannot begin an emoji, plus the ellipsis (weight 2). Then only the
        # URLs differ from one per character.
        url_extra = sum(URL_WEIGHT - (end - start) for start, end in _url_spans(text))
        return len(text) + text.count("\u2026") + url_extra
    return weighted_length_by_character(text)


def weighted_length_by_character(text: str) -> int:
    """The general count, a character (or emoji sequence, or URL) at a time."""
    text = unicodedata.normalize("NFC", text)
    urls = dict(_url_spans(text))
    total = 0
    index = 0
    while index < len(text):
        if index in urls:
            total += URL_WEIGHT * _SCALE
            index = urls[index]
            continue
        emoji = _EMOJI_RE.match(text, index)
        if emoji:
            total += _DEFAULT_WEIGHT
            index = emoji.end()
            continue
        total += _weight(text[index])
        index += 1
    return total // _SCALE
