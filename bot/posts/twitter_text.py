"""How X counts a post's length: twitter-text v3's weighted length, by twitter-text's own rules.

X refuses a post whose *weighted* length is over 280, and that length is not ``len(text)``:
the text is NFC-normalised, Latin/Cyrillic/Hebrew/Arabic and some punctuation count 1,
everything else (CJK, most symbols, the "…" character) counts 2, every URL counts 23 however
long it is, and every emoji sequence (a family, a flag, a skin-toned hand, a keycap) counts 2
in total. The composer and the fake X server both use this module, so what we compose is
measured exactly as the fake measures it, and as X does.

The rules (the ~1,600 top-level domains, the URL grammar with its internationalised domains,
the emoji list and the weight ranges) are twitter-text's own, from twitter-text-parser, a
port of the official twitter-text v3 library; tests/posts/test_twitter_text.py keeps it in step
with the official package's TLD list and checks every count here against its ``parse_tweet``.
This module only makes the count fast enough to weigh many candidate posts: the URL search
runs only on the words that could hold one.
"""

from __future__ import annotations

import importlib.resources
import re
import sys
import types
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Any

from bot.core.memo import small_lru_cache


def _stand_in_for_pkg_resources() -> types.ModuleType | None:
    """twitter-text-parser reads its emoji list with ``pkg_resources.resource_string``, its
    one use of setuptools' pkg_resources. Importing the real module costs every process that
    composes a post about 10 MB and 50 ms (bench figure 5), and setuptools 81 and later (or a
    venv without setuptools) no longer have it. So while twitter-text is imported, a stand-in
    with that one function answers instead, reading the file beside the module as the real
    one does; returns it, to be taken away again (None if the real module is already loaded).
    """
    if "pkg_resources" in sys.modules:
        return None
    shim = types.ModuleType("pkg_resources")

    def resource_string(package: str, name: str) -> bytes:
        return importlib.resources.files(package.rpartition(".")[0]).joinpath(name).read_bytes()

    shim.resource_string = resource_string  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = shim
    return shim


_SHIM = _stand_in_for_pkg_resources()
try:
    from twitter_text.config import config as _CONFIG
    from twitter_text.regexp.emoji import emoji as _LISTED_EMOJI
    from twitter_text.regexp.extract_url import extract_url as _EXTRACT_URL
    from twitter_text.regexp.invalid_url_without_protocol_preceding_chars import (
        invalid_url_without_protocol_preceding_chars as _INVALID_BEFORE_BARE,
    )
    from twitter_text.regexp.valid_ascii_domain import valid_ascii_domain as _ASCII_DOMAIN
    from twitter_text.regexp.valid_cctld import valid_cctld as _CCTLD
    from twitter_text.regexp.valid_domain import valid_domain as _DOMAIN
    from twitter_text.regexp.valid_gtld import valid_gtld as _GTLD
    from twitter_text.regexp.valid_port_number import valid_port_number as _PORT_NUMBER
    from twitter_text.regexp.valid_punycode import valid_punycode as _PUNYCODE
    from twitter_text.regexp.valid_tco_url import valid_tco_url as _TCO_URL
    from twitter_text.regexp.valid_url_preceding_chars import (
        valid_url_preceding_chars as _URL_PRECEDING_CHARS,
    )
finally:
    # Anything importing pkg_resources later gets the real module, not the stand-in.
    if _SHIM is not None and sys.modules.get("pkg_resources") is _SHIM:
        del sys.modules["pkg_resources"]

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23

# twitter-text's own parts of a link, which Mastodon's link grammar is built from too
# (bot.posts.mastodon_text): the character allowed before a link, a domain, a port.
VALID_URL_PRECEDING_CHARS: re.Pattern[str] = _URL_PRECEDING_CHARS
VALID_DOMAIN: re.Pattern[str] = _DOMAIN
VALID_PORT_NUMBER: re.Pattern[str] = _PORT_NUMBER

