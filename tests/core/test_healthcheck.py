"""The health verdict (pure) and what it reads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.core.clock import to_iso
from bot.core.db import open_db
from bot.core.healthcheck import Check, check_health, judge, polls_sample_feeds
from bot.core.lock import DaemonLock, daemon_running
from bot.sending import health
from tests.factories import NOW, make_settings


def test_each_check_fails_on_its_own(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, APPEALS_FEED_URL="https://charity.example/feed")
    fresh = NOW - timedelta(minutes=5)
    assert judge(settings, NOW, "pid 1", fresh, ()).ok
    assert not judge(settings, NOW, None, fresh, ()).ok
    stale = judge(settings, NOW, "pid 1", NOW - timedelta(minutes=22), ())
    assert not stale.ok and "22 min ago" in stale.polling.detail
    assert judge(settings, NOW, "pid 1", NOW - timedelta(minutes=20), ()).ok
    paused = judge(settings, NOW, "pid 1", fresh, ("x",))
    assert not paused.ok and paused.platforms.detail.startswith("paused: x")
    no_feeds = make_settings(tmp_path, SANDBOX="0")
    assert judge(no_feeds, NOW, "pid 1", None, ()).polling == Check(True, "no feeds configured")


def test_a_sandbox_with_no_feed_set_is_judged_on_its_sample_feeds(tmp_path: Path) -> None:
    """The sandbox polls its sample feeds when none is set: health must not say "no feeds"."""
    settings = make_settings(tmp_path)
    assert settings.sandbox and not settings.appeals_feed_urls and polls_sample_feeds(settings)
    never = judge(settings, NOW, "pid 1", None, ())
    assert not never.ok
    assert never.polling.detail == "no feed polled yet (the sandbox's sample feeds)"
    stale = judge(settings, NOW, "pid 1", NOW - timedelta(minutes=22), ())
    assert not stale.ok and stale.polling.detail.endswith("(the sandbox's sample feeds)")
    assert judge(settings, NOW, "pid 1", NOW - timedelta(minutes=5), ()).ok
    configured = make_settings(tmp_path, APPEALS_FEED_URL="https://charity.example/feed")
    assert not polls_sample_feeds(configured)


def test_only_the_sample_feeds_polls_count_in_a_sandbox_with_no_feed_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = open_db(settings.database_path)
    recent, old = to_iso(NOW - timedelta(minutes=3)), to_iso(NOW - timedelta(hours=5))
    db["feeds"].insert_all(
        [
            # Polled lately, but not a feed this bot polls now.
            {"url": "https://charity.example/feed", "kind": "appeal", "last_polled_at": recent},
            {"url": "http://127.0.0.1:9/elsewhere.xml", "kind": "appeal", "last_polled_at": recent},
            {"url": "http://127.0.0.1:9/x/news.xml", "kind": "news", "last_polled_at": recent},
            # A sample feed, on a port other than 8765 (that one was taken).
            {"url": "http://127.0.0.1:40123/news.xml", "kind": "news", "last_polled_at": old},
        ]
    )
    with DaemonLock(settings.database_path):
        found = check_health(db, settings, NOW)
    assert not found.ok and found.last_poll_at == to_iso(NOW - timedelta(hours=5))
    assert found.polling.detail.startswith("last poll 300 min ago")


def test_check_health_reads_pauses_of_enabled_platforms_only(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x", SANDBOX="0")  # no feed to poll
    db = open_db(settings.database_path)
    health.pause(db, "facebook", "token expired for Sam's appeal", NOW)
    with DaemonLock(settings.database_path):
        assert daemon_running(settings.database_path)
        assert check_health(db, settings, NOW).ok
        health.pause(db, "x", "token expired", NOW)
        found = check_health(db, settings, NOW)
        assert not found.ok and found.paused == ("x",)
        assert "Sam" not in str(found.as_dict())
    assert daemon_running(settings.database_path) is None


def test_a_feed_failing_poll_after_poll_is_not_healthy(tmp_path: Path) -> None:
    """Polled a minute ago, but failing for three polls: a found person's FOUND would not be
    read, so a monitor must hear of it (without the feed's address, which can hold a key)."""
    feed = "https://charity.example/feed?key=s3cret"
    settings = make_settings(tmp_path, APPEALS_FEED_URL=feed, ALERT_FEED_FAILURES="3")
    db = open_db(settings.database_path)
    recent = to_iso(NOW - timedelta(minutes=1))
    db["feeds"].insert(
        {"url": feed, "kind": "appeal", "last_polled_at": recent, "failures_in_a_row": 2}
    )
    with DaemonLock(settings.database_path):
        assert check_health(db, settings, NOW).ok  # two in a row: not yet
        db.execute("UPDATE feeds SET failures_in_a_row = 3")
        found = check_health(db, settings, NOW)
    assert not found.ok and not found.polling.ok
    assert found.polling.detail.startswith("1 feed failed 3 or more polls in a row")
    assert "s3cret" not in str(found.as_dict()) and "charity.example" not in str(found.as_dict())
