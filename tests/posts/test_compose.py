"""Composing posts: the examples people will see, and properties over wide, hostile inputs."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.settings import load_settings
from bot.feeds.items import Item
from bot.posts.compose import (
    ALT_TEXT_MAX_LENGTH,
    ELLIPSIS,
    FACEBOOK_MAX_LENGTH,
    PostStyle,
    _fields,
    _fit,
    _Fitter,
    _last_fitting,
    _one_line,
    _paragraphs,
    _SpacedWordEnds,
    _tidy,
    _word_ends,
    alt_text,
    compose,
    compose_facebook,
    compose_x,
    parse_template,
    style_for,
    validate_template,
)
from bot.posts.twitter_text import MAX_WEIGHTED_LENGTH, find_urls, weighted_length
from tests.posts import compose_reference as reference

X_TEMPLATE = "{prefix}{title}. {summary} {link} {hashtags}"
FACEBOOK_TEMPLATE = "{prefix}{title}\n\n{summary}\n\n{link}\n\n{hashtags}"
LINK = "https://example.org/appeals/sam-jones-15"
APPEAL = Item(
    id="a1",
    kind="appeal",
    title="Sam Jones, 15, missing from Manchester",
    summary="Sam was last seen on Monday wearing a red coat.",
    link=LINK,
)
X_STYLE = PostStyle(X_TEMPLATE, ("#missing",))
FACEBOOK_STYLE = PostStyle(FACEBOOK_TEMPLATE, ("#missing",))


def appeal(**changes: Any) -> Item:
    return replace(APPEAL, **changes)


# --- examples ------------------------------------------------------------------------------


def test_short_appeal_is_posted_whole() -> None:
    assert compose_x(APPEAL, X_STYLE) == (
        "Sam Jones, 15, missing from Manchester. Sam was last seen on Monday wearing a red coat. "
        f"{LINK} #missing"
    )


def test_a_long_word_glued_to_a_domain_is_weighed_as_x_weighs_it() -> None:
    # Hosts with a label over 63 characters are no links on X (twitter-text's idna check), so
    # each of these words counts 68, not 23: whole, the post would be ~420 and refused.
    summary = " ".join(f"{letter * 64}.org" for letter in "bcdefg")
    text = compose_x(appeal(summary=summary, link=None), PostStyle(X_TEMPLATE, ()))
    assert not find_urls(text)
    # No link, ASCII but for "…" (2): 1 a character.
    assert text.replace(ELLIPSIS, "").isascii()
    assert len(text) + text.count(ELLIPSIS) <= MAX_WEIGHTED_LENGTH


def test_urgent_appeal_gets_the_prefix() -> None:
    text = compose_x(appeal(urgent=True), X_STYLE)
    assert text.startswith("URGENT: Sam Jones, 15")
    custom = PostStyle(X_TEMPLATE, ("#missing",), urgent_prefix="🚨 ")
    assert compose_x(appeal(urgent=True), custom).startswith("🚨 Sam Jones")


def test_urgent_news_gets_no_prefix() -> None:
    news = Item(id="n1", kind="news", title="Our annual report", urgent=True)
    assert compose_x(news, X_STYLE) == "Our annual report #missing"


def test_news_with_no_hashtags_has_no_trailing_space() -> None:
    news = Item(id="n1", kind="news", title="Our annual report", summary="Read it.", link=LINK)
    assert compose_x(news, PostStyle(X_TEMPLATE, ())) == f"Our annual report. Read it. {LINK}"


def test_empty_summary_leaves_no_dangling_full_stop_or_double_space() -> None:
    text = compose_x(appeal(summary=""), X_STYLE)
    assert text == f"Sam Jones, 15, missing from Manchester {LINK} #missing"
    bare = compose_x(Item(id="n", kind="news", title="Just a title"), PostStyle(X_TEMPLATE, ()))
    assert bare == "Just a title"


def test_a_title_that_ends_a_sentence_gets_no_second_full_stop() -> None:
    text = compose_x(appeal(title="Have you seen Sam?"), X_STYLE)
    assert text.startswith("Have you seen Sam? Sam was last seen")


def test_whitespace_in_fields_is_collapsed() -> None:
    text = compose_x(appeal(title="  Sam \n Jones ", summary="Last\tseen   Monday. "), X_STYLE)
    assert text == f"Sam Jones. Last seen Monday. {LINK} #missing"


def test_link_argument_overrides_the_items_link() -> None:
    tracked = LINK + "?utm_source=x"
    assert tracked in compose_x(APPEAL, X_STYLE, link=tracked)
    assert compose_x(appeal(link=None), X_STYLE).endswith("coat. #missing")


def test_long_summary_is_cut_at_a_word_with_an_ellipsis_and_keeps_link_and_hashtags() -> None:
    summary = " ".join(f"word{i}," for i in range(100))
    text = compose_x(appeal(summary=summary), X_STYLE)
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    assert text.endswith(f"{ELLIPSIS} {LINK} #missing")
    kept = text.split(". ", 1)[1].split(ELLIPSIS)[0]
    assert re.fullmatch(r"(word\d+, )*word\d+", kept), kept  # whole words, no dangling comma
    assert weighted_length(text) > MAX_WEIGHTED_LENGTH - 10  # and it uses the room it has


def test_a_long_url_in_the_link_is_kept_whole() -> None:
    long_link = "https://example.org/appeals/" + "sam-jones-" * 30
    text = compose_x(appeal(summary="lorem ipsum " * 40), X_STYLE, link=long_link)
    assert long_link in text.split()
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH


def test_hashtags_are_never_split() -> None:
    tags = tuple(f"#missingperson{i}" for i in range(30))
    text = compose_x(appeal(summary="lorem ipsum " * 40), PostStyle(X_TEMPLATE, tags))
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    words = text.split()
    assert all(word in tags for word in words if word.startswith("#"))
    assert words[0] == "Sam"  # hashtags went before the title did
    assert LINK in words


def test_title_is_cut_after_the_summary() -> None:
    title = " ".join(["Alexandra"] * 60)
    text = compose_x(appeal(title=title), X_STYLE)
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    assert "Sam was" not in text
    assert text.endswith(f"Alexandra{ELLIPSIS} {LINK} #missing")


def test_one_enormous_word_is_cut_between_characters() -> None:
    text = compose_x(appeal(title="x" * 500, summary=""), X_STYLE)
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    assert text.endswith(f"x{ELLIPSIS} {LINK} #missing")


@pytest.mark.parametrize("unit", ["漢字", "😀", "👨‍👩‍👧", "🇬🇧"])
def test_unspaced_cjk_and_emoji_are_cut_at_a_character(unit: str) -> None:
    text = compose_x(appeal(title=unit * 300, summary=""), X_STYLE)
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    head = text.split(ELLIPSIS)[0]
    assert head and (unit * 300).startswith(head)
    if unit != "漢字":  # an emoji sequence is one character to a reader: never split
        assert len(head) % len(unit) == 0
    assert text.endswith(f" {LINK} #missing")


def test_a_cut_never_splits_an_emoji_sequence() -> None:
    family = "👨‍👩‍👧"
    text = compose_x(appeal(title=family * 300, summary=""), X_STYLE)
    head = text.split(ELLIPSIS)[0]
    assert head == family * (len(head) // len(family))


def test_an_over_long_url_in_the_title_is_dropped_not_cut() -> None:
    url = "https://example.org/" + "a" * 30
    title = "x" * 300 + url  # one word holding a URL: it may only be cut before the URL
    text = compose_x(appeal(title=title, summary=""), X_STYLE)
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    assert all(text[a:b] in (url, LINK) for a, b in find_urls(text))


def test_a_template_of_only_fixed_text_is_cut_too() -> None:
    style = PostStyle("Please share! " * 40 + "{title}", ())
    text = compose_x(APPEAL, style)
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    assert text.endswith(ELLIPSIS)


def test_facebook_keeps_the_full_text_and_paragraphs() -> None:
    summary = "First paragraph.\n\n\n\nSecond   paragraph. " + "More. " * 100
    text = compose_facebook(appeal(summary=summary, urgent=True), FACEBOOK_STYLE)
    assert text.startswith("URGENT: Sam Jones, 15, missing from Manchester\n\nFirst paragraph.")
    assert "\n\nSecond paragraph. More." in text
    assert text.endswith(f"More.\n\n{LINK}\n\n#missing")
    assert "\n\n\n" not in text and "  " not in text


def test_facebook_empty_fields_leave_no_blank_runs() -> None:
    text = compose_facebook(appeal(summary="", link=None), PostStyle(FACEBOOK_TEMPLATE, ()))
    assert text == "Sam Jones, 15, missing from Manchester"


def test_facebook_is_cut_to_its_limit_at_a_word_keeping_the_link() -> None:
    text = compose_facebook(appeal(summary="appeal " * 20_000), FACEBOOK_STYLE)
    assert len(text) <= FACEBOOK_MAX_LENGTH
    assert text.endswith(f"appeal{ELLIPSIS}\n\n{LINK}\n\n#missing")
    assert len(text) > FACEBOOK_MAX_LENGTH - 20


def test_compose_dispatches_on_platform() -> None:
    assert compose(APPEAL, "x", X_STYLE) == compose_x(APPEAL, X_STYLE)
    assert compose(APPEAL, "facebook", FACEBOOK_STYLE) == compose_facebook(APPEAL, FACEBOOK_STYLE)
    with pytest.raises(ValueError, match="unknown platform"):
        compose(APPEAL, "myspace", X_STYLE)


def test_alt_text() -> None:
    assert alt_text(APPEAL) == "Photo of Sam Jones, 15, missing from Manchester"
    assert alt_text(appeal(image_alt=" Sam  smiling, in a red coat ")) == (
        "Sam smiling, in a red coat"
    )
    assert alt_text(appeal(image_alt="   ")) == "Photo of Sam Jones, 15, missing from Manchester"
    long = alt_text(appeal(image_alt="word " * 500))
    assert len(long) <= ALT_TEXT_MAX_LENGTH and long.endswith(f"word{ELLIPSIS}")
    unspaced = alt_text(appeal(image_alt="x" * 2000))
    assert len(unspaced) <= ALT_TEXT_MAX_LENGTH and unspaced.endswith(ELLIPSIS)


# --- templates and styles ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "culprit"),
    [
        ("{title} {titel}", "{titel}"),
        ("{title} {}", "{}"),
        ("{0}", "{0}"),
        ("{title!r}", "{title!r}"),
        ("{title:>20}", "{title:>20}"),
        ("{title", "malformed"),
        ("title}", "malformed"),
    ],
)
def test_bad_templates_are_refused_clearly(template: str, culprit: str) -> None:
    with pytest.raises(ValueError, match=re.escape(culprit)):
        validate_template(template)
    with pytest.raises(ValueError):
        PostStyle(template, ())


def test_good_templates_pass_and_braces_can_be_escaped() -> None:
    validate_template(X_TEMPLATE)
    validate_template(FACEBOOK_TEMPLATE)
    validate_template("{{not a field}} {title}")
    assert compose_x(APPEAL, PostStyle("{{x}} {title}", ())).startswith("{x} Sam")


def test_style_for_reads_the_settings() -> None:
    settings = load_settings({"NEWS_HASHTAGS": "#news #charity"}, env_file=None)
    assert style_for(settings, "x", "appeal") == PostStyle(X_TEMPLATE, ("#missing",))
    assert style_for(settings, "facebook", "news") == PostStyle(
        FACEBOOK_TEMPLATE, ("#news", "#charity")
    )
    with pytest.raises(ValueError):
        style_for(settings, "x", "gossip")
    with pytest.raises(ValueError):
        style_for(settings, "tiktok", "news")


def test_style_for_answers_for_the_settings_asked_about() -> None:
    # Styles are remembered for the last settings asked about: other settings get their own,
    # and going back gets the first ones' again.
    first = load_settings({"X_TEMPLATE": "{title} {link}"}, env_file=None)
    second = load_settings({"X_TEMPLATE": "{summary}", "APPEAL_HASHTAGS": "#a"}, env_file=None)
    for chosen, expected in [
        (first, PostStyle("{title} {link}", ("#missing",))),
        (second, PostStyle("{summary}", ("#a",))),
        (first, PostStyle("{title} {link}", ("#missing",))),
        (second, PostStyle("{summary}", ("#a",))),
    ]:
        assert style_for(chosen, "x", "appeal") == expected
        assert style_for(chosen, "x", "appeal") is style_for(chosen, "x", "appeal")
    assert style_for(first, "facebook", "appeal").template == FACEBOOK_TEMPLATE


# --- properties ----------------------------------------------------------------------------

EMOJI = ["😀", "👨‍👩‍👧", "👍🏽", "🇬🇧", "1️⃣", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"]
URLS = [
    "https://example.org/a",
    "https://www.example.co.uk/appeals/" + "x" * 120,
    "example.org/appeal/42",
    "http://example.charity/p?id=1&ref=x",
]
latin_words = st.from_regex(r"[A-Za-z]{1,12}(,|\.)?", fullmatch=True)
cjk_words = st.text(alphabet="漢字の行方不明者", min_size=1, max_size=12)
emoji_words = st.lists(st.sampled_from(EMOJI), min_size=1, max_size=4).map("".join)
hashtag_words = st.from_regex(r"#[a-z]{1,10}", fullmatch=True)
short_words = st.one_of(latin_words, cjk_words, emoji_words, st.sampled_from(URLS), hashtag_words)
long_words = st.one_of(
    st.text(alphabet="ab", min_size=100, max_size=600),
    st.text(alphabet="漢字", min_size=100, max_size=400),
    st.lists(st.sampled_from(EMOJI), min_size=50, max_size=200).map("".join),
    st.builds(
        lambda s, u: s + u,
        st.text(alphabet="ab", min_size=200, max_size=400),
        st.sampled_from(URLS),
    ),
)
templates = st.sampled_from(
    [X_TEMPLATE, "{prefix}{title}: {summary}\n{link}\n{hashtags}", "{hashtags} {title} {link}"]
)
tag_lists = st.lists(hashtag_words, max_size=8).map(tuple)


def texts(words: st.SearchStrategy[str], max_size: int) -> st.SearchStrategy[str]:
    return st.lists(words, max_size=max_size).map(" ".join)


def urls_of(*texts: str) -> set[str]:
    return {text[a:b] for text in texts for a, b in find_urls(text)}


@settings(max_examples=300, deadline=None)
@given(
    title=texts(st.one_of(short_words, long_words), 40),
    summary=texts(st.one_of(short_words, long_words), 80),
    link=st.one_of(st.none(), st.sampled_from(URLS)),
    tags=tag_lists,
    urgent=st.booleans(),
    template=templates,
)
def test_x_posts_always_fit_and_never_cut_a_url(
    title: str, summary: str, link: str | None, tags: tuple[str, ...], urgent: bool, template: str
) -> None:
    item = Item(id="p", kind="appeal", title=title, summary=summary, urgent=urgent)
    text = compose_x(item, PostStyle(template, tags), link=link)
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    assert urls_of(text) <= urls_of(title, summary, link or "")
    assert "  " not in text and text == text.strip()


@settings(max_examples=300, deadline=None)
@given(title=st.text(max_size=600), summary=st.text(max_size=600), prefix=st.text(max_size=30))
def test_x_posts_fit_for_any_text_at_all(title: str, summary: str, prefix: str) -> None:
    item = Item(id="p", kind="appeal", title=title, summary=summary, urgent=True, link=URLS[1])
    text = compose_x(item, PostStyle(X_TEMPLATE, ("#missing",), urgent_prefix=prefix))
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH


def _bare(word: str) -> str:
    return word.removesuffix(ELLIPSIS).rstrip(",.:")


@settings(max_examples=300, deadline=None)
@given(
    title=texts(short_words, 40).filter(str.strip),
    summary=texts(short_words, 80),
    link=st.sampled_from(URLS),
    tags=st.lists(hashtag_words, max_size=4).map(tuple),
    urgent=st.booleans(),
)
def test_with_ordinary_words_cuts_fall_between_words_and_keep_link_and_tags(
    title: str, summary: str, link: str, tags: tuple[str, ...], urgent: bool
) -> None:
    item = Item(id="p", kind="appeal", title=title, summary=summary, urgent=urgent)
    text = compose_x(item, PostStyle(X_TEMPLATE, tags), link=link)
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH
    source_words = {_bare(w) for w in f"URGENT: {title} {summary}".split()} | set(tags)
    for word in text.split():
        assert _bare(word) in source_words or word == link, word
    assert link in text.split()
    assert all(tag in text.split() for tag in tags)
    assert text.count(ELLIPSIS) <= 2


@settings(max_examples=30, deadline=None)
@given(
    summary=texts(st.one_of(short_words, long_words), 40)
    .filter(str.strip)
    .map(lambda s: (s + " ") * (FACEBOOK_MAX_LENGTH // len(s) + 1)),
    link=st.sampled_from(URLS),
)
def test_facebook_posts_always_fit_and_keep_the_link(summary: str, link: str) -> None:
    item = Item(id="p", kind="news", title="News", summary=summary)
    text = compose_facebook(item, FACEBOOK_STYLE, link=link)
    assert len(text.encode("utf-16-le")) // 2 <= FACEBOOK_MAX_LENGTH
    assert link in text.split()


# --- the search and the fast paths behind it ---------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=80),
    data=st.data(),
)
def test_the_search_finds_the_last_fitting_candidate_from_any_guess(
    count: int, data: st.DataObject
) -> None:
    last = data.draw(st.integers(min_value=-1, max_value=count - 1), label="last fitting")
    guess = data.draw(st.one_of(st.none(), st.integers(-5, count + 5)), label="guess")
    asked: list[int] = []

    def fits(k: int) -> bool:
        assert 0 <= k < count, "asked about a candidate that does not exist"
        asked.append(k)
        return k <= last

    assert _last_fitting(fits, count, guess) == last
    if guess is not None and 0 <= guess < count:
        error = abs(guess - last)
        # Exact: is it in, is the next one out. Off by one: one question more.
        assert len(asked) <= {0: 2, 1: 3}.get(error, 2 * error.bit_length() + 2), asked


@given(
    st.text(alphabet=" \nab.", max_size=12)
    | st.text(alphabet=" \t\n\r\x0b\x0c\x1c\u00a0\u2028\u3000ab…", max_size=40)
)
def test_tidy_collapses_whitespace_exactly_as_the_regular_expression_did(text: str) -> None:
    lines = [re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n")]
    expected = unicodedata.normalize("NFC", re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())
    assert _tidy(text) == expected


@given(
    st.text(alphabet=" ab.", max_size=12)
    | st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x7f\u00a0\u2028ab.…e\u0301", max_size=40)
)
@example("a ")
@example(" a")
@example("a  b")
@example("a\tb")
@example("a\nb")
@example("")
def test_lines_and_paragraphs_are_tidied_as_before(text: str) -> None:
    assert _one_line(text) == reference._one_line(text)
    assert _paragraphs(text) == reference._paragraphs(text)


@given(st.text(alphabet=" \t\u00a0ab…", max_size=40))
def test_word_ends_agree_with_the_regular_expression(text: str) -> None:
    assert _word_ends(text) == [m.end() for m in re.finditer(r"\S+", text)]


@given(
    st.lists(st.text(alphabet="ab…", min_size=1, max_size=3), max_size=40).map(" ".join),
    st.lists(st.integers(min_value=0, max_value=45), max_size=12),
    st.one_of(st.none(), st.floats(min_value=0, max_value=200)),
)
def test_word_ends_found_as_asked_are_the_word_ends(
    text: str, asked: list[int], limit: float | None
) -> None:
    ends = _word_ends(text)
    lazy = _SpacedWordEnds(text)
    assert len(lazy) == len(ends)
    if limit is not None:
        within = lazy.count_within(limit)
        assert within == bisect_right(ends, limit)
        asked = [within - 1, within, *asked]  # the search's first questions, after the guess
    for index in asked:
        if 0 <= index < len(ends):
            assert lazy[index] == ends[index], index
        elif index >= len(ends):
            with pytest.raises(IndexError):
                lazy[index]


@pytest.mark.parametrize("words", [60, 400, 4000])
def test_a_long_summary_is_cut_as_far_as_fits_with_a_handful_of_measurements(words: int) -> None:
    # A poll of thousands of appeals composes each one: count the candidate texts weighed
    # (not the time taken), and check the cut is still the longest that fits.
    summary = " ".join(f"word{n}" for n in range(words))
    item = Item(id="c", kind="appeal", title="Sam, 15, missing", summary=summary, link=URLS[0])
    style = PostStyle(X_TEMPLATE, ("#missing",))
    fields = _fields(item, style, None, paragraphs=False)
    weighed: list[str] = []

    def counting_length(text: str) -> int:
        weighed.append(text)
        return weighted_length(text)

    text = _fit(fields, _Fitter(parse_template(X_TEMPLATE), fields, counting_length, 280))
    assert text == compose_x(item, style)
    kept = text.split(ELLIPSIS)[0].split(". ", 1)[1].split()
    assert kept == summary.split()[: len(kept)]
    one_more = text.replace(f"{kept[-1]}{ELLIPSIS}", f"{kept[-1]} word{len(kept)}{ELLIPSIS}")
    assert weighted_length(text) <= MAX_WEIGHTED_LENGTH < weighted_length(one_more)
    assert len(weighed) <= 5, weighed


def test_a_template_gluing_fields_together_is_searched_without_a_guess() -> None:
    # "{title}{summary}{link}": with the summary gone, title and link run together and the link
    # is no longer a URL to X (a flat 23) but 300 characters, so a shorter text can weigh more.
    # No guessing there: the search is the plain bisection, whose answer stays what it was.
    link = "https://example.org/" + "p" * 300
    item = Item(id="g", kind="news", title="Sam Jones", summary="Seen in town. " * 30, link=link)
    text = compose_x(item, PostStyle("{title}{summary}{link}", ()))
    assert text == f"Sam{ELLIPSIS}{link}"  # what the bisection gives, as before any guessing
