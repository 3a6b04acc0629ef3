"""An appeal's life after ingest: urgent sends and the budget share, re-appeals on a controlled
clock, the approval gate, regions, status and region fields, and the schema migration. The real
X and Facebook clients run against the fake servers on 127.0.0.1.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from bot.appeals.lifecycle import close_appeal
from bot.appeals.reappeals import due_at, next_round, queue_reappeals
from bot.core.db import open_db
from bot.core.errors import AppealBotError
from bot.platforms import build_publishers
from bot.polling import poll_feeds
from bot.posts.approval import approve, edit, reject
from bot.posts.manual import ManualPost, add_manual
from bot.posts.queue import list_posts
from bot.scheduler import Daemon
from bot.sending.publishing import normal_budget, run_slot
from tests.factories import NOW, make_settings
from tests.regional_fakes import MAIN, NORTH, Fakes, live_settings

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

LONDON = ZoneInfo("Europe/London")


def appeal(n: int, urgent: bool = False, region: str | None = None) -> ManualPost:
    return ManualPost(
        "appeal",
        f"Person {n}, 15, missing from Leeds",
        text="Last seen on Monday.",
        link=f"https://charity.example/appeals/{n}",
        urgent=urgent,
        region=region,
    )


def live(fakes: Fakes) -> tuple[int, int]:
    """Posts up now on X and on Facebook."""
    x = sum(1 for p in fakes.x.posts.values() if not p.get("deleted"))
    fb = sum(1 for p in fakes.facebook.posts.values() if not p.get("deleted"))
    return x, fb


# --- urgent appeals and the budget share --------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "share", "normal"),
    [(17, 0.2, 13), (25, 0.2, 20), (10, 0.3, 7), (10, 0.0, 10), (10, 1.0, 0), (3, 0.2, 2)],
)
def test_normal_budget(limit: int, share: float, normal: int) -> None:
    assert normal_budget(limit, share) == normal


def test_the_urgent_job_sends_urgent_appeals_outside_the_slots_within_the_budget(
    tmp_path: Path, fakes: Fakes
) -> None:
    settings = live_settings(
        tmp_path,
        fakes,
        X_DAILY_POST_LIMIT="5",
        FACEBOOK_DAILY_POST_LIMIT="5",
        URGENT_BUDGET_SHARE="0.4",
        POST_SLOTS="09:00",
    )
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    for n in range(5):
        add_manual(db, settings, appeal(n), NOW)
    # A slot: normal posts stop at 5 × (1 − 0.4) = 3 per platform.
    report = run_slot(db, publishers, settings, clock=lambda: NOW)
    assert report.sent == {"x": 3, "facebook": 3}
    assert "kept for urgent appeals" in report.skipped["x"]
    assert live(fakes) == (3, 3)

    # 14:07, far from the 09:00 slot: the urgent job sends only urgent appeals, at once.
    daemon = Daemon(settings, publishers, clock=lambda: NOW + timedelta(hours=4, minutes=7))
    assert daemon.urgent_job().sent == {}  # normal posts wait for a slot
    add_manual(db, settings, appeal(10, urgent=True), NOW + timedelta(hours=4))
    assert daemon.urgent_job().sent == {"x": 1, "facebook": 1}
    urgent = list_posts(db, ("sent",), item_id=list_posts(db, ("sent",))[0]["item_id"])
    assert all(p["text"].startswith("URGENT: ") for p in urgent if "Person 10" in p["text"])
    add_manual(db, settings, appeal(11, urgent=True), NOW + timedelta(hours=4))
    add_manual(db, settings, appeal(12, urgent=True), NOW + timedelta(hours=4))
    report = daemon.urgent_job()
    assert report.sent == {"x": 1, "facebook": 1}  # the whole limit of 5, no more
    assert "daily limit of 5" in report.skipped["x"]
    assert live(fakes) == (5, 5)
    assert len(list_posts(db, ("queued",))) == 2 * 2 + 2  # 2 normal and 1 urgent per platform


def test_the_daemon_schedules_the_urgent_and_housekeeping_jobs(
    tmp_path: Path, fakes: Fakes
) -> None:
    settings = live_settings(tmp_path, fakes)
    daemon = Daemon(settings, build_publishers(settings))
    daemon.schedule()
    jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    assert jobs["urgent"].trigger.interval <= timedelta(seconds=15)
    assert jobs["housekeeping"].trigger.interval == timedelta(hours=1)


# --- re-appeals ---------------------------------------------------------------------------------


def test_due_at_follows_reappeal_days_then_every() -> None:
    first = datetime(2026, 1, 1, 9, tzinfo=UTC)
    days = [due_at(first, r, (7, 30), 30) for r in range(1, 6)]
    assert [(d - first).days for d in days if d] == [7, 30, 60, 90, 120]
    assert due_at(first, 3, (7, 30), 0) is None
    assert due_at(first, 1, (), 30) is None


def test_reappeals_fall_due_at_the_same_local_time_across_summer_time() -> None:
    # First posted at 09:00 in London on a Saturday before the clocks go forward (29 March
    # 2026): a week later it is due at 09:00 local again, which is 08:00 UTC, not 09:00 UTC.
    first = datetime(2026, 3, 21, 9, tzinfo=UTC)
    week = due_at(first, 1, (7,), 0, LONDON)
    assert week is not None
    assert week.astimezone(LONDON).hour == 9 and week == datetime(2026, 3, 28, 9, tzinfo=UTC)
    month = due_at(first, 2, (7, 30), 0, LONDON)
    assert month is not None and month.astimezone(LONDON).strftime("%d %H:%M") == "20 09:00"
    assert month == datetime(2026, 4, 20, 8, tzinfo=UTC)


def test_next_round_never_twice_a_day_and_only_the_latest_after_downtime() -> None:
    first = datetime(2026, 1, 1, 9, tzinfo=UTC)
    day = timedelta(days=1)
    assert next_round(first, 0, first, first + 6 * day, (7, 30), 30, LONDON) is None
    assert next_round(first, 0, first, first + 7 * day, (7, 30), 30, LONDON) == 1
    # Down from day 6 to day 61: one post, round 3 (day 60), not three in a morning.
    assert next_round(first, 0, first, first + 61 * day, (7, 30), 30, LONDON) == 3
    # Round 1 already posted earlier today: round 2 waits for tomorrow, even if due.
    late = first + 30 * day + timedelta(hours=5)
    assert next_round(first, 1, late - timedelta(hours=1), late, (1, 30), 30, LONDON) is None
    assert next_round(first, 1, late - day, late, (1, 30), 30, LONDON) == 2


def test_reappeal_cadence_on_a_controlled_clock(tmp_path: Path, fakes: Fakes) -> None:
    settings = live_settings(
        tmp_path, fakes, PLATFORMS="x", REAPPEAL_DAYS="7,30", REAPPEAL_EVERY_DAYS="30"
    )
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    item_id, _ = add_manual(db, settings, appeal(1), NOW)
    other, _ = add_manual(db, settings, appeal(2), NOW)
    run_slot(db, publishers, settings, clock=lambda: NOW)  # both first posts go out on day 0

    queued_on: list[int] = []
    now = NOW
    while now < NOW + timedelta(days=125):
        now += timedelta(hours=3)
        if now == NOW + timedelta(days=20):
            # The site updates the appeal: the next re-appeal carries the latest details.
            update = "UPDATE items SET summary = 'Now thought to be in York.' WHERE id = ?"
            db.execute(update, [item_id])
        if now == NOW + timedelta(days=100):
            close_appeal(db, settings, other, "found safe", now, found=True)
        new = queue_reappeals(db, settings, now)
        if new:
            assert queue_reappeals(db, settings, now) == []  # never twice
            queued_on.append((now - NOW).days)
            run_slot(db, publishers, settings, clock=lambda at=now: at)
    # Two appeals: both on days 7, 30, 60 and 90; after day 100 only the one still missing.
    assert queued_on == [7, 30, 60, 90, 120]
    rounds = {(p["item_id"], p["round"]): p for p in list_posts(db, ("sent",), item_id=item_id)}
    assert sorted(r for _, r in rounds) == [0, 1, 2, 3, 4, 5]
    assert "York" not in rounds[(item_id, 1)]["text"] and "York" in rounds[(item_id, 2)]["text"]
    other_rounds = sorted(p["round"] for p in list_posts(db, None, item_id=other))
    assert other_rounds == [0, 1, 2, 3, 4]  # days 0, 7, 30, 60, 90; none after day 100
    sent_days = sorted(
        p["sent_at"][:10] for p in list_posts(db, ("sent", "deleted"), item_id=item_id)
    )
    assert len(sent_days) == len(set(sent_days))  # never twice on the same day


# --- the approval gate --------------------------------------------------------------------------


def rss(*entries: str, ns: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"{ns}><channel><title>Appeals</title>'
        f"<link>https://charity.example/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def entry(guid: str, title: str, extra: str = "") -> str:
    return (
        f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>'
        f"<link>https://charity.example/appeals/{guid}</link>"
        f"<description>Last seen on Monday.</description>{extra}</item>"
    )


def test_the_approval_gate_blocks_unapproved_posts(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    feed = rss(entry("a1", "Sam Jones, 15, missing"), entry("a2", "Jo Bloggs, 16, missing"))
    url = feed_server.serve("/appeals.xml", feed, etag='"1"')
    settings = live_settings(tmp_path, fakes, APPEALS_FEED_URL=url, REQUIRE_APPROVAL="1")
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    poll_feeds(db, settings, NOW)
    assert {p["status"] for p in list_posts(db)} == {"draft"}
    assert run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW).sent == {}
    assert live(fakes) == (0, 0)

    [x_post] = list_posts(db, platform="x", item_id="a1")
    with pytest.raises(AppealBotError, match="280"):
        edit(db, str(x_post["id"]), "Sam " * 80, NOW)
    with pytest.raises(AppealBotError, match="empty"):
        edit(db, "a1", "   ", NOW)
    assert edit(db, str(x_post["id"]), "Please share: Sam Jones, 15, missing", NOW)
    assert approve(db, "a1", NOW) == [p["id"] for p in list_posts(db, item_id="a1")]
    assert reject(db, "a2", "not ready", NOW)
    with pytest.raises(AppealBotError, match="nothing to approve"):
        approve(db, "a2", NOW)

    # An edit in the feed does not overwrite what the comms officer wrote.
    changed = rss(entry("a1", "Sam Jones, 15, missing from York"), entry("a2", "Jo Bloggs"))
    feed_server.serve("/appeals.xml", changed, etag='"2"')
    poll_feeds(db, settings, NOW + timedelta(minutes=5))
    report = run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    assert report.sent == {"x": 1, "facebook": 1}
    [sent_x] = [p for p in fakes.x.posts.values()]
    assert sent_x["text"] == "Please share: Sam Jones, 15, missing"
    assert {p["status"] for p in list_posts(db, None, item_id="a2")} == {"cancelled"}
    edited = db.execute("SELECT edited FROM posts WHERE id = ?", [x_post["id"]]).fetchone()[0]
    assert edited == 1


# --- regions and entry fields -------------------------------------------------------------------

NS = ' xmlns:charity="https://charity.example/ns"'


def test_region_and_status_fields_and_region_hashtags(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    region = "<charity:region>North-West</charity:region>"
    feed = rss(entry("a1", "Sam Jones, 15, missing", region), ns=NS)
    url = feed_server.serve("/appeals.xml", feed, etag='"1"')
    settings = live_settings(
        tmp_path,
        fakes,
        APPEALS_FEED_URL=url,
        STATUS_FIELD="charity_status",
        REGION_FIELD="charity_region",
        REGION_HASHTAGS="north-west=#NorthWest #Manchester,scotland=#Scotland",
    )
    db = open_db(settings.database_path)
    poll_feeds(db, settings, NOW)
    posts = list_posts(db)
    assert sorted((p["platform"], p["target"]) for p in posts) == [
        ("facebook", ""),
        ("facebook", NORTH),
        ("x", ""),
    ]
    for post in posts:
        assert "#missing" in post["text"] and "#NorthWest #Manchester" in post["text"]
        assert "#Scotland" not in post["text"]

    status = "<charity:status>Found</charity:status>"
    feed_server.serve("/appeals.xml", rss(entry("a1", "Sam Jones", region + status), ns=NS))
    [report] = poll_feeds(db, settings, NOW + timedelta(minutes=10))
    assert report.closed == 1
    assert {p["status"] for p in list_posts(db, None)} == {"cancelled"}


def test_add_region_picks_hashtags_and_the_regional_page(tmp_path: Path, fakes: Fakes) -> None:
    settings = live_settings(tmp_path, fakes, REGION_HASHTAGS="north-west=#NorthWest")
    db = open_db(settings.database_path)
    add_manual(db, settings, appeal(1, region="North-West"), NOW)
    run_slot(db, build_publishers(settings), settings, due_only=False, clock=lambda: NOW)
    pages = sorted(str(p["page"]) for p in fakes.facebook.posts.values())
    assert pages == sorted([MAIN, NORTH])
    assert all("#NorthWest" in str(p["message"]) for p in fakes.facebook.posts.values())


# --- schema migration ---------------------------------------------------------------------------


def test_an_existing_database_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE items (id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL"
        " DEFAULT 'feed', feed_url TEXT, title TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL"
        " DEFAULT '', link TEXT, image_url TEXT, image_alt TEXT, published_at TEXT,"
        " updated_at TEXT, categories TEXT NOT NULL DEFAULT '[]', status TEXT, urgent INTEGER"
        " NOT NULL DEFAULT 0, region TEXT, first_seen_at TEXT NOT NULL, last_seen_at TEXT NOT"
        " NULL, closed_at TEXT, close_reason TEXT, purged_at TEXT)"
    )
    conn.execute(
        "INSERT INTO items (id, kind, first_seen_at, last_seen_at)"
        " VALUES ('old', 'appeal', 'x', 'x')"
    )
    conn.commit()
    conn.close()
    settings = make_settings(tmp_path, DATABASE_PATH=str(path))
    for _ in range(2):  # idempotent
        db = open_db(settings.database_path)
        assert db.execute("SELECT missing_polls FROM items WHERE id = 'old'").fetchone() == (0,)
        db.close()