_DEFAULTS = _CONFIG["defaults"]
_SCALE: int = _DEFAULTS["scale"]
_DEFAULT_WEIGHT: int = _DEFAULTS["default_weight"]
# (first code point, last code point, weight) from twitter-text v3's config.
_RANGES: tuple[tuple[int, int, int], ...] = tuple(
    (r["start"], r["end"], r["weight"]) for r in _DEFAULTS["ranges"]
)

# Every URL twitter-text links has a host with a dot before a letter (its TLD, or a label),
# and none spans whitespace: only the whitespace-separated words holding ".<letter>" need the
# (much slower) URL search.
_DOT_LETTER = re.compile(r"\.[^\W\d_]")
_NON_SPACE = re.compile(r"\S*")


def _url_matches(text: str) -> list[tuple[int, int, int]]:
    found: list[tuple[int, int, int]] = []
    backwards = None
    word_end = 0
    size = len(text)
    for dot in _DOT_LETTER.finditer(text):
        at = dot.start()
        if at < word_end:
            continue  # another dot of a word already searched
        # The word holding the dot, with one character either side: twitter-text looks at
        # the character before a URL (an "@" or a letter there means it is no URL) and at the
        # one after its TLD. Mostly it lies between the spaces either side of the dot (or an
        # end): that is so when all of it is printable, as every whitespace character but the
        # space is unprintable.
        start = max(0, text.rfind(" ", 0, at))
        word_end = text.find(" ", at)
        if word_end < 0:
            word_end = size
        window = text[start : word_end + 1]
        if not window.isprintable():
            if backwards is None:
                backwards = text[::-1]
            # The run of non-space around the dot (\S* always matches, if only the empty
            # string), its start found by reading the text backwards.
            word_start = size - _NON_SPACE.match(backwards, size - at).end()  # type: ignore[union-attr]
            word_end = _NON_SPACE.match(text, at).end()  # type: ignore[union-attr]
            start = max(0, word_start - 1)
            window = text[start : word_end + 1]
        for first, last, length in _window_urls(window):
            found.append((start + first, start + last, length))
    return found


@small_lru_cache(maxsize=1024, max_size=2_048)
def _window_urls(window: str) -> tuple[tuple[int, int, int], ...]:
    # Cached: the candidate posts composing weighs share most of their words (the link above all).
    return tuple(
        (url["indices"][0], url["indices"][1], len(url["url"]))
        for url in extract_urls_with_indices(window)
    )


# twitter-text writes each TLD list as "(?:(?:tld|tld|...)" + this lookahead + ")".
_TLD_LIST = re.compile(r"\(\?:\(\?:(.*)\)(\(\?=\[\^0-9a-zA-Z@\+-\]\|\$\))\)", re.DOTALL)


def _tld_pattern(listed: re.Pattern[str]) -> str:
    """One of twitter-text's TLD patterns, its ~1,600 alternatives folded into a trie.

    Python's ``re`` tries an alternation's branches one by one, so at every "." the flat list
    costs ~1,600 attempts (8 us a link, once for every item a poll composes); the trie asks a
    letter at a time. Both match exactly the same strings: the branches are plain words, each
    followed by the same lookahead. A list in any other shape is used as it is.
    """
    shape = _TLD_LIST.fullmatch(listed.pattern)
    words = shape.group(1).split("|") if shape else []
    if shape is None or any(not word or re.escape(word) != word for word in words):
        return listed.pattern
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return "(?:" + _trie_pattern(trie) + shape.group(2) + ")"


def _trie_pattern(node: dict[str, Any]) -> str:
    branches = [re.escape(char) + _trie_pattern(child) for char, child in node.items() if char]
    if not branches:
        return ""
    either = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{either})?" if "" in node else either


