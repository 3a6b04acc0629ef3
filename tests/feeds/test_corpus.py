"""The corpus: small real-shaped feeds, one per CMS and quirk, each beside the items a person
reading it would take from it (``<name>.expected.json``), run through fetch → parse → compose.

Each feed is served over local HTTP with the Content-Type its site would send; the expected
file gives, per item, the id (a trailing ":" or "#" means "starts with": a hash follows), the
title, how the summary starts, the photo (``{feed_dir}`` is the feed's folder) and its alt.
To add a case: drop ``<name>.xml`` and ``<name>.expected.json`` in tests/feeds/corpus/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from bot.core.net import NetPolicy
from bot.feeds.fetch import FeedRules, fetch_feed, parse_feed
from bot.posts.planner import post_content
from bot.posts.twitter_text import MAX_WEIGHTED_LENGTH, weighted_length
from tests.factories import make_settings

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

CORPUS = Path(__file__).parent / "corpus"
FEEDS = sorted(path.stem for path in CORPUS.glob("*.xml"))


def test_the_corpus_has_a_feed_per_cms_and_quirk() -> None:
    assert len(FEEDS) >= 30
    assert sorted(p.name.removesuffix(".expected.json") for p in CORPUS.glob("*.json")) == FEEDS


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


@pytest.mark.parametrize("name", FEEDS)
def test_corpus_feed(
    name: str, feed_server: FeedServer, session: requests.Session, tmp_path: Path
) -> None:
    expected: dict[str, Any] = json.loads((CORPUS / f"{name}.expected.json").read_text("utf-8"))
    url = feed_server.serve(
        f"/corpus/{name}.xml",
        (CORPUS / f"{name}.xml").read_bytes(),
        content_type=expected["content_type"],
    )
    settings = make_settings(tmp_path)
    fetched = fetch_feed(url, None, None, NetPolicy(10, settings.feed_max_bytes))
    parsed = parse_feed(
        fetched.body or b"",
        url,
        "appeal",
        FeedRules.from_settings(settings),
        content_type=fetched.content_type,
        base_url=fetched.final_url,
    )
    assert parsed.note is None  # every corpus feed decodes cleanly
    feed_dir = url.rsplit("/", 1)[0] + "/"
    got = [
        {
            "id": item.id,
            "title": item.title,
            "summary": item.summary,
            "photo": item.image_url,
            "alt": item.image_alt,
        }
        for item in parsed.items
    ]
    assert len(got) == len(expected["items"]), got
    for item, want in zip(got, expected["items"], strict=True):
        if want["id"].endswith((":", "#")):
            assert item["id"].startswith(want["id"]) and len(item["id"]) > len(want["id"])
        else:
            assert item["id"] == want["id"]
        assert item["title"] == want["title"]
        assert item["summary"].startswith(want["summary_start"]), item["summary"]
        photo = want["photo"].replace("{feed_dir}", feed_dir) if want["photo"] else None
        assert (item["photo"], item["alt"]) == (photo, want["alt"])

    for item in parsed.items:
        x_text, _ = post_content(item, settings, "x")
        assert weighted_length(x_text) <= MAX_WEIGHTED_LENGTH
        assert item.title in x_text
        facebook_text, _ = post_content(item, settings, "facebook")
        assert item.title in facebook_text and item.summary[:20] in facebook_text
