"""The composer and the planner give exactly the text the composer gave before its fast paths
(tests/posts/compose_reference.py), for every platform, over wide and hostile inputs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.core.settings import Settings, load_settings
from bot.feeds.items import Item
from bot.posts import compose as composer
from bot.posts import twitter_text
from bot.posts.compose import PLATFORMS, PostStyle, alt_text, compose
from bot.posts.planner import plan_posts, post_content, targets_for
from bot.posts.queue import priority_of
from bot.posts.states import PostStatus
from tests.posts import compose_reference as reference

EMOJI = ["😀", "👨‍👩‍👧", "👍🏽", "🇬🇧", "1️⃣", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "©", "®️", "#️⃣"]
URLS = [
    "https://example.org/a",
    "https://www.example.co.uk/appeals/" + "x" * 120,
    "example.org/appeal/42",
    "http://example.charity/p?id=1&ref=x",
    "https://charity.example/appeals/00042-sam",  # a made-up TLD: no link to X
    "https://поиск.рф/и/1",
    "https://example.org/" + "p" * 4100,  # over twitter-text's URL limit: counted by character
]
# Words as feeds write them, and the ones that make weighing hard: dots before letters ("e.g.",
# "Hull.Then"), a bare domain, dangling punctuation, the ellipsis itself, curly quotes, accents
# composed and not, a combining mark alone, heavy characters, emoji, keycap bases.
ODD_WORDS = [
    "e.g.", "U.K.", "Hull.Then", "a.b", "bit.ly", "co.uk", "—", "–", ",", "...", "…", "(see",
    "seen,", "Monday.", "it’s", "“quoted”", "café", "cafe\u0301", "\u0301", "ẞ", "Zoë.", "漢字",
    "行方不明", "#missing", "＃tag", "@police", "5ft", "116 000", "#", "*", "1", "x\u200dy",
]  # fmt: skip
latin = st.builds(
    str.__add__,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789'", min_size=1, max_size=12),
    st.sampled_from(["", "", "", ",", ".", ";", ":", "!", "?"]),
)
word = st.one_of(
    latin,
    latin,
    st.sampled_from(ODD_WORDS),
    st.sampled_from(EMOJI),
    st.sampled_from(URLS[:6]),
    st.text(alphabet="漢字の", min_size=1, max_size=8),
    st.text(min_size=1, max_size=6),
)
long_word = st.one_of(
    st.text(alphabet="ab", min_size=100, max_size=400),
    st.text(alphabet="漢字", min_size=100, max_size=200),
    st.lists(st.sampled_from(EMOJI), min_size=20, max_size=60).map("".join),
    st.builds(lambda s, u: s + u, st.text(alphabet="ab", min_size=150, max_size=300),
              st.sampled_from(URLS[:6])),
)  # fmt: skip
space = st.sampled_from([" ", " ", " ", "  ", "\t", "\n", "\n\n", "\n\n\n", "\u00a0", "\u3000"])


@st.composite
def texts(draw: st.DrawFn, max_words: int) -> str:
    words = draw(st.lists(st.one_of(word, word, word, long_word), max_size=max_words))
    return "".join(w + draw(space) for w in words).strip(draw(st.sampled_from(["", " \n"])))


TEMPLATES = [
    "{prefix}{title}. {summary} {link} {hashtags}",
    "{prefix}{title}\n\n{summary}\n\n{link}\n\n{hashtags}",
    "{prefix}{title}: {summary}\n{link}\n{hashtags}",
    "{hashtags} {title} {link}",
    "{title}{summary}{link}",  # glued: shorter is not always lighter
    "{prefix}{title}.{summary} {link}",
    "{title} ({summary}) {link} {hashtags}",
    "{summary} {title} {summary} {link}",  # the summary twice
    "{prefix}{title}. {summary}",
    "{summary}",
    "Missing: {title} – {summary} … {link} {hashtags}",
    "{prefix} {title}\t{summary}  {link}\n\n\n{hashtags}.",
    "Please share. {summary} {hashtags}",
    "{title}: {summary}. {link}",  # a full stop after the summary, dropped after "…"
    "{title} {summary}́ {link}",  # a combining mark glued to the summary's last word
]
items = st.builds(
    Item,
    id=st.sampled_from(["a1", "appeal-00042", "x" * 100]),
    kind=st.sampled_from(["appeal", "news"]),
    title=texts(12),
    summary=texts(120),
    link=st.one_of(st.none(), st.just(""), st.sampled_from(URLS)),
    urgent=st.booleans(),
    image_url=st.sampled_from([None, "https://example.org/p.jpg"]),
    image_alt=st.one_of(st.none(), texts(4)),
    region=st.sampled_from([None, "north-west", "North West", "wales"]),
)
tag_lists = st.lists(st.sampled_from(["#missing", "#findSam", "#漢字", "#a_b"]), max_size=4)
prefixes = st.sampled_from(["URGENT: ", "", "⚠️ ", "URGENT:", "Appeal — "])
styles = st.builds(
    PostStyle,
    template=st.sampled_from(TEMPLATES),
    hashtags=tag_lists.map(tuple),
    urgent_prefix=prefixes,
)
# The default templates, whose summary stands apart: where the composer reckons a cut's weight.
apart_styles = st.builds(
    PostStyle,
    template=st.sampled_from(TEMPLATES[:3]),
    hashtags=tag_lists.map(tuple),
    urgent_prefix=prefixes,
)
links = st.one_of(st.none(), st.sampled_from(URLS))

# Words of plain text (one weight a character, the ellipsis two; no "." before a letter), as
# nearly every feed writes them: the composer's arithmetic does the work there, and here the
# search has to land on the exact word.
PLAIN_WORDS = [
    "—", "–", ",", "...", "…", "(see", "seen,", "Monday.", "it’s", "“quoted”", "café",
    "cafe\u0301", "Zoë.", "\u0301", "5ft", "#", "*", "1", "(", "?!",
]  # fmt: skip
plain_items = st.builds(
    Item,
    id=st.just("p"),
    kind=st.just("appeal"),
    title=st.lists(latin, min_size=1, max_size=12).map(" ".join),
    summary=st.one_of(
        st.lists(st.one_of(latin, latin, st.sampled_from(PLAIN_WORDS)), min_size=30, max_size=150),
        st.lists(st.one_of(latin, st.sampled_from(ODD_WORDS[:16])), max_size=150),
    ).map(" ".join),
    link=st.sampled_from(URLS),
    urgent=st.booleans(),
)


def same_everywhere(item: Item, style: PostStyle, link: str | None) -> None:
    for platform in PLATFORMS:
        expected = reference.compose(item, platform, style, link)
        assert compose(item, platform, style, link) == expected, platform


@settings(max_examples=150, deadline=None)
@given(item=items, style=styles, link=links)
@example(
    item=Item(id="g", kind="news", title="Sam Jones", summary="Seen in town. " * 30),
    style=PostStyle("{title}{summary}{link}", ()),
    link="https://example.org/" + "p" * 300,
)
def test_every_platform_composes_exactly_as_before(
    item: Item, style: PostStyle, link: str | None
) -> None:
    same_everywhere(item, style, link)


@settings(max_examples=200, deadline=None)
@given(item=plain_items, style=apart_styles | styles, link=links)
def test_plain_words_are_cut_at_exactly_the_same_word(
    item: Item, style: PostStyle, link: str | None
) -> None:
    same_everywhere(item, style, link)


SETTINGS = [
    load_settings(environment, env_file=None)
    for environment in (
        {},
        {
            "PLATFORMS": "x,facebook,bluesky,mastodon",
            "APPEALS_FEED_URL": "https://example.org/feed.xml",
            "REGION_HASHTAGS": "north-west=#NorthWest #missing;wales=#Cymru",
            "FACEBOOK_PAGE_ID": "100",
            "FACEBOOK_PAGE_ACCESS_TOKEN": "fake-token-100",
            "FACEBOOK_REGIONAL_PAGES": "north-west=111,wales=222",
            "FACEBOOK_PAGE_ACCESS_TOKEN_111": "fake-token-111",
            "FACEBOOK_PAGE_ACCESS_TOKEN_222": "fake-token-222",
            "URGENT_PREFIX": "⚠️ ",
        },
        {
            "PLATFORMS": "facebook,x",
            "APPEALS_FEED_URL": "https://charity.example/feed.xml",
            "X_TEMPLATE": "{title}{summary}{link}",
            "FACEBOOK_TEMPLATE": "{summary} {title} {summary} {link}",
            "APPEAL_HASHTAGS": "",
            "TRACKING": "0",
        },
    )
]


@settings(max_examples=60, deadline=None)
@given(item=items, settings_=st.sampled_from(SETTINGS))
def test_the_planner_gives_each_post_the_text_and_link_it_gave_before(
    item: Item, settings_: Settings
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    planned = plan_posts(item, settings_, now)
    expected = {p: reference.post_content(item, settings_, p) for p in settings_.platforms}
    for post in planned:
        assert (post.text, post.link) == expected[post.platform]
        assert post.alt_text == (reference.alt_text(item) if item.image_url else None)
        # Every other field in its place too (the planner builds posts by position).
        assert (post.image_url, post.scheduled_at, post.pinned_at) == (item.image_url, now, None)
        assert (post.priority, post.round) == (priority_of(item.kind, item.urgent), 0)
        assert post.status == PostStatus.QUEUED
    assert [(p.platform, p.target) for p in planned] == [
        (platform, target)
        for platform in settings_.platforms
        for target in targets_for(item, settings_, platform)
    ]
    for platform in settings_.platforms:
        assert post_content(item, settings_, platform) == expected[platform]
    assert alt_text(item) == reference.alt_text(item)


# The fast paths' own claims, checked directly: a wrong reckoning is caught when the kept text
# is weighed (and costs only time), so the texts alone would not show one.


@settings(max_examples=150, deadline=None)
@given(item=st.one_of(items, plain_items), style=styles, link=links, data=st.data())
def test_a_frame_with_words_put_in_is_the_post_rendered_with_them(
    item: Item, style: PostStyle, link: str | None, data: st.DataObject
) -> None:
    for paragraphs in (False, True):
        fields = composer._fields(item, style, link, paragraphs=paragraphs)
        parts = composer.parse_template(style.template)
        frame = composer._summary_frame(composer._layout(tuple(parts)), fields)
        ends = composer._word_ends(fields.summary)
        if frame is None or not ends:
            continue
        k = data.draw(st.integers(min_value=1, max_value=len(ends)), label="words kept")
        kept = composer._with_ellipsis(fields.summary[: ends[k - 1]])
        if k == len(ends):
            kept = fields.summary
        rendered = composer._render(parts, fields._replace(summary=kept))
        assert (frame.replace(composer._SLOT, kept) if kept else rendered) == rendered


@settings(max_examples=150, deadline=None)
@given(item=st.one_of(items, plain_items), style=styles, link=links, data=st.data())
def test_a_reckoned_weight_is_the_weight_of_the_post_rendered(
    item: Item, style: PostStyle, link: str | None, data: st.DataObject
) -> None:
    fields = composer._fields(item, style, link, paragraphs=False)
    parts = composer.parse_template(style.template)
    fitter = composer._Fitter(parts, fields, reference.weighted_length, 280, composer.plain_weight)
    whole = composer.plain_weight(fields.summary)
    ends = composer._word_ends(fields.summary)
    if whole is None or not ends or not composer._stands_apart(parts, "summary"):
        return

    def cut(k: int) -> str:
        return composer._with_ellipsis(fields.summary[: ends[k - 1]]) if k else ""

    reckon = composer._summary_reckoning(cut, fields.summary.isascii(), fitter, whole)
    for k in data.draw(st.lists(st.integers(0, len(ends)), max_size=5), label="words kept"):
        kept = composer._with_ellipsis(fields.summary[: ends[k - 1]]) if k else ""
        rendered = composer._render(parts, fields._replace(summary=kept))
        assert reckon(k) in (None, reference.weighted_length(rendered))
        if kept:
            assert reckon(k) is not None  # a plain summary's cuts are all reckoned


def test_the_reference_is_the_old_composer_and_not_the_new_one() -> None:
    # An oracle that called the code under test would agree with any bug in it.
    assert reference.compose is not composer.compose
    assert reference._fit is not composer._fit
    assert reference.weighted_length is not composer.weighted_length


# Templates with every placement rule in play: fields glued, separators of punctuation and of
# whitespace alone, a full stop after a field, a field twice, literals only.
RENDER_TEMPLATES = [
    *TEMPLATES,
    "{title}.{link}",
    ". {title}. {summary}. {hashtags}.",
    "{prefix}{prefix}{title}",
    "no fields at all",
    "",
    "{link}",
    "{title} – {summary} – {link}",
    "{summary}\t.\n{title}",
]
field_texts = st.one_of(st.just(""), texts(6), st.sampled_from(["Seen.", "Why?", "Found!", "a…"]))


@settings(max_examples=300, deadline=None)
@given(
    template=st.sampled_from(RENDER_TEMPLATES),
    values=st.tuples(field_texts, field_texts, field_texts, field_texts),
    hashtags=tag_lists.map(tuple),
)
def test_rendering_fills_a_template_as_before(
    template: str, values: tuple[str, str, str, str], hashtags: tuple[str, ...]
) -> None:
    # Any field may be empty: each separator beside an empty field loses its punctuation.
    parts = composer.parse_template(template)
    rendered = composer._render(parts, composer._Fields(*values, hashtags))
    assert rendered == reference._render(parts, reference._Fields(*values, hashtags))


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40)
    | st.text(max_size=20)
    | st.lists(st.sampled_from(["a", "b", " ", "  ", "\t", "\x7f", "\x00", "~", "é"])).map("".join)
)
def test_a_tidy_line_is_printable_ascii_single_spaced(text: str) -> None:
    # As the check read before its pattern: _one_line and _paragraphs return such text as it is.
    expected = (
        text.isascii()
        and text.isprintable()
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
    )
    assert composer._is_tidy_line(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60) | st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60))
def test_facebook_counts_utf16_units_as_before(text: str) -> None:
    # ASCII is counted with len(); everything else by its UTF-16 encoding, as before.
    assert composer._utf16_length(text) == reference._utf16_length(text)
    assert composer._utf16_length(text) == len(text.encode("utf-16-le")) // 2


# Pieces of a rendered post: those of the lines that skip collapsing, then any whitespace.
TIDY_PIECES = ["a", "bc", " ", "\n", "\n\n", "\n\n\n", "\x00", "#x", "."]
UNTIDY_PIECES = [*TIDY_PIECES, "  ", "\t", "\r\n", "é", "\u00a0", "\x1f", "\x0b", "\x7f"]


tidy_lines = st.lists(st.sampled_from(TIDY_PIECES), max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    tidy_lines
    | st.builds(  # tidy but for one piece
        lambda before, piece, after: before + piece + after,
        tidy_lines,
        st.sampled_from(UNTIDY_PIECES),
        tidy_lines,
    )
    | st.lists(st.sampled_from(UNTIDY_PIECES), max_size=20).map("".join)
    | texts(10)
)
def test_tidying_lines_gives_what_it_gave_before(text: str) -> None:
    # Lines already single-spaced skip the collapsing; every other text is collapsed as before.
    assert composer._tidy(text) == reference._tidy(text)


# Pieces of text around a link: words with dots before letters, links, and every kind of
# character that may stand next to one (whitespace of all sorts, unprintable ones, "@").
URL_PIECES = [
    "a", "b.c", "e.g.", "example.org", "https://example.org/a", "bit.ly/x", "x.jp/", "日本",
    "é", ".", "@", "#", " ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\x1c",
    "\x00", "\u200d", "…",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(URL_PIECES), max_size=16).map("".join) | texts(10))
def test_urls_are_found_where_they_were_before(text: str) -> None:
    # The word around a dot is read between the spaces beside it where it is printable, and
    # as a run of non-whitespace otherwise: the same windows, so the same links.
    assert twitter_text._url_matches(text) == reference._urls(text)


def _heavier_cut(text: str) -> int:
    # Weighs a cut post more than it is: a reckoning from the whole post is then wrong.
    return reference.weighted_length(text) + (1 if composer.ELLIPSIS in text else 0)


def _lighter_cut(text: str) -> int:
    # Weighs a cut post less: a reckoning would then keep fewer words than fit.
    return reference.weighted_length(text) - (8 if composer.ELLIPSIS in text else 0)


# Summaries of ASCII words that weigh simply, with the punctuation a cut must strip before "…"
# (words of it alone, too): the summaries _cut_plain_summary takes.
ASCII_PLAIN_WORDS = ["...", ",", "(see", "seen,", "Monday.", "5ft", "#", "*", "1", "(", "?!", ";"]
plain_ascii_items = st.builds(
    Item,
    id=st.just("p"),
    kind=st.just("appeal"),
    title=st.one_of(texts(12), st.lists(latin, min_size=1, max_size=12).map(" ".join)),
    summary=st.lists(
        st.one_of(latin, latin, st.sampled_from(ASCII_PLAIN_WORDS)), min_size=20, max_size=150
    ).map(" ".join),
    link=st.one_of(st.none(), st.sampled_from(URLS)),
    urgent=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    item=st.one_of(plain_ascii_items, plain_ascii_items, plain_items),
    style=apart_styles | apart_styles | styles,
    link=links,
    measure=st.sampled_from([reference.weighted_length, _heavier_cut, _lighter_cut]),
)
def test_a_plain_summary_is_cut_as_the_general_search_cuts_it(
    item: Item, style: PostStyle, link: str | None, measure: Callable[[str], int]
) -> None:
    # The fast path for an ASCII summary of plain words, against the general search it stands
    # in for: the same post, also when its reckoning is wrong (the lying measures), where both
    # must fall back to weighing every candidate.
    fields = composer._fields(item, style, link, paragraphs=False)
    parts = composer.parse_template(style.template)

    def fitter() -> composer._Fitter:
        return composer._Fitter(parts, fields, measure, 280, composer.plain_weight)

    fast = fitter()
    plain = composer.plain_weight(fields.summary)
    assume(fast.frame is not None and fields.summary.isascii() and not fast.fits(fast.full))
    assume(plain is not None)  # as every summary of plain_ascii_items, not all of plain_items
    assert plain is not None
    found = composer._cut_plain_summary(fast, fast.full, plain)
    assert found == composer._cut_summary(fitter(), fast.full, True, plain)
    if found is not None:
        assert measure(found) <= 280
