"""The fake Facebook fetches a ``url`` photo as Graph does, so staff can rehearse a dead photo
in the sandbox: a 404 or a non-image is #324, a server that does not answer code 1, and the
bot (the real Graph client) sends the appeal as a /feed post with its link, "sent without
photo". A photo off this machine is never fetched (a sandbox never reaches out)."""

from __future__ import annotations

import socket

import pytest

from bot.core.clock import from_iso
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from tests.live_fakes import Live, image_site, make_item


@pytest.fixture
def live_options() -> dict[str, str]:
    # Plain photos (no appeal cards): Facebook fetches them from their address itself.
    return {"APPEAL_CARDS": "0"}


def queue_photo(live: Live, photo: str) -> int:
    item = make_item(1, image_url=photo)
    now = live.clock.utc()
    store_item(live.db, item, now)
    plan = plan_posts(item, live.settings, now, platforms=("facebook",))
    (post_id,) = enqueue(live.db, item.id, plan, now)
    return post_id


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_photo_that_is_there_goes_with_the_post(live: Live) -> None:
    with image_site() as site:
        post_id = queue_photo(live, site + "/photo.png")
        assert live.run("facebook").sent == {"facebook": 1}
    (stored,) = live.stored("facebook")
    assert stored["photo_id"] and not live.row(post_id)["degraded"]


def test_a_404_photo_fails_on_facebook_and_the_appeal_goes_as_a_link(live: Live) -> None:
    with image_site() as site:
        post_id = queue_photo(live, site + "/gone.png")
        assert live.run("facebook").sent == {"facebook": 1}
    row = live.row(post_id)
    assert "(#324) Missing or invalid image file" in row["degraded"]
    (stored,) = live.stored("facebook")
    assert stored["photo_id"] is None and stored["link"] == row["link"]


def test_a_photo_server_that_does_not_answer_gets_one_more_try_then_goes_without(
    live: Live,
) -> None:
    post_id = queue_photo(live, f"http://127.0.0.1:{_closed_port()}/photo.jpg")
    live.run("facebook")
    row = live.row(post_id)
    assert row["status"] == "queued" and "code 1" in row["last_error"]
    live.clock.set(from_iso(row["next_attempt_at"]))
    assert live.run("facebook").sent == {"facebook": 1}
    assert "An unknown error has occurred" in live.row(post_id)["degraded"]


def test_a_photo_off_this_machine_is_never_fetched(live: Live) -> None:
    # The network guard fails the test if the fake tries to connect anywhere but 127.0.0.1.
    queue_photo(live, "https://charity.example/photos/1.jpg")
    assert live.run("facebook").sent == {"facebook": 1}
    (stored,) = live.stored("facebook")
    assert stored["photo_url"] == "https://charity.example/photos/1.jpg"
