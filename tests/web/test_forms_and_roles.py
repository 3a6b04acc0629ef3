"""Every form that changes something carries the CSRF token; a viewer sees no action, and the
pages that are only a form for a change (add, edit, withdraw) refuse a viewer with 403; the
log is paged."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlite_utils
from flask import Flask

from bot.core import events
from bot.core.settings import Settings
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.web import create_app
from tests.factories import NOW, make_item
from tests.web.signin import login


@pytest.fixture
def app(settings: Settings, db: sqlite_utils.Database) -> Flask:
    return create_app(settings, clock=lambda: NOW, testing=True, photo_check=lambda url: None)


def seeded(db: sqlite_utils.Database, settings: Settings) -> tuple[str, int]:
    item = make_item(1)
    store_item(db, item, NOW)
    ids = enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    return item.id, ids[0]


def test_every_post_form_on_every_page_carries_the_csrf_token(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    item_id, post_id = seeded(db, settings)
    client = app.test_client()
    login(client, "alice")
    pages = ["/queue", "/add", "/appeals", "/log", "/status", "/shares",
             f"/posts/{post_id}/edit", f"/appeals/{item_id}/withdraw"]  # fmt: skip
    forms = 0
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, re.S):
            if 'method="post"' in form:
                forms += 1
                assert 'name="csrf_token" value="' in form, (path, form[:120])
    assert forms >= 10


def test_a_viewer_sees_no_action_and_cannot_open_the_change_pages(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    item_id, post_id = seeded(db, settings)
    client = app.test_client()
    login(client, "victor")
    for path in ("/queue", "/appeals", "/log", "/status", "/shares", "/queue?status=all"):
        html = client.get(path).get_data(as_text=True)
        posts = [f for f in re.findall(r"<form\b[^>]*>", html) if 'method="post"' in f]
        assert all("logout" in f for f in posts), (path, posts)
        for word in ("Withdraw", "Approve", "Reschedule", ">Edit", "Add anyway"):
            assert word not in html, (path, word)
    for path in ("/add", f"/posts/{post_id}/edit", f"/appeals/{item_id}/withdraw"):
        assert client.get(path).status_code == 403, path


def test_the_log_is_paged_newest_first(app: Flask, db: sqlite_utils.Database) -> None:
    for n in range(120):
        events.record(
            db, "send", "sent", f"entry {n:03}", platform="x", now=NOW + timedelta(seconds=n)
        )
    client = app.test_client()
    login(client, "alice")
    first = client.get("/log?platform=x").get_data(as_text=True)
    assert "entry 119" in first and "entry 070" in first and "entry 069" not in first
    assert 'href="/log?platform=x&amp;page=2"' in first
    last = client.get("/log?platform=x&page=3").get_data(as_text=True)
    assert "entry 019" in last and "entry 000" in last and "entry 020" not in last
    assert "Older" not in last and "Newer" in last