# Every URL twitter-text's pattern finds has a domain ending in "." and a TLD it knows (its
# own subpatterns, under the same flags): text with no such ".tld" holds no URL, and a search
# for one fails in a fraction of the time the whole pattern takes to fail (a word such as
# "e.g.the" or a reserved domain such as charity.example).
_DOT_TLD = re.compile(
    r"\.(?:" + "|".join((_tld_pattern(_GTLD), _tld_pattern(_CCTLD), _PUNYCODE.pattern)) + ")",
    _EXTRACT_URL.flags,
)
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40
_MAX_LABEL_LENGTH = 63
_LABEL_DOTS = re.compile("[.\u3002\uff0e\uff61]")


def extract_urls_with_indices(text: str) -> list[dict[str, Any]]:
    """twitter-text's extractUrlsWithIndices: ``{"url", "indices"}`` per URL, code point indices.

    twitter-text-parser's, with one fix: a domain's length is measured as the official library
    measures it (punycode of each label, as ``punycode.toASCII``), not with Python's IDNA 2003
    codec, which refuses labels it would accept (a URL glued to Hebrew or Arabic letters).
    """
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
                if tco.group(1) and len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                    continue
                url = tco.group(0)
                end = start + len(url)
            urls.append({"url": url, "indices": [start, end]})
    return urls


def _is_valid_url(url: str, protocol: str, domain: str) -> bool:
    # twitter-text's idna.toAscii: an "xn--" host must hold an ASCII domain, and each label
    # (split on "." alone) punycoded must be 1 to 63 characters (RFC 1035), or it is no link.
    if domain.startswith("xn--") and not _ASCII_DOMAIN.search(domain):
        return False
    try:
        if not all(1 <= len(_punycoded(label)) <= _MAX_LABEL_LENGTH for label in domain.split(".")):
            return False
        ascii_domain = _punycoded(domain)
    except UnicodeError:
        return False
    return len(protocol) + len(url) + len(ascii_domain) - len(domain) <= _MAX_URL_LENGTH


def _punycoded(domain: str) -> str:
    """``domain`` as punycode.toASCII gives it: each label between dots ("." or its CJK
    forms) kept if ASCII, else "xn--" and its punycode; the labels joined by ".".
    Raises UnicodeError for what punycode cannot encode."""
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in _LABEL_DOTS.split(domain)
    )


@small_lru_cache(maxsize=256, max_size=2_000)
def _urls(text: str) -> tuple[tuple[int, int, int], ...]:
    """(start, end, length counted as the URL) of each URL. twitter-text skips the length of
    the URL *as it reports it*, which for a bare domain glued to an internationalised one
    ("example.org日本.jp/") is shorter than its span: the rest is counted as characters.
    Cached: composing measures a candidate post, then checks the URLs of the one it keeps."""
    return tuple(_url_matches(text))


def _url_spans(text: str) -> list[tuple[int, int]]:
    return [(start, end) for start, end, _ in _urls(text)]


