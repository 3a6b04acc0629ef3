"""The dashboard and the plan: Send now sends one post, a reschedule pins, the week is the plan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlite_utils
from flask import Flask

from bot.core.errors import AuthExpired
from bot.core.settings import Settings
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.queue import get_post
from bot.sending import health
from bot.sending.week import week
from bot.web import create_app
from tests.factories import NOW, make_settings
from tests.web.signin import login
from tests.web.test_web import queue_item


class RevokedX(SandboxPublisher):
    def check_credentials(self) -> str:
        raise AuthExpired("x", "token expired")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, PLATFORMS="x,facebook", POSTS_PER_SLOT="2")


@pytest.fixture
def publishers() -> dict[str, SandboxPublisher]:
    return {"x": SandboxPublisher("x"), "facebook": SandboxPublisher("facebook")}


@pytest.fixture
def app(settings: Settings, db: sqlite_utils.Database, publishers) -> Flask:  # type: ignore[no-untyped-def]
    return create_app(settings, publishers, clock=lambda: NOW, testing=True)


def test_send_now_sends_exactly_that_post_and_says_so(app, db, settings, publishers) -> None:  # type: ignore[no-untyped-def]
    ids = [i for n in range(8) for i in queue_item(db, settings, n)]
    x_posts = [i for i in ids if get_post(db, i).platform == "x"]
    client = app.test_client()
    token = login(client, "alice")
    chosen = x_posts[5]
    page = client.post(
        f"/posts/{chosen}/send", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"Post {chosen} sent; nothing else was sent." in page
    assert [get_post(db, i).status for i in ids].count("sent") == 1
    assert get_post(db, chosen).status == "sent"
    assert len(publishers["x"].posts) == 1 and not publishers["facebook"].posts


def test_send_now_that_cannot_go_says_why_and_sends_nothing(db, settings, publishers) -> None:  # type: ignore[no-untyped-def]
    ids = queue_item(db, settings)
    health.pause(db, "x", "token expired", NOW)
    publishers["x"] = RevokedX("x")  # its credentials are still refused
    app = create_app(settings, publishers, clock=lambda: NOW, testing=True)
    client = app.test_client()
    token = login(client, "alice")
    x_post = next(i for i in ids if get_post(db, i).platform == "x")
    page = client.post(
        f"/posts/{x_post}/send", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"Post {x_post} not sent: x is paused: token expired. Nothing else was sent." in page
    assert not publishers["x"].posts and not publishers["facebook"].posts


def test_reschedule_pins_the_time_and_the_queue_shows_it(app, db, settings) -> None:  # type: ignore[no-untyped-def]
    ids = queue_item(db, settings)
    client = app.test_client()
    token = login(client, "alice")
    page = client.post(
        f"/posts/{ids[0]}/reschedule",
        data={"when": "2026-11-25T10:15", "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert (
        f"Post {ids[0]} ({get_post(db, ids[0]).platform}): goes out 2026-11-25 10:15 GMT (pinned)."
        in page
    )
    queue = client.get("/queue").get_data(as_text=True)
    assert re.search(rf'id="post-{ids[0]}".*?Goes out 2026-11-25 10:15 GMT \(pinned\)', queue, re.S)
    assert 'data-goes-out="2026-11-25T10:15:00+00:00"' in queue


def test_the_week_view_shows_the_plan(app, db, settings) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        queue_item(db, settings, n)
    client = app.test_client()
    login(client, "alice")
    page = client.get("/schedule").get_data(as_text=True)
    plan = week(db, settings, NOW, days=7)
    shown = re.findall(r'data-post="(\d+)" data-at="([^"]*)"', page)
    expected = [
        (str(post["id"]), post["at"])
        for day in plan["days"]
        for slot in day["slots"]
        for row in slot["pages"]
        for post in row["posts"]
    ]
    assert shown == expected and len(expected) == 10
    # Two a slot per platform: 12:30 and 18:30 are full, tomorrow's 09:00 has one place left.
    for slot, room in (("2026-11-25T12:30", 0), ("2026-11-25T18:30", 0), ("2026-11-26T09:00", 1)):
        assert f'data-slot="{slot}" data-platform="x" data-page="" data-room="{room}"' in page


def test_approving_and_editing_say_when_the_post_goes_out(app, db, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.web.test_web import draft_item

    ids = draft_item(db, settings)
    client = app.test_client()
    token = login(client, "alice")
    page = client.post(
        f"/posts/{ids[0]}/approve", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    platform = get_post(db, ids[0]).platform
    assert f"Post {ids[0]} ({platform}): goes out 2026-11-25 12:30 GMT (slot)." in page
    page = client.post(
        f"/posts/{ids[0]}/edit",
        data={"text": "Please share: Person 1 is missing", "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"Post {ids[0]} saved." in page and "goes out 2026-11-25 12:30 GMT (slot)." in page
