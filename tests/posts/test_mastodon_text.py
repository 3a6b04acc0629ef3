"""Mastodon's count of a status's length, case by case from its link grammar
(config/initializers/twitter_regex.rb and StatusLengthValidator), links counted as 23."""

from __future__ import annotations

import pytest

from bot.posts.compose import MastodonLimits, PostStyle, compose_mastodon, mastodon_length
from bot.posts.mastodon_text import countable_length
from tests.factories import make_item

LINK = "https://charity.org.uk/appeals/42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # What follows a link and cannot end one counts as characters.
        ("see https://missingpeople.org.uk/help).", 4 + 23 + 2),
        ("(https://a.org/b)", 1 + 23 + 1),
        ("https://a.org/a.=", 23 + 2),
        ("call us, https://a.org/x, or text", 9 + 23 + 9),
        ('"https://a.org/x"', 1 + 23 + 1),
        # Balanced brackets, a query ending in "=", any scheme Mastodon links, any path letter.
        ("https://en.wikipedia.org/wiki/Foo_(bar)", 23),
        ("https://a.org/x?y=", 23),
        ("gemini://a.org/x", 23),
        ("visit https://a.org/日本語/ok.", 6 + 23 + 1),
        ("two https://a.org https://b.org", 4 + 23 + 1 + 23),
        # No link: no known top-level domain, no scheme, or a letter or "@" glued before it.
        ("x https://intranet/a/very/long/path/here", 40),
        ("https://charity.example/appeals/1", 33),
        ("a.org/without/scheme/counted/as/is", 34),
        ("x@https://a.org/b", 17),
        ("xhttps://a.org/b", 16),
        # Graphemes: a family emoji is one.
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467 https://a.org", 1 + 1 + 23),
    ],
)
def test_a_status_counts_as_mastodon_counts_it(text: str, expected: int) -> None:
    assert countable_length(text, 23) == expected
    assert mastodon_length(text) == expected


def test_an_instance_with_other_link_weight() -> None:
    assert mastodon_length("see https://a.org/b.", MastodonLimits(500, url_weight=30)) == 35


def test_a_summary_with_a_bracketed_link_is_cut_to_fit_as_mastodon_counts() -> None:
    # Before, "https://…/help)." counted as one 23-character link, so a status cut to exactly
    # 500 was 502 to Mastodon, which refuses it.
    summary = ("Sam was last seen near the station. " * 8) + (
        "Anyone with information should call 116 000 (or see https://missingpeople.org.uk/help). "
    ) * 5
    item = make_item(1, summary=summary)
    text = compose_mastodon(item, PostStyle("{title}\n\n{summary}\n\n{link} {hashtags}", ()), LINK)
    assert countable_length(text, 23) <= 500
    assert LINK in text
