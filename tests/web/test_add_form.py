"""The Add form, helped: regions chosen from the configured ones (the same rule as the CLI),
and warnings before saving for a long title, a past time, a photo with no description and a
photo that cannot be fetched or is not an image."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlite_utils
from flask import Flask

from bot.core.settings import Settings
from bot.fakes.images import png
from bot.posts.manual import ManualPost, add_manual, add_warnings
from bot.web import create_app
from bot.web.photos import check_photo
from tests.factories import NOW, make_settings
from tests.web.signin import login

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

REGIONAL = {
    "FACEBOOK_PAGE_ID": "100",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "main-token",
    "FACEBOOK_REGIONAL_PAGES": "north-west=200",
    "FACEBOOK_PAGE_ACCESS_TOKEN_200": "nw-token",
    "REGION_HASHTAGS": "north-west=#NorthWest #Manchester,scotland=#Scotland",
    "PLATFORMS": "x,facebook",
}
PNG = png(2, 2)  # a real picture: what a photo is comes from its bytes


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, **REGIONAL)


checked: list[str] = []


def fake_check(url: str) -> str | None:
    """Stands in for the fetch in the Flask-client tests (the real one runs below, on 127.0.0.1)."""
    checked.append(url)
    return (
        "the file at it is text/html, not a JPEG, PNG, GIF or WebP image" if "bad" in url else None
    )


@pytest.fixture
def app(settings: Settings, db: sqlite_utils.Database) -> Flask:
    return create_app(settings, clock=lambda: NOW, testing=True, photo_check=fake_check)


def form(token: str, **fields: str) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "csrf_token": token, "kind": "appeal", "title": "Sam Lee, 15, missing from Bolton",
        "text": "Last seen Monday.", "platforms": ["x", "facebook"],
    }  # fmt: skip
    data.update(fields)
    return data


def test_the_region_is_a_select_showing_each_regions_page_and_hashtags(app: Flask) -> None:
    client = app.test_client()
    login(client, "alice")
    html = client.get("/add").get_data(as_text=True)
    select = re.search(r'<select id="region".*?</select>', html, re.S)
    assert select is not None
    assert "north-west: also on Facebook page 200; adds #NorthWest #Manchester" in select.group(0)
    assert "scotland; adds #Scotland" in select.group(0)


@pytest.mark.parametrize("typed", ["North West", "north-west", "NORTH_WEST"])
def test_the_same_region_queues_the_same_pages_from_the_form_and_the_library(
    app: Flask, db: sqlite_utils.Database, settings: Settings, typed: str
) -> None:
    client = app.test_client()
    token = login(client, "alice")
    response = client.post("/add", data=form(token, region=typed))
    assert response.status_code == 302, response.get_data(as_text=True)
    web = sorted(r[0] for r in db.execute("SELECT target FROM posts WHERE platform = 'facebook'"))
    _, ids = add_manual(db, settings, ManualPost("appeal", "CLI", region=typed), NOW)
    marks = ",".join("?" * len(ids))
    cli = sorted(
        r[0]
        for r in db.execute(
            f"SELECT target FROM posts WHERE platform = 'facebook' AND id IN ({marks})", ids
        )
    )
    assert web == cli == ["", "200"]
    assert {r[0] for r in db.execute("SELECT region FROM items")} == {"north-west"}


def test_an_unknown_region_is_refused_with_the_known_ones(app: Flask, settings: Settings) -> None:
    client = app.test_client()
    token = login(client, "alice")
    response = client.post("/add", data=form(token, region="Wales"))
    assert response.status_code == 400
    assert "is not one of the configured regions: north-west, scotland" in response.get_data(
        as_text=True
    )


def test_warnings_come_before_saving_and_add_anyway_saves(
    app: Flask, db: sqlite_utils.Database
) -> None:
    client = app.test_client()
    token = login(client, "alice")
    fields = {
        "title": "A" * 600,
        "when": (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "image_url": "https://charity.example/bad.html",
    }
    response = client.post("/add", data=form(token, **fields))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0  # nothing saved yet
    assert "The title is 600 characters long" in html
    assert "That time has already passed" in html
    assert "The photo has no description" in html
    assert "The photo cannot be used: the file at it is text/html" in html
    assert 'name="confirm" value="1"' in html and 'value="' + "A" * 600 in html
    response = client.post("/add", data=form(token, confirm="1", **fields))
    assert response.status_code == 302
    assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 2


def test_a_clean_form_adds_at_once(app: Flask, db: sqlite_utils.Database) -> None:
    client = app.test_client()
    token = login(client, "alice")
    fields = {"image_url": "https://charity.example/ok.jpg", "image_alt": "Sam in a red coat"}
    assert client.post("/add", data=form(token, **fields)).status_code == 302
    assert "https://charity.example/ok.jpg" in checked


def test_the_photo_check_fetches_and_names_what_is_wrong(feed_server: FeedServer) -> None:
    good = feed_server.serve("/photo.png", PNG, content_type="image/png")
    page = feed_server.serve("/moved.html", b"<html>moved</html>", content_type="text/html")
    assert check_photo(good, allow_private_addresses=True) is None
    assert "text/html, not a JPEG, PNG, GIF or WebP image" in (
        check_photo(page, allow_private_addresses=True) or ""
    )
    assert "could not be fetched (404)" in (
        check_photo(good.replace("photo", "gone"), allow_private_addresses=True) or ""
    )
    assert "not an http(s) URL" in (check_photo("file:///etc/passwd") or "")


def test_add_warnings_is_quiet_for_a_good_post() -> None:
    post = ManualPost("appeal", "Sam Lee, 15", image_url="https://a.example/p.jpg", image_alt="Sam")
    assert add_warnings(post, NOW, lambda url: None) == []
    assert add_warnings(ManualPost("news", "Thanks", at=NOW + timedelta(hours=1)), NOW) == []


def test_the_form_takes_the_cards_facts(app: Flask, db: sqlite_utils.Database) -> None:
    client = app.test_client()
    token = login(client, "alice")
    html = client.get("/add").get_data(as_text=True)
    assert 'name="fact_age"' in html and "Facts for the appeal card" in html
    response = client.post(
        "/add", data=form(token, fact_age="16", fact_place="Bolton bus station", fact_when="")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (facts,) = db.execute("SELECT facts FROM items").fetchone()
    assert json.loads(facts) == {"age": "16", "place": "Bolton bus station"}
