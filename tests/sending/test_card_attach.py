"""Cards in posts (APPEAL_CARDS=1): the card replaces the photo on every platform, is made once
per version of the facts and kept 0600 beside the database, re-made when the facts change, and
deleted by withdrawal and the retention purge."""

from __future__ import annotations

import io
import stat
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils
from PIL import Image

from bot.appeals.retention import purge_expired
from bot.appeals.withdrawal import withdraw_item
from bot.core.db import open_db
from bot.core.settings import Settings
from bot.fakes.images import silhouette
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.appeal_card import CardSettings, make_card
from bot.posts.card_files import card_files, cards_dir
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, get_item, store_item
from bot.sending.card_attach import CardMaker
from bot.sending.publishing import run_slot
from tests.factories import NOW, make_item, make_settings
from tests.live_fakes import Clock, facebook_publisher, fake_facebook, fake_x, live_settings
from tests.live_fakes import x_publisher as make_x_publisher

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]
LATER = NOW + timedelta(days=1)
PHOTO = silhouette(240, 320)


def _appeal(feed_server: FeedServer, **fields: object) -> tuple[str, dict[str, object]]:
    photo = feed_server.serve("/photo.png", PHOTO, content_type="image/png")
    values: dict[str, object] = {
        "image_url": photo,
        "image_alt": "A grey silhouette",
        "title": "Sam Jones, 15, missing from Leeds",
        "summary": "Sam was last seen on Tuesday 4 November in Leeds, wearing a grey hoodie.",
    }
    values.update(fields)
    return photo, values


def _queue(db: sqlite_utils.Database, settings: Settings, **fields: object) -> str:
    item = make_item(1, **fields)  # type: ignore[arg-type]
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    return item.id


def _sandboxes(settings: Settings) -> dict[str, SandboxPublisher]:
    return {platform: SandboxPublisher(platform) for platform in settings.platforms}


def _sent(publisher: SandboxPublisher) -> list[object]:
    return [stored.request for stored in publisher.posts.values()]


def test_the_card_replaces_the_photo_on_every_platform(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, APPEAL_CARDS="1", CHARITY_HELPLINE="Call 116 000")
    db = open_db(settings.database_path)
    _, fields = _appeal(feed_server)
    _queue(db, settings, **fields)
    publishers = _sandboxes(settings)
    assert run_slot(db, publishers, settings, clock=lambda: LATER).total_sent() == 2
    for platform, publisher in publishers.items():
        (request,) = _sent(publisher)
        assert request.image is not None  # type: ignore[attr-defined]
        card = Image.open(io.BytesIO(request.image.data))  # type: ignore[attr-defined]
        expected = (1600, 900) if platform == "x" else (1080, 1350)
        assert card.size == expected
        alt = request.alt_text  # type: ignore[attr-defined]
        assert alt.startswith("Missing person appeal card. MISSING. Sam Jones. Age 15.")
        assert "Last seen in Leeds, Tuesday 4 November" in alt and "Call 116 000" in alt
        assert alt.endswith("Photo: A grey silhouette.")


def test_cards_are_kept_0600_beside_the_database_and_made_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, APPEAL_CARDS="1")
    db = open_db(settings.database_path)
    _, fields = _appeal(feed_server)
    item_id = _queue(db, settings, **fields)
    run_slot(db, _sandboxes(settings), settings, clock=lambda: LATER)
    folder = cards_dir(db)
    assert folder == tmp_path / "test.db-cards"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = card_files(db, item_id)
    assert len(files) == 2 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert not any("Sam" in f.name for f in files)
    fetched = len(feed_server.requests_to("/photo.png"))
    card = CardSettings.from_settings(settings)
    maker = CardMaker(card, allow_private_addresses=True)
    again = make_card(db, get_item(db, item_id), "x", card, maker.fetcher("x"))
    assert again.path in files
    assert len(feed_server.requests_to("/photo.png")) == fetched  # not fetched again


