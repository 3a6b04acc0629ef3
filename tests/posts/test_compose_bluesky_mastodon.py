"""Bluesky and Mastodon texts: fitted to 300 graphemes and to the instance's limit, link whole.

Lengths are checked with the fakes' own counters (``bot.fakes.*``), which follow the platforms'
rules, not with the composer's.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.appeals.thanks import thanks_text
from bot.fakes.bluesky_server import graphemes as pds_graphemes
from bot.fakes.mastodon_server import countable_length
from bot.feeds.items import Item
from bot.posts.compose import (
    ELLIPSIS,
    PostStyle,
    compose,
    compose_bluesky,
    compose_mastodon,
)
from bot.posts.planner import plan_posts
from tests.factories import NOW, make_settings

BLUESKY_TEMPLATE = "{prefix}{title}. {summary} {link} {hashtags}"
MASTODON_TEMPLATE = "{prefix}{title}\n\n{summary}\n\n{link}\n\n{hashtags}"
LINK = "https://charity.example/appeals/42?utm_source=bluesky&utm_medium=social"
EMOJI = ["😀", "👨‍👩‍👧‍👦", "👍🏽", "🇬🇧", "1️⃣", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "é"]

latin = st.from_regex(r"[A-Za-z]{1,12}(,|\.)?", fullmatch=True)
cjk = st.text(alphabet="漢字の行方不明者", min_size=1, max_size=12)
cyrillic = st.text(alphabet="Пропалаяднвк", min_size=1, max_size=12)
emoji = st.lists(st.sampled_from(EMOJI), min_size=1, max_size=6).map("".join)
tags = st.from_regex(r"#[a-z]{1,10}", fullmatch=True)
words = st.one_of(latin, cjk, cyrillic, emoji, tags)
huge = st.one_of(
    st.lists(st.sampled_from(EMOJI), min_size=100, max_size=200).map("".join),
    st.text(alphabet="漢字", min_size=200, max_size=600),
)


def texts(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(words, huge), max_size=max_size).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    title=texts(30),
    summary=texts(80),
    hashtags=st.lists(tags, max_size=5).map(tuple),
    urgent=st.booleans(),
)
def test_bluesky_posts_fit_300_graphemes_and_keep_the_link(
    title: str, summary: str, hashtags: tuple[str, ...], urgent: bool
) -> None:
    item = Item(id="p", kind="appeal", title=title, summary=summary, urgent=urgent)
    text = compose_bluesky(item, PostStyle(BLUESKY_TEMPLATE, hashtags), link=LINK)
    assert pds_graphemes(text) <= 300
    assert len(text.encode("utf-8")) <= 3000
    assert LINK in text.split()


@settings(max_examples=60, deadline=None)
@given(title=texts(30), summary=texts(120), hashtags=st.lists(tags, max_size=5).map(tuple))
def test_mastodon_posts_fit_500_with_urls_as_23(
    title: str, summary: str, hashtags: tuple[str, ...]
) -> None:
    item = Item(id="p", kind="appeal", title=title, summary=summary)
    text = compose_mastodon(item, PostStyle(MASTODON_TEMPLATE, hashtags), link=LINK)
    assert countable_length(text, 23) <= 500
    assert LINK in text.split()


def test_a_family_emoji_counts_as_one_on_bluesky() -> None:
    """A family emoji is one grapheme of 7 code points and 25 bytes: 150 of them fit the 300
    graphemes but not the 3,000 bytes, which then decide; flags (2 code points each) fit by
    graphemes where counting code points would cut them at half."""
    item = Item(id="p", kind="appeal", title="Seen?", summary="👨‍👩‍👧‍👦" * 150)
    text = compose_bluesky(item, PostStyle(BLUESKY_TEMPLATE, ()), link=LINK)
    assert len(text.encode("utf-8")) <= 3000 and text.endswith(LINK)
    flags = Item(id="p", kind="appeal", title="Seen?", summary=" ".join(["🇬🇧"] * 400))
    flagged = compose_bluesky(flags, PostStyle(BLUESKY_TEMPLATE, ()), link=LINK)
    assert pds_graphemes(flagged) <= 300 < len(flagged)  # code points would cut far shorter
    assert ELLIPSIS in flagged


def test_compose_dispatches_to_bluesky_and_mastodon() -> None:
    item = Item(id="p", kind="appeal", title="Sam, 15", summary="Seen Monday.")
    style = PostStyle(BLUESKY_TEMPLATE, ("#missing",))
    assert compose(item, "bluesky", style, LINK) == compose_bluesky(item, style, LINK)
    assert compose(item, "mastodon", style, LINK) == compose_mastodon(item, style, LINK)


def test_links_are_tagged_with_the_platform_as_utm_source(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        PLATFORMS="x,facebook,bluesky,mastodon",
        TRACKING_DOMAINS="charity.example",
    )
    item = Item(
        id="a1",
        kind="appeal",
        title="Sam, 15, missing from Leeds",
        summary="Seen Monday.",
        link="https://charity.example/appeals/a1",
    )
    planned = {p.platform: p for p in plan_posts(item, settings, NOW)}
    assert set(planned) == {"x", "facebook", "bluesky", "mastodon"}
    for platform in ("bluesky", "mastodon"):
        link = planned[platform].link
        assert link is not None and f"utm_source={platform}" in link
        assert link in planned[platform].text.split()


def test_the_found_thank_you_fits_bluesky_with_a_long_name() -> None:
    item = Item(id="a1", kind="appeal", title="Sam " + "Longname " * 60, link=LINK)
    text = thanks_text(
        "Update: {title} has been found. Thank you for sharing {link}", item, "bluesky"
    )
    assert pds_graphemes(text) <= 300 and text.endswith(LINK)
