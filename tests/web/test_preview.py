"""Post previews and the one count: bot.web.preview against twitter-text's weighted length, the
/preview endpoint the edit page's script calls, and the queue and edit pages showing them."""

from __future__ import annotations

import re

import pytest
import sqlite_utils
from flask import Flask

from bot.core.settings import Settings
from bot.posts.approval import platform_length
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.posts.twitter_text import weighted_length
from bot.web.preview import Segment, clean_text, count_for, preview, segments
from tests.factories import NOW, make_item
from tests.web.signin import login

# The X-length cases the page's counter must agree with the server on (also run in the browser
# by tests/web/test_web_e2e.py).
COUNT_CASES = [
    "Jamie 👨‍👩‍👧 missing 🇬🇧 1️⃣ 👍🏽 please share",
    "北京 東京 서울: 失踪者を探しています",
    "See https://charity.example/appeals/jamie?utm_source=x and charity.org.uk/help (call 116 000)",
    "#MissingPerson #Leeds #2026 share&#39;s",
    "Last seen in Leeds.Please share, e.g. on the bus…",
    "Cafe\u0301 © ® ™ — “quotes”\n\nsecond paragraph\r\n   ",
    "x" * 281,
]


@pytest.mark.parametrize("text", COUNT_CASES)
def test_the_count_is_the_servers_check(text: str) -> None:
    assert count_for("x", text) == weighted_length(clean_text(text))
    assert count_for("x", text) == platform_length("x", clean_text(text))


def test_facebook_counts_utf16_units_as_the_server_checks() -> None:
    assert count_for("facebook", "👍 ok") == 5  # a surrogate pair and three
    assert count_for("facebook", " a\r\nb ") == 3


def test_x_shows_links_short_and_hashtags_and_mentions_as_links() -> None:
    # A real TLD: X links only those (".example" is none, and "www.charity" would be a link).
    text = "Help https://www.charity.org.uk/appeals/jamie-fictional-2026 #Missing @charity #2026"
    assert segments(text, "x") == [
        Segment("text", "Help "),
        Segment("link", "charity.org.uk/appeals/…"),
        Segment("text", " "),
        Segment("hashtag", "#Missing"),
        Segment("text", " "),
        Segment("mention", "@charity"),
        Segment("text", " #2026"),
    ]
    shown = segments(text, "facebook")
    assert Segment("link", "https://www.charity.org.uk/appeals/jamie-fictional-2026") in shown
    assert Segment("text", " @charity #2026") in shown  # no mentions on Facebook


def test_a_hash_inside_a_link_is_part_of_the_link() -> None:
    assert [s.kind for s in segments("see https://charity.org.uk/a#top now", "x")] == [
        "text", "link", "text",
    ]  # fmt: skip


def test_preview_message_says_how_many_too_many() -> None:
    assert preview("x" * 281, "x").message == "281 of 280 characters on X (1 too many)"
    assert preview("hello", "facebook").message == "5 of 63206 characters on Facebook"


def queued(db: sqlite_utils.Database, settings: Settings) -> list[int]:
    item = make_item(
        1,
        image_url="https://charity.example/p/1.jpg",
        image_alt="Person 1 in a blue coat",
        link="https://charity.org.uk/appeals/1",  # a TLD X links
    )
    store_item(db, item, NOW)
    return enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)


def test_the_preview_endpoint_returns_the_servers_count(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "alice")
    for text in COUNT_CASES:
        answer = client.post(
            "/preview", data={"platform": "x", "text": text}, headers={"X-CSRF-Token": token}
        )
        assert answer.status_code == 200
        assert answer.get_json()["count"] == weighted_length(clean_text(text))
    assert client.post("/preview", data={"platform": "x", "text": "hi"}).status_code == 400
    bad = client.post("/preview", data={"platform": "myspace"}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 400


def test_queue_shows_a_thumbnail_and_each_platforms_preview(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    x_id, fb_id = queued(db, settings)
    client = app.test_client()
    login(client, "alice")
    html = client.get("/queue").get_data(as_text=True)
    x_card = re.search(rf'id="post-{x_id}".*?</li>', html, re.S).group(0)  # type: ignore[union-attr]
    fb_card = re.search(rf'id="post-{fb_id}".*?</li>', html, re.S).group(0)  # type: ignore[union-attr]
    assert 'class="thumb" src="https://charity.example/p/1.jpg"' in x_card
    assert 'class="preview preview-x"' in x_card and 'class="preview preview-facebook"' in fb_card
    assert '<span class="pv-link">charity.org.uk/appeals/…</span>' in x_card
    assert '<span class="pv-link">https://charity.org.uk/appeals/1' in fb_card
    assert 'alt="Person 1 in a blue coat"' in x_card


def test_edit_shows_the_photo_the_title_and_the_count_as_the_server_makes_it(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    x_id, _ = queued(db, settings)
    client = app.test_client()
    login(client, "alice")
    html = client.get(f"/posts/{x_id}/edit").get_data(as_text=True)
    assert "Person 1, 15, missing from Leeds</h2>" in html
    assert 'src="https://charity.example/p/1.jpg"' in html
    text = db.execute("SELECT text FROM posts WHERE id = ?", [x_id]).fetchone()[0]
    assert f">{weighted_length(text)} of 280 characters on X</output>" in html
    assert 'class="preview preview-x"' in html


def test_a_viewer_cannot_ask_for_a_preview(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "victor")
    answer = client.post(
        "/preview", data={"platform": "x", "text": "hi"}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 403
