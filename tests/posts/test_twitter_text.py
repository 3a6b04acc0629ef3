"""X's weighted length: the examples twitter-text's own conformance tests are built on."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.posts import twitter_text
from bot.posts.twitter_text import (
    MAX_WEIGHTED_LENGTH,
    URL_WEIGHT,
    extract_urls_with_indices,
    find_urls,
    weighted_length,
    weighted_length_by_character,
)
from tests.posts import compose_reference as reference

DATA = Path(__file__).parent / "data"


def test_constants() -> None:
    assert MAX_WEIGHTED_LENGTH == 280
    assert URL_WEIGHT == 23


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a" * 280, 280),
        ("a" * 281, 281),
        ("あ" * 140, 280),
        ("あ" * 141, 282),
        ("漢字", 4),
        ("Привет", 6),  # Cyrillic is in the weight-1 range
        ("“quoted” – dash", 15),  # U+2010–U+201F weigh 1
        ("…", 2),  # U+2026 is outside every weight-1 range
        ("😀", 2),
        ("👨‍👩‍👧", 2),  # ZWJ family: one emoji
        ("👍🏽", 2),  # skin tone
        ("🇬🇧", 2),  # flag: two regional indicators
        ("1️⃣", 2),  # keycap
        ("🏴󠁧󠁢󠁳󠁣󠁴󠁿", 2),  # subdivision flag (tag sequence)
        ("❤️", 2),  # text-default symbol with VS16
        ("©️", 2),
        ("©", 1),
        ("😀😀", 4),
        ("a😀b", 4),
    ],
)
def test_weighted_length_examples(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/" + "x" * 200,
        "http://example.org",
        "https://www.missingpeople.org.uk/appeal/sam-jones-15?utm_source=x&utm_medium=social",
        "example.org/appeal/123",
        "www.example.co.uk",
        "https://example.charity/a_b-c~d",
    ],
)
def test_a_url_counts_23_however_long(url: str) -> None:
    assert weighted_length(url) == URL_WEIGHT
    assert find_urls(url) == [(0, len(url))]


def test_urls_among_text() -> None:
    text = "Sam is missing. See https://example.org/sam, or call 116 000."
    assert find_urls(text) == [(20, 43)]
    assert weighted_length(text) == len(text) - (43 - 20) + URL_WEIGHT


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("see example.org/appeal.", [(4, 22)]),  # the full stop is not part of the URL
        ("(https://example.org/a)", [(1, 22)]),
        ("mail sam@example.org", []),  # an e-mail address is not a URL
        ("Dr.Who and e.g. this", []),  # no known top-level domain
        ("a.b/c", []),
        ("https://example.org/あいう", [(0, 20)]),  # CJK ends the path, as on X
        ("x.com\ny.org", [(0, 5), (6, 11)]),
        ("https://example.org…", [(0, 19)]),  # an ellipsis ends a URL
    ],
)
def test_find_urls(text: str, spans: list[tuple[int, int]]) -> None:
    assert find_urls(text) == spans


# twitter-text 3.1.0's own answers (npm, parseTweet(text).weightedLength and the URLs of
# extractUrlsWithIndices), recorded: its idna.toAscii refuses a host with a label over 63
# characters once punycoded (RFC 1035), split on "." alone, and an "xn--" host with no ASCII
# domain in it; such a host is no link, and its text counts character by character.
@pytest.mark.parametrize(
    ("text", "official_length", "official_urls"),
    [
        ("see " + "b" * 63 + ".org now", 31, ["b" * 63 + ".org"]),  # 63: still a link
        ("see " + "b" * 64 + ".org now", 76, []),
        ("https://" + "b" * 64 + ".org/a", 78, []),
        ("see www." + "c" * 64 + ".example.org/x", 86, []),  # a middle label
        ("see " + "b" * 64 + ".org/appeal/1 now", 85, []),
        ("see 日本" + "b" * 62 + ".jp", 73, []),  # the label with its CJK, punycoded, is long
        ("see " + "ü" * 50 + ".de", 27, ["ü" * 50 + ".de"]),  # xn--… is 56 characters
        ("see " + "é" * 55 + ".fr", 27, ["é" * 55 + ".fr"]),  # 61
        ("see " + "ü" * 60 + ".de", 67, []),  # 66
        ("see " + "b" * 30 + "。" + "c" * 40 + ".org", 80, []),  # one label to "." alone
        ("https://xn--日本.jp/" + "p" * 40, 60, []),
        ("see xn--bcher-kva.de", 27, ["xn--bcher-kva.de"]),
    ],
)
def test_a_host_twitter_text_finds_invalid_is_no_link(
    text: str, official_length: int, official_urls: list[str]
) -> None:
    assert [text[a:b] for a, b in find_urls(text)] == official_urls
    assert weighted_length(text) == official_length
    assert weighted_length_by_character(text) == official_length


def test_composed_and_decomposed_count_the_same() -> None:
    composed = "Zoë, café"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert weighted_length(composed) == weighted_length(decomposed) == 9


@given(st.text(max_size=300))
@example("0.AL:")  # a link (Albania's .al) and a character: 24, more than 2 × 5 or 23
def test_weighted_length_is_between_count_and_twice_count(text: str) -> None:
    normalised = unicodedata.normalize("NFC", text)
    length = weighted_length(text)
    urls = find_urls(normalised)
    # A link weighs 23 whatever its length; every other character 1 or 2.
    rest = len(normalised) - sum(end - start for start, end in urls)
    assert 0 <= length <= 2 * rest + URL_WEIGHT * len(urls)
    if not urls:
        assert length <= 2 * len(normalised)


@given(st.text(alphabet=st.characters(max_codepoint=0x10FF), max_size=300))
def test_latin_text_without_urls_counts_one_per_character(text: str) -> None:
    normalised = unicodedata.normalize("NFC", text)
    # NFC can compose two light characters into one outside the range (A + U+0323 → U+1EA0).
    assume(all(ord(char) <= 0x10FF for char in normalised))
    if not find_urls(normalised):
        assert weighted_length(text) == len(normalised)


PLAIN_AND_HEAVY = st.text(
    alphabet=st.sampled_from(
        [*"abc XYZ.,:/-_é–’“…©®#*0123456789", "😀", "あ", "\ufe0f", "\u20e3", "\u0301"]
    ),
    max_size=120,
)


@given(PLAIN_AND_HEAVY, st.booleans())
def test_the_fast_path_agrees_with_the_character_by_character_count(text: str, url: bool) -> None:
    if url:
        text += " https://charity.example/appeals/42 charity.org.uk/a…"
    assert weighted_length(text) == weighted_length_by_character(text)


# What composing weighs most: ASCII with its own "…", links and dots among the words.
ASCII_WITH_ELLIPSIS = st.lists(
    st.sampled_from(
        ["Sam", "seen", "e.g.", "Hull.Then", "5ft", "…", "...", "charity.org.uk/a", "#missing",
         "https://charity.example/appeals/42", "example.org", "\x00", "\t", "~"]
    ),
    max_size=40,
).map(" ".join)  # fmt: skip


@settings(max_examples=300)
@given(ASCII_WITH_ELLIPSIS | PLAIN_AND_HEAVY)
def test_ascii_with_the_ellipsis_counts_as_the_old_count_and_by_character(text: str) -> None:
    assert weighted_length(text) == reference.weighted_length(text)
    assert weighted_length(text) == weighted_length_by_character(text)


@settings(max_examples=300)
@given(ASCII_WITH_ELLIPSIS | PLAIN_AND_HEAVY | st.text(max_size=40))
def test_a_plain_weight_is_what_the_text_weighs_on_its_own(text: str) -> None:
    # plain_weight promises weighted_length(text) where it answers, and answers for every text
    # of light, NFC characters with no "." before a letter (so no URL).
    weight = twitter_text.plain_weight(text)
    simple = (
        twitter_text._PLAIN.fullmatch(text) is not None
        and not re.search(r"\.[^\W\d_]", text)
        and unicodedata.is_normalized("NFC", text)
    )
    assert (weight is not None) == simple
    if weight is not None:
        assert weight == weighted_length(text) == reference.weighted_length(text)


URL_PIECES = [
    "see", "example.org", "bit.ly/x", "https://a.b.co/x?y=1", "a.b", "x.y.z.com", "Hull.",
    "U.K.", "e.g.", "www.charity.org.uk/appeal.", "(charity.org)", "foo@bar.com", "1.5km",
    "https://x.com/a.b.c", "Ünï.çødé", "日本.jp", "a..b.com", "-x.com", ".com", "co.uk", "…",
    "footage.help.xyz", "sightings.tech", "https://поиск.рф/и/1", "charity.example", "@x.com",
    "https://t.co/abc", "#tag.org", "$x.com", "ex.ample.みんな/a", "http://a.b.c.d.e.f.gov/?q=1)",
]  # fmt: skip
SEPARATORS = [" ", "", "\t", "\u3000", "\u00a0", "\n", "\r\n", ". ", "/", "😀", "あ", ","]
PIECED = st.lists(
    st.tuples(st.sampled_from(URL_PIECES), st.sampled_from(SEPARATORS)), max_size=12
).map(lambda pieces: "".join(piece + separator for piece, separator in pieces))


@settings(max_examples=500)
@given(PIECED)
def test_the_word_prefilter_finds_what_a_full_scan_finds(text: str) -> None:
    expected = [tuple(url["indices"]) for url in extract_urls_with_indices(text)]
    assert find_urls(text) == expected


@settings(max_examples=500)
@given(PIECED | st.text(max_size=80))
def test_the_tld_prefilter_never_turns_away_a_url(text: str) -> None:
    # Text in which twitter-text's whole URL pattern finds anything has a ".tld" it knows.
    if twitter_text._EXTRACT_URL.search(text):
        assert twitter_text._DOT_TLD.search(text)


# The prefilter as it was written before its TLD lists were folded into tries.
FLAT_DOT_TLD = re.compile(
    r"\.(?:"
    + "|".join(p.pattern for p in (twitter_text._GTLD, twitter_text._CCTLD, twitter_text._PUNYCODE))
    + ")",
    twitter_text._EXTRACT_URL.flags,
)
LISTED_TLDS = [
    word
    for listed in (twitter_text._GTLD, twitter_text._CCTLD)
    for word in re.findall(r"[^|():?]+", listed.pattern.split("(?=")[0])
]
TLD_TEXTS = st.builds(
    lambda before, tld, case, after: before + "." + case(tld) + after,
    st.sampled_from(["", "a", "x.co", "@", "日本"]),
    st.sampled_from(LISTED_TLDS).map(lambda tld: tld[: max(1, len(tld) - 1)])
    | st.sampled_from(LISTED_TLDS),
    st.sampled_from([str, str.upper, str.title, str.swapcase]),
    st.text(alphabet="a0@+-_ /.éあK\u017f\u212a", max_size=3),
)


def test_the_tries_are_built_from_twitter_texts_lists() -> None:
    assert len(LISTED_TLDS) > 1500 and "com" in LISTED_TLDS and "uk" in LISTED_TLDS
    assert twitter_text._DOT_TLD.pattern != FLAT_DOT_TLD.pattern
    assert len(twitter_text._DOT_TLD.pattern) < 1.2 * len(FLAT_DOT_TLD.pattern)


@settings(max_examples=1000)
@given(PIECED | st.text(max_size=80) | st.lists(TLD_TEXTS, max_size=4).map(" ".join))
def test_the_tld_tries_match_where_the_flat_lists_did(text: str) -> None:
    found, flat = twitter_text._DOT_TLD.search(text), FLAT_DOT_TLD.search(text)
    assert (found and found.start()) == (flat and flat.start())


def test_every_listed_tld_matches_as_the_flat_lists_did() -> None:
    for tld in LISTED_TLDS:
        for case in (str, str.upper):
            for after in ("", "/", "a", "0", "-", "é", " x"):
                text = "a." + case(tld) + after
                assert bool(twitter_text._DOT_TLD.search(text)) == bool(
                    FLAT_DOT_TLD.search(text)
                ), text


EMOJI_PIECES = [
    "😀", "👨‍👩‍👧", "👍🏽", "🇬🇧", "1️⃣", "#️⃣", "❤️", "❤", "©", "©️", "®", "™", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🏴",
    "\u200d", "\ufe0f", "\u20e3", "\U0001f3fb", "\U0001f1ec", "\U000e0067", "#", "1", "a", " ",
    "あ", "é", "\u0301", "€", "•", "🫠", "🧑‍🦰", "👩🏾‍🤝‍👨🏻", "⌚", "\u2b50",
]  # fmt: skip


# twitter-text-parser's pattern less the sequences the official library splits (below).
OFFICIAL_EMOJI = re.compile(
    twitter_text._without_split_sequences(twitter_text._LISTED_EMOJI),
    twitter_text._LISTED_EMOJI.flags,
)


def listed_emoji(text: str) -> list[tuple[int, int]]:
    return [found.span() for found in OFFICIAL_EMOJI.finditer(text)]


def rewritten_emoji(text: str) -> list[tuple[int, int]]:
    return [found.span() for found in twitter_text._emoji().finditer(text)]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(EMOJI_PIECES), max_size=12).map("".join) | st.text(max_size=20))
def test_the_rewritten_emoji_pattern_finds_what_twitter_texts_finds(text: str) -> None:
    assert rewritten_emoji(text) == listed_emoji(text)


def test_every_emoji_sequence_and_character_is_found_as_twitter_text_finds_it() -> None:
    assert twitter_text._emoji().pattern != OFFICIAL_EMOJI.pattern
    sequences = OFFICIAL_EMOJI.pattern.split("|")[:-1]
    assert len(sequences) > 1700
    for sequence in sequences:
        text = "".join(chr(int(code, 16)) for code in sequence.split("\\U")[1:])
        assert rewritten_emoji(text + "x\u200d") == listed_emoji(text + "x\u200d"), text
    planes = [range(0x10000), range(0x1F000, 0x20000), range(0xE0000, 0xE0080)]
    for code in (code for plane in planes for code in plane):
        listed = OFFICIAL_EMOJI.match(chr(code))
        rewritten = twitter_text._emoji().match(chr(code))
        assert (rewritten and rewritten.span()) == (listed and listed.span()), hex(code)


def test_every_listed_emoji_sequence_weighs_what_the_official_twitter_text_says() -> None:
    # twitter-text-parser lists newer sequences than the official 3.1.0 knows ("👱🏻‍♂" with no
    # U+FE0F, Emoji 12's people holding hands): those X counts part by part, "👱🏻‍♂" as 5.
    data = json.loads((DATA / "twitter_text_emoji.json").read_text("utf-8"))
    cases = data["cases"]
    assert len(cases) == len(twitter_text._listed_sequences(twitter_text._LISTED_EMOJI)) > 2000
    assert sum(weight != 2 for _, weight in cases) > 700
    wrong = [(text, weight) for text, weight in cases if weighted_length(text) != weight]
    assert wrong == []
    assert weighted_length("👱🏻‍♂ " * 50) == 6 * 50  # as the official count: X refuses it


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from([*EMOJI_PIECES, *URL_PIECES, "漢字", "\u2028", "\u2033", "\u1100"]),
        max_size=12,
    ).map("".join)
    | st.text(max_size=40)
)
def test_the_count_by_runs_is_the_count_a_character_at_a_time(text: str) -> None:
    # The reference counts as this module did, a character at a time.
    assert weighted_length_by_character(text) == reference.weighted_length(text)


def test_the_tld_prefilter_keeps_every_conformance_url() -> None:
    for text, _, urls in _conformance():
        if urls:
            assert twitter_text._DOT_TLD.search(text), text


def _conformance() -> list[tuple[str, int, list[str]]]:
    data = json.loads((DATA / "twitter_text_conformance.json").read_text("utf-8"))
    return [(text, length, urls) for text, length, urls in data["cases"]]


def test_every_count_matches_the_official_twitter_text() -> None:
    # The official JavaScript library's answers, recorded (see data/twitter_text_cases.py).
    cases = _conformance()
    assert len(cases) > 1000
    wrong = [
        (text, length, weighted_length(text))
        for text, length, _ in cases
        if weighted_length(text) != length
    ]
    assert wrong == []
    wrong_urls = [
        (text, urls) for text, _, urls in cases if [text[a:b] for a, b in find_urls(text)] != urls
    ]
    assert wrong_urls == []


def _official_tlds() -> list[tuple[str, str]]:
    lines = (DATA / "twitter_text_tlds.txt").read_text("utf-8")
    return [
        (kind, tld)
        for kind, tld in (line.split() for line in lines.splitlines() if not line.startswith("#"))
    ]


def test_every_tld_of_the_official_twitter_text_is_linked() -> None:
    # Kept in step with twitter-text 3.1.0's own list: a TLD it links, we count as a URL.
    official = _official_tlds()
    assert len(official) > 1500
    missed = [
        tld for _, tld in official if find_urls(f"see appeal.{tld} now") != [(4, 11 + len(tld))]
    ]
    assert missed == []


def test_the_issue_examples_count_as_x_counts() -> None:
    text = (
        "Ruth, 34, missing from Hull since Friday. Footage at footage.help.xyz, sightings to "
        "sightings.tech, updates on ruthappeal.top. Ruth is 5ft 6in with short dark hair and "
        "was wearing a green parka and white trainers. If you see her call 999; any other "
        "information to 116 000 or https://поиск.рф/и/1 please."
    )
    assert len(find_urls(text)) == 4
    # The official twitter-text 3.1.0 says 331 (the bot used to say 314, under X's limit).
    assert weighted_length(text) == 331
    assert weighted_length("https://поиск.рф/и/1") == URL_WEIGHT
    assert weighted_length("footage.help.xyz sightings.tech ruthappeal.top") == 3 * 23 + 2


def test_a_made_up_tld_is_no_link_even_with_a_protocol() -> None:
    assert find_urls("https://charity.example/a") == []
    assert weighted_length("https://charity.example/a") == 25


def test_twitter_text_loads_without_setuptools_pkg_resources() -> None:
    """Its emoji list is read through a stand-in, so a process that composes a post does not
    carry pkg_resources (about 10 MB); anything importing pkg_resources later gets the real
    one; and emoji still count as twitter-text says (a family: 2)."""
    code = (
        "import sys\n"
        "from bot.posts.twitter_text import weighted_length\n"
        "assert 'pkg_resources' not in sys.modules, 'pkg_resources was imported'\n"
        "assert weighted_length('\\U0001F468\\u200D\\U0001F469\\u200D\\U0001F467') == 2\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('pkg_resources') is not None:  # setuptools installed\n"
        "    import pkg_resources\n"
        "    assert hasattr(pkg_resources, 'iter_entry_points'), 'the stand-in stayed'\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
