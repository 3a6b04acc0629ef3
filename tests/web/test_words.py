"""Words for people: no setting names or internal terms on any page, news and thank-you updates
labelled as such, every time shown with its zone, and empty pages that say what comes next."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlite_utils
from flask import Flask

from bot.appeals.lifecycle import close_appeal
from bot.core import events
from bot.core.settings import Settings
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from tests.factories import NOW, make_item, make_settings
from tests.web.signin import login

PAGES = ["/queue", "/queue?status=all", "/add", "/appeals", "/shares", "/log", "/status"]
SETTING_NAME = re.compile(r"\b[A-Z][A-Z0-9]+_[A-Z0-9_]+\b")
# Stored status names shown raw would read as jargon; the pages say "waiting for approval" etc.
RAW_BADGE = re.compile(r'class="badge status">(draft|queued|sending|sent|deleting)<')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, PLATFORMS="x,facebook", FOUND_THANKS="1")


def visible_text(html: str) -> str:
    """The page's text as read, without tags and attribute values (class names are not words)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_no_page_shows_a_setting_name_and_news_and_thanks_are_labelled(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    for n, kind in ((1, "appeal"), (2, "news"), (3, "appeal")):
        item = make_item(n, kind=kind, status="missing" if kind == "appeal" else None)
        store_item(db, item, NOW)
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    db.execute(
        "UPDATE posts SET status = 'sent', sent_at = ? WHERE item_id = 'item-3'",
        ["2026-11-25T09:00:00.000000Z"],
    )
    close_appeal(db, settings, "item-3", "found safe (by alice)", NOW, found=True)
    events.record(
        db,
        "send",
        "retry",
        "X is down; next try 2026-11-25T11:00:00.000000Z",
        platform="x",
        now=NOW,
    )
    client = app.test_client()
    login(client, "alice")
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        assert not SETTING_NAME.findall(visible_text(html)), path
        assert not RAW_BADGE.findall(html), path
    queue = client.get("/queue").get_data(as_text=True)
    assert '<span class="badge kind">news</span>' in queue
    assert '<span class="badge kind">thank-you</span>' in queue
    assert '<span class="badge kind">appeal</span>' in queue
    log = client.get("/log").get_data(as_text=True)
    assert "will try again" in log and "next try 2026-11-25 11:00" in log


def test_every_time_carries_its_zone(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    item = make_item(1)
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    events.record(db, "add", "queued", "added", item_id=item.id, now=NOW)
    client = app.test_client()
    login(client, "alice")
    for path in ("/queue", "/appeals", "/log"):
        text = visible_text(client.get(path).get_data(as_text=True))
        times = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d(?: [A-Z]{3,4})?", text)
        assert times, path
        assert all(t.endswith(" GMT") for t in times), (path, times)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/queue", "New appeals from the feed appear here by themselves"),
        ("/appeals", "They appear here when the appeals feed lists them"),
        ("/shares", "Once one goes out, how often it was shared appears here"),
        ("/log", "each post, feed reading and withdrawal appears here"),
        ("/status", "the bot reads the charity's feeds every few minutes"),
    ],
)
def test_empty_pages_say_what_comes_next(app: Flask, path: str, words: str) -> None:
    client = app.test_client()
    login(client, "alice")
    assert words in client.get(path).get_data(as_text=True)
