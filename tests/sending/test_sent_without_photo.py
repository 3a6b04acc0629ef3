"""A refused or unfetchable photo never holds an appeal back, and never hides: the post goes
out without it and says "sent without photo" (with the reason) in ``post``, ``queue`` (also
``--json``'s ``degraded``), ``log``, the dashboard's message, its Queue and the appeal's card.

Real clients against the fakes: Facebook answers ``/photos`` with #324 (the /feed post with the
link goes instead); X's upload is refused, or the photo is a 404 on the charity's site."""

# The CLI and fake-server fixtures are imported from tests.test_cli, so their names recur as
# test parameters.
# ruff: noqa: F811

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.appeals.overview import get_card
from bot.core.db import open_db
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.x_server import FakeX
from bot.platforms.error_table import rule_named
from bot.posts.manual import ManualPost, add_manual
from bot.web import create_app
from bot.web.users import add_user
from tests.factories import NOW
from tests.live_fakes import Clock, facebook_publisher, image_site, live_settings, x_publisher
from tests.test_cli import Cli, _restore_logging, cli, fakes, set_live  # noqa: F401
from tests.web.test_web import PASSWORD, login

REFUSED = "(#324) Missing or invalid image file"


def add_with_photo(cli: Cli, photo: str, platform: str) -> str:
    result = cli(
        "add",
        "--title",
        "Sam Jones, 15, missing from Leeds",
        "--link",
        "https://charity.example/appeals/sam",
        "--image",
        photo,
        "--alt",
        "Sam smiling",
        "--platforms",
        platform,
    )
    assert result.code == 0, result.err
    return result.out.split()[1]


def test_facebook_refusing_the_photo_posts_the_link_and_says_so_everywhere(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fakes: tuple[FakeX, FakeFacebook]
) -> None:
    x, facebook = fakes
    facebook.reset()
    set_live(monkeypatch, tmp_path, x, facebook)
    with image_site() as site:
        item_id = add_with_photo(cli, site + "/photo.png", "facebook")
        facebook.inject(facebook.rule_fault(rule_named("fb_invalid_image")))

        report = cli("post", "--all")

    assert report.code == 0, report.out + report.err
    assert "sent 1 post" in report.out
    assert re.search(rf"post \d+: sent without photo: .*{re.escape(REFUSED)}", report.out)
    (stored,) = [p for p in facebook.posts.values() if not p["deleted"]]
    assert stored["photo_id"] is None and stored["link"] == "https://charity.example/appeals/sam"

    (row,) = cli("queue", "--all", "--json").json()
    assert row["status"] == "sent" and REFUSED in row["degraded"]
    assert "sent without photo" in cli("queue", "--all").out
    assert "sent without photo" in cli("log").out

    card = get_card(open_db(tmp_path / "cli.db"), item_id)
    assert card is not None
    (place,) = card.places
    assert place.degraded and REFUSED in place.degraded


def test_the_dashboard_says_sent_without_photo_not_sent(
    tmp_path: Path, fakes: tuple[FakeX, FakeFacebook]
) -> None:
    x, facebook = fakes
    facebook.reset()
    x.reset()
    settings = live_settings(tmp_path / "bot.db", x, facebook)
    db = open_db(settings.database_path)
    add_user(db, "alice", "comms", PASSWORD, NOW)
    publishers = {"x": x_publisher(settings), "facebook": facebook_publisher(settings, Clock())}
    app = create_app(settings, clock=lambda: NOW, testing=True, publishers=publishers)
    client = app.test_client()
    token = login(client, "alice")
    with image_site() as site:
        _, ids = add_manual(
            db,
            settings,
            ManualPost(
                kind="appeal",
                title="Sam Jones, 15, missing from Leeds",
                link="https://charity.example/appeals/sam",
                image_url=site + "/gone.png",  # a 404 on the charity's site
                image_alt="Sam smiling",
                platforms=("x",),
            ),
            NOW,
        )
        page = client.post(
            f"/posts/{ids[0]}/send", data={"csrf_token": token}, follow_redirects=True
        ).get_data(as_text=True)

    assert f"Post {ids[0]} sent without photo" in page
    assert "gone.png could not be fetched (404)" in page
    assert f"Post {ids[0]} sent." not in page
    queue = client.get("/queue?show=all").get_data(as_text=True)
    assert "Sent without photo" in queue or "sent without photo" in queue
    appeals = client.get("/appeals").get_data(as_text=True)
    assert "sent without photo" in appeals
    (stored,) = x.posts.values()
    assert stored["media_ids"] == []
