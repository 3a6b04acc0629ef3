"""The dashboard shows each open appeal's card (Appeals) and each waiting appeal post's card for
its platform (Queue), the same image the sender posts; none for a closed appeal."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from bot.appeals.withdrawal import withdraw_item
from bot.core.db import open_db
from bot.fakes.images import silhouette
from bot.posts.card_files import card_files
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.web import create_app
from bot.web.users import add_user
from tests.factories import NOW, make_item, make_settings
from tests.web.signin import PASSWORD, login

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]


def test_appeals_and_queue_show_the_card(tmp_path: Path, feed_server: FeedServer) -> None:
    settings = make_settings(
        tmp_path, APPEAL_CARDS="1", PLATFORMS="x,facebook", CHARITY_HELPLINE="Call 116 000"
    )
    db = open_db(settings.database_path)
    add_user(db, "viewer", "viewer", PASSWORD, NOW)
    photo = feed_server.serve("/p.png", silhouette(120, 160), content_type="image/png")
    item = make_item(
        1, title="Sam Jones, 15, missing from Leeds", image_url=photo, image_alt="A silhouette"
    )
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    client = create_app(settings, clock=lambda: NOW, testing=True).test_client()
    login(client, "viewer")

    page = client.get("/appeals").get_data(as_text=True)
    (src,) = re.findall(r'<img src="(/card\.png[^"]*)" alt="([^"]*)"', page)[:1]
    url, alt = html.unescape(src[0]), html.unescape(src[1])
    assert alt.startswith("Missing person appeal card. MISSING. Sam Jones. Age 15.")
    assert "Call 116 000" in alt and alt.endswith("Photo: A silhouette.")
    response = client.get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert Image.open(io.BytesIO(response.data)).size == (1600, 900)

    queue = client.get("/queue").get_data(as_text=True)
    urls = {html.unescape(u) for u in re.findall(r'<img src="(/card\.png[^"]*)"', queue)}
    assert {u.rsplit("platform=", 1)[1] for u in urls} == {"x", "facebook"}
    tall = client.get(next(u for u in urls if u.endswith("facebook")))
    assert Image.open(io.BytesIO(tall.data)).size == (1080, 1350)
    assert len(card_files(db, item.id)) == 2  # the same stored cards the sender will post

    withdraw_item(db, item.id, "found", NOW)
    assert card_files(db, item.id) == []
    assert client.get(url).status_code == 404
    assert card_files(db, item.id) == []  # a page view does not bring a withdrawn card back
    assert "/card.png" not in client.get("/appeals").get_data(as_text=True)


def test_no_card_without_sign_in_or_with_cards_off(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, APPEAL_CARDS="0")
    db = open_db(settings.database_path)
    add_user(db, "viewer", "viewer", PASSWORD, NOW)
    store_item(db, make_item(1, image_url="http://127.0.0.1:9/p.png"), NOW)
    client = create_app(settings, clock=lambda: NOW, testing=True).test_client()
    assert client.get("/card.png?item=item-1").status_code == 302  # to the sign-in page
    login(client, "viewer")
    response = client.get("/card.png?item=item-1")
    assert response.status_code == 404 and "APPEAL_CARDS=0" in response.get_data(as_text=True)
    assert "/card.png" not in client.get("/appeals").get_data(as_text=True)


def test_the_card_page_fetches_the_photo_through_the_senders_guard(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """A page view fetches like the sender: with ALLOW_PRIVATE_ADDRESSES=0 a photo on a private
    address is refused before any connection, and the page says so."""
    settings = make_settings(tmp_path, APPEAL_CARDS="1", ALLOW_PRIVATE_ADDRESSES="0")
    db = open_db(settings.database_path)
    add_user(db, "viewer", "viewer", PASSWORD, NOW)
    photo = feed_server.serve("/p.png", silhouette(120, 160), content_type="image/png")
    store_item(db, make_item(1, image_url=photo), NOW)
    client = create_app(settings, clock=lambda: NOW, testing=True).test_client()
    login(client, "viewer")
    response = client.get("/card.png?item=item-1")
    assert response.status_code == 404 and "No card" in response.get_data(as_text=True)
    assert feed_server.requests_to("/p.png") == []
    assert card_files(db, "item-1") == []