def find_urls(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the URLs in ``text``, as X would link them.

    The composer uses the spans to avoid cutting a post inside a URL; the spans index ``text``
    itself, not its NFC form.
    """
    return _url_spans(text)


def find_emoji(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the emoji sequences in ``text``; each counts 2 however long.

    The composer uses them to avoid cutting a family or a flag in half.
    """
    if text.isascii():
        return []
    return [
        found.span()
        for found in _emoji().finditer(text)  # as twitter-text's extract_emojis_with_indices
        # twitter-text (twemoji) takes a bare © or ® for text, weight 1; only with U+FE0F
        # is it an emoji.
        if found.group() not in _TEXT_SYMBOLS
    ]


_TEXT_SYMBOLS = frozenset({"\u00a9", "\u00ae"})


# twitter-text writes its emoji pattern as ~2,500 sequences of \U escapes, longest first, then
# one class of single characters in \U escapes and ranges.
_ESCAPED_SEQUENCE = re.compile(r"(?:\\U[0-9A-Fa-f]{8})+")
_ESCAPED_RANGE = re.compile(r"\\U([0-9A-Fa-f]{8})(?:-\\U([0-9A-Fa-f]{8}))?")
_ASTRAL = "\\U00010000-\\U0010ffff"


def _emoji_pattern(listed: str) -> str:
    """twitter-text's emoji pattern (``listed``, its text), rewritten to match exactly what it
    matches, ~100 times faster (a post of 300 characters: ~1 ms, ~10 us), or as it is if not
    in the usual shape.

    The sequences are folded into a trie (its longest match is the first of the sequences,
    longest first, that matches) tried only at a character a sequence starts with, and the
    class is split at U+FFFF: ``re`` tests a character of the Basic Multilingual Plane against
    a bitmap, and ~100 ranges one by one only for the rarer characters beyond it.
    """
    *sequences, single = listed.split("|")
    ranges = _ESCAPED_RANGE.findall(single[1:-1])
    rebuilt = "".join(f"\\U{first}" + (f"-\\U{last}" if last else "") for first, last in ranges)
    if f"[{rebuilt}]" != single or not all(map(_ESCAPED_SEQUENCE.fullmatch, sequences)):
        return listed
    trie: dict[str, Any] = {}
    for sequence in sequences:
        node = trie
        for code in sequence.split("\\U")[1:]:
            node = node.setdefault(chr(int(code, 16)), {})
        node[""] = {}
    firsts = [ord(char) for char in trie if char]
    spans = [(int(first, 16), int(last or first, 16)) for first, last in ranges]
    plane = [(first, min(last, 0xFFFF)) for first, last in spans if first <= 0xFFFF]
    beyond = [(max(first, 0x10000), last) for first, last in spans if last > 0xFFFF]
    sequence = _trie_pattern(trie)
    return (
        f"(?=[{_ASTRAL}])(?:(?={_class((c, c) for c in firsts if c > 0xFFFF)}){sequence}"
        f"|{_class(beyond)})"
        f"|(?={_class((c, c) for c in firsts if c <= 0xFFFF)}){sequence}|{_class(plane)}"
    )


def _class(spans: Iterable[tuple[int, int]], *, negated: bool = False) -> str:
    """A character class of code point ranges (first, last), or of every other character;
    with no ranges, one that matches nothing (or any character)."""
    inside = "".join(
        re.escape(chr(first)) + (f"-{re.escape(chr(last))}" if last > first else "")
        for first, last in spans
    )
    if not inside:
        return "(?s:.)" if negated else "(?!)"
    return f"[^{inside}]" if negated else f"[{inside}]"


@cache
def _emoji() -> re.Pattern[str]:
    # Compiled when first needed (~25 ms): plain text, most posts, never needs it.
    return re.compile(_emoji_pattern(_without_split_sequences(_LISTED_EMOJI)), _LISTED_EMOJI.flags)


def _listed_sequences(listed: re.Pattern[str]) -> list[str]:
    """The sequences (two or more characters) of twitter-text-parser's emoji pattern."""
    *sequences, _ = listed.pattern.split("|")
    return [
        "".join(chr(int(code, 16)) for code in sequence.split("\\U")[1:])
        for sequence in sequences
        if _ESCAPED_SEQUENCE.fullmatch(sequence)
    ]


def _without_split_sequences(listed: re.Pattern[str]) -> str:
    """twitter-text-parser's emoji pattern less the sequences the official twitter-text 3.1.0
    does not take for one emoji (bot/data/twitter_text_split_emoji.txt: a gendered ZWJ
    sequence without its U+FE0F, Emoji 12's people holding hands...), so that, as there, each
    part counts: "👱🏻‍♂" is 5, not 2. The parser's list is newer than the official one's,
    and X refuses a post the official count puts over 280."""
    lines = importlib.resources.files("bot").joinpath("data/twitter_text_split_emoji.txt")
    split = {
        "".join(f"\\U{int(code, 16):08X}" for code in line.split())
        for line in lines.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    kept = [part for part in listed.pattern.split("|") if part.upper() not in split]
    # Text, not compiled: compiling ~2,500 alternatives costs ~20 ms, and _emoji compiles
    # the rewritten pattern instead.
    return "|".join(kept)


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
    if (
        text.isascii()
        or text.replace("\u2026", "").isascii()
        or (_PLAIN.fullmatch(text) and unicodedata.is_normalized("NFC", text))
    ):
        # The common case, and composing weighs many candidate texts per post: only light
        # characters that cannot begin an emoji, plus the ellipsis (weight 2). Then only the
        # URLs differ from one per character (their reported length is their span here), and
        # with no "." there is none. ASCII with the composer's "…" is the commonest of all,
        # and a copy without the "…" tells it faster than the pattern: both are in _PLAIN and
        # NFC leaves them as they are (no canonical decomposition, combining class 0).
        length = len(text) + text.count("\u2026")
        if "." not in text:
            return length
        for start, end, _ in _urls(text):  # a loop, not sum(): most texts have one or none
            length += URL_WEIGHT - (end - start)
        return length
    return weighted_length_by_character(text)


def plain_weight(text: str) -> int | None:
    """What ``text`` adds to the weight of any post it stands in with whitespace (or an end) on
    both sides, or None when that is not so simple.

    Simple when every character is one of the light ones above (weight 1, the ellipsis 2),
    none can begin or end an emoji, the text is NFC and it has no "." before a letter, so no
    URL starts, ends or lies in it: neither its neighbours' URLs and emoji nor NFC can reach
    across whitespace, and the weight of the post is the weight of the rest plus this (and
    this is ``weighted_length(text)`` too). The composer reckons a shortened summary's post by
    it without rendering it.
    """
    if text.isascii():  # all of ASCII is light, and NFC
        simple = not _DOT_LETTER.search(text)
    else:
        simple = bool(_PLAIN.fullmatch(text)) and not _DOT_LETTER.search(text)
        simple = simple and unicodedata.is_normalized("NFC", text)
    return len(text) + text.count("\u2026") if simple else None


def weighted_length_by_character(text: str) -> int:
    """The general count: each URL and emoji sequence, and each character of the runs between
    them by twitter-text's weight ranges."""
    text = unicodedata.normalize("NFC", text)
    urls = {start: length for start, _, length in _urls(text)}
    emoji = dict(find_emoji(text))
    total = 0
    index = 0
    for start in sorted(urls.keys() | emoji.keys()):
        if start < index:
            continue  # inside a URL or an emoji sequence counted already
        total += _run_weight(text[index:start])
        if start in urls:
            total += URL_WEIGHT * _SCALE
            index = start + urls[start]
        else:
            total += _DEFAULT_WEIGHT
            index = emoji[start]
    return (total + _run_weight(text[index:])) // _SCALE


def _run_weight(run: str) -> int:
    """The scaled weight of characters that are in no URL or emoji sequence: the sum of
    :func:`_weight` over them, counted by a regular expression a weight range at a time (a
    loop over the characters of a post cost ~100 us)."""
    if _OVERLAPPING_RANGES:
        return sum(map(_weight, run))
    total = _DEFAULT_WEIGHT * len(run)
    for outside, weight in _RANGE_PATTERNS:
        total += (weight - _DEFAULT_WEIGHT) * len(outside.sub("", run))
    return total


# For each weight of twitter-text's ranges, the characters outside its ranges (left out, the
# rest are counted). Ranges that overlap would count a character twice: then one at a time.
_RANGE_PATTERNS = tuple(
    (re.compile(_class([(a, b) for a, b, w in _RANGES if w == weight], negated=True) + "+"), weight)
    for weight in sorted({weight for _, _, weight in _RANGES})
)
_OVERLAPPING_RANGES = any(
    a_first <= b_last and b_first <= a_last
    for index, (a_first, a_last, _) in enumerate(_RANGES)
    for b_first, b_last, _ in _RANGES[index + 1 :]
)
