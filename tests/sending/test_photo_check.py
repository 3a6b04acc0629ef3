"""A photo that will not go is found before the post's time: when the post is new to the check,
and again shortly before it is due. The dashboard's Queue and Appeals warn (no broken image box)
and ``queue`` says so; a photo fixed meanwhile clears the warning. Photos are served by a local
web server standing in for the charity's site."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.core.clock import to_iso
from bot.core.db import open_db
from bot.fakes.images import png
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, list_posts, store_item
from bot.sending.photo_check import MAX_PHOTO_BYTES, RECHECK_BEFORE, check_photos
from bot.sending.plan import current_plan
from bot.web import create_app
from bot.web.users import add_user
from tests.factories import NOW, make_item, make_settings
from tests.web.signin import PASSWORD, login

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ({"body": png(), "content_type": "image/png"}, None),
        ({"body": b"", "status": 404, "content_type": "text/html"}, "could not be fetched (404)"),
        ({"body": b"<html>moved</html>", "content_type": "text/html"}, "is text/html, not a JPEG"),
        (
            {"body": b"\xff" * (MAX_PHOTO_BYTES + 1), "content_type": "image/jpeg"},
            "use a smaller one",
        ),
        ({"body": b"", "status": 503, "content_type": "text/html"}, "answered 503"),
    ],
    ids=["fine", "gone", "html", "too-big", "server-down"],
)
def test_each_kind_of_photo_problem_is_flagged_in_words(
    tmp_path: Path, feed_server: FeedServer, route: dict[str, object], expected: str | None
) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x,facebook", ALLOW_PRIVATE_ADDRESSES="1")
    db = open_db(settings.database_path)
    url = feed_server.serve("/photo", **route)  # type: ignore[arg-type]
    item = make_item(1, image_url=url)
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)

    assert list(check_photos(db, settings, NOW)) == [url]

    rows = list_posts(db)
    assert len(rows) == 2, "one post per platform"
    for row in rows:
        if expected is None:
            assert row["photo_problem"] is None
        else:
            assert expected in row["photo_problem"]
    assert len(feed_server.requests_to("/photo")) == 1, "the same photo was fetched twice"


def test_checked_again_shortly_before_its_time_and_a_fixed_photo_clears(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x", ALLOW_PRIVATE_ADDRESSES="1")
    db = open_db(settings.database_path)
    url = feed_server.serve("/p.jpg", b"", status=404, content_type="text/html")
    item = make_item(1, image_url=url)
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    (post,) = list_posts(db)
    due = NOW + timedelta(hours=5)  # pinned, so the plan sends it then
    db.execute(
        "UPDATE posts SET scheduled_at = ?, pinned_at = ? WHERE id = ?",
        [to_iso(due), to_iso(due), post["id"]],
    )

    check_photos(db, settings, NOW)
    assert "404" in list_posts(db)[0]["photo_problem"]
    assert check_photos(db, settings, NOW + timedelta(hours=1)) == {}, (
        "checked again long before its time"
    )

    feed_server.serve("/p.jpg", png(), content_type="image/png")  # the web team fixes it
    assert check_photos(db, settings, due - RECHECK_BEFORE + timedelta(minutes=1)) == {url: None}
    assert list_posts(db)[0]["photo_problem"] is None


def test_a_post_waiting_days_for_its_slot_is_not_fetched_again_every_half_hour(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Queued long ago (its earliest time long past) behind a full queue: checked once, then
    again only when the plan's time for it comes near."""
    settings = make_settings(
        tmp_path, PLATFORMS="x", ALLOW_PRIVATE_ADDRESSES="1", POST_SLOTS="09:00", POSTS_PER_SLOT="1"
    )
    db = open_db(settings.database_path)
    urls = []
    for n in range(1, 4):
        urls.append(feed_server.serve(f"/p{n}.png", png(), content_type="image/png"))
        item = make_item(n, image_url=urls[-1])
        store_item(db, item, NOW - timedelta(days=3))
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW - timedelta(days=3))
    assert set(check_photos(db, settings, NOW)) == set(urls)
    plan = current_plan(db, settings, NOW)
    first = min(plan.values(), key=lambda p: p.at or NOW)
    assert first.at is not None and first.at - NOW > timedelta(hours=20)  # tomorrow's 09:00
    later = NOW + timedelta(hours=2)
    assert check_photos(db, settings, later) == {}, "fetched again though hours from its slot"
    soon = first.at - RECHECK_BEFORE + timedelta(minutes=1)
    first_url = next(row["image_url"] for row in list_posts(db) if row["id"] == first.post_id)
    assert list(check_photos(db, settings, soon)) == [first_url], "only the post due soon"


def test_queue_and_appeals_pages_warn_instead_of_a_broken_image(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x,facebook", ALLOW_PRIVATE_ADDRESSES="1")
    db = open_db(settings.database_path)
    add_user(db, "alice", "comms", PASSWORD, NOW)
    url = feed_server.serve("/gone.jpg", b"", status=404, content_type="text/html")
    item = make_item(1, image_url=url)
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    check_photos(db, settings, NOW)

    client = create_app(settings, clock=lambda: NOW, testing=True).test_client()
    login(client, "alice")
    for page in ("/queue", "/appeals"):
        html = client.get(page).get_data(as_text=True)
        assert "Photo will not go" in html and "could not be fetched (404)" in html, page
        assert f'src="{url}"' not in html, f"{page} shows a broken image box"