def test_a_card_is_made_again_when_the_facts_change_before_posting(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, APPEAL_CARDS="1", PLATFORMS="x")
    db = open_db(settings.database_path)
    _, fields = _appeal(feed_server)
    item_id = _queue(db, settings, **fields)
    card = CardSettings.from_settings(settings)
    fetch = CardMaker(card, allow_private_addresses=True).fetcher("x")
    first = make_card(db, get_item(db, item_id), "x", card, fetch)
    store_item(db, make_item(1, **{**fields, "facts": (("age", "16"),)}), NOW)  # type: ignore[arg-type]
    second = make_card(db, get_item(db, item_id), "x", card, fetch)
    assert second.path != first.path and "Age 16" in second.alt_text
    assert card_files(db, item_id) == [second.path]
    publisher = SandboxPublisher("x")
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    (request,) = _sent(publisher)
    assert request.image.data == second.image.data  # type: ignore[attr-defined]


def test_appeal_cards_0_posts_the_plain_photo(tmp_path: Path, feed_server: FeedServer) -> None:
    settings = make_settings(tmp_path, APPEAL_CARDS="0", PLATFORMS="x")
    db = open_db(settings.database_path)
    photo, fields = _appeal(feed_server)
    item_id = _queue(db, settings, **fields)
    publisher = SandboxPublisher("x")
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    (request,) = _sent(publisher)
    assert request.image is None and request.image_url == photo  # type: ignore[attr-defined]
    assert request.alt_text == "A grey silhouette"  # type: ignore[attr-defined]
    assert card_files(db, item_id) == []


def test_a_name_the_font_cannot_draw_goes_with_the_plain_photo_and_the_log_says_why(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, APPEAL_CARDS="1", PLATFORMS="x")
    db = open_db(settings.database_path)
    photo, fields = _appeal(feed_server, title="山田太郎さん (15)", summary="")
    _queue(db, settings, **{**fields, "facts": (("name", "山田太郎"),)})
    publisher = SandboxPublisher("x")
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: LATER).sent == {"x": 1}
    (request,) = _sent(publisher)
    assert request.image is None and request.image_url == photo  # type: ignore[attr-defined]
    (detail,) = [
        r[0] for r in db.execute("SELECT detail FROM events WHERE action = 'card'").fetchall()
    ]
    assert "cannot draw" in detail and "plain photo" in detail


def test_the_real_clients_upload_the_card(tmp_path: Path, feed_server: FeedServer) -> None:
    """X gets the card through media upload, Facebook as a ``source`` file: no photo URL."""
    clock = Clock(LATER)
    with fake_x(clock) as x, fake_facebook(clock) as facebook:
        settings = live_settings(tmp_path / "live.db", x, facebook, APPEAL_CARDS="1")
        db = open_db(settings.database_path)
        _, fields = _appeal(feed_server)
        _queue(db, settings, **fields)
        publishers = {
            "x": make_x_publisher(settings),
            "facebook": facebook_publisher(settings, clock),
        }
        assert run_slot(db, publishers, settings, clock=clock.utc).total_sent() == 2
        (media,) = x.media.values()
        assert Image.open(io.BytesIO(media["data"])).size == (1600, 900)
        assert str(media["alt_text"]).startswith("Missing person appeal card.")
        (upload,) = facebook.uploads.values()
        assert Image.open(io.BytesIO(upload)).size == (1080, 1350)
        (post,) = [p for p in facebook.posts.values() if p["photo_id"]]
        assert str(post["alt_text"]).startswith("Missing person appeal card.")


def test_withdrawal_and_the_retention_purge_delete_the_cards(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, APPEAL_CARDS="1", RETENTION_DAYS="30")
    db = open_db(settings.database_path)
    _, fields = _appeal(feed_server)
    item_id = _queue(db, settings, **fields)
    run_slot(db, _sandboxes(settings), settings, clock=lambda: LATER)
    made = card_files(db, item_id)
    assert len(made) == 2
    withdraw_item(db, item_id, "found", LATER)
    assert card_files(db, item_id) == [] and not any(path.exists() for path in made)
    # A send in flight at the withdrawal can still write one; the purge must find it.
    card = CardSettings.from_settings(settings)
    late = make_card(
        db,
        get_item(db, item_id),
        "x",
        card,
        CardMaker(card, allow_private_addresses=True).fetcher("x"),
    )
    assert late.path is not None and late.path.exists()
    assert purge_expired(db, settings, LATER + timedelta(days=29)) == []
    assert late.path.exists()
    assert purge_expired(db, settings, LATER + timedelta(days=31)) == [item_id]
    assert card_files(db, item_id) == [] and not late.path.exists()
    (facts,) = db.execute("SELECT facts FROM items WHERE id = ?", [item_id]).fetchone()
    assert facts == "{}"
