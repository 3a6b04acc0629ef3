"""The health verdict (pure) and what it reads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.core.db import open_db
from bot.core.healthcheck import check_health, judge
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
    no_feeds = make_settings(tmp_path)
    assert judge(no_feeds, NOW, "pid 1", None, ()).ok


def test_check_health_reads_pauses_of_enabled_platforms_only(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
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
