"""The dashboard on four platforms: a card with live counters for Bluesky and Mastodon too, their
filters, their columns on the shares page."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from bot.core.db import open_db
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.sending import health
from bot.web import create_app
from bot.web.users import add_user
from tests.factories import NOW, make_item, make_settings
from tests.web.signin import PASSWORD, login
from tests.web.test_web import mark_sent


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    settings = make_settings(tmp_path, PLATFORMS="x,facebook,bluesky,mastodon")
    db = open_db(settings.database_path)
    add_user(db, "alice", "comms", PASSWORD, NOW)
    item = make_item(1)
    store_item(db, item, NOW)
    ids = enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    platforms = {row["id"]: row["platform"] for row in db.query("SELECT id, platform FROM posts")}
    for post_id in ids:
        if platforms[post_id] in ("bluesky", "mastodon"):
            mark_sent(db, post_id, shares=7 if platforms[post_id] == "bluesky" else 5)
    health.pause(db, "mastodon", "Mastodon refused the access token", NOW)
    return create_app(settings, clock=lambda: NOW, testing=True)


def test_status_has_a_card_with_counters_for_each_of_the_four(app: Flask) -> None:
    client = app.test_client()
    login(client, "alice")
    page = client.get("/status").get_data(as_text=True)
    for name in ("<h3>X</h3>", "<h3>Facebook</h3>", "<h3>Bluesky</h3>", "<h3>Mastodon</h3>"):
        assert name in page
    assert "1 of 25" in page  # Bluesky's post counted against BLUESKY_DAILY_POST_LIMIT
    assert "Paused: Mastodon refused the access token" in page


def test_filters_and_the_shares_page_name_bluesky_and_mastodon(app: Flask) -> None:
    client = app.test_client()
    login(client, "alice")
    queue = client.get("/queue?platform=bluesky").get_data(as_text=True)
    assert '<option value="mastodon"' in queue and '<option value="bluesky" selected' in queue
    shares = client.get("/shares").get_data(as_text=True)
    assert '<th scope="col">Bluesky</th>' in shares and "<td>7</td>" in shares
