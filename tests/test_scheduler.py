"""Slots in the charity's time zone, across DST; missed slots; one daemon per database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.db import open_db
from bot.core.errors import DaemonAlreadyRunning
from bot.core.events import list_events
from bot.core.lock import DaemonLock
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, list_posts, store_item
from bot.posts.slots import latest_slot, next_slot, slot_key
from bot.scheduler import Daemon, slot_trigger
from tests.factories import NOW, make_item, make_settings


def test_slots_follow_the_time_zone_across_the_spring_dst_change(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, POST_SLOTS="09:00", TIMEZONE="Europe/London")
    trigger = slot_trigger(settings.post_slots[0], settings)
    before = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, before)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    assert first is not None and second is not None
    # 09:00 GMT on the Saturday, then 09:00 BST (08:00 UTC) on the Sunday the clocks go forward.
    assert first.astimezone(UTC).hour == 9 and first.day == 28
    assert second.astimezone(UTC).hour == 8 and second.day == 29
    assert (
        first.astimezone(settings.timezone).hour == second.astimezone(settings.timezone).hour == 9
    )


def test_slots_follow_the_time_zone_across_the_autumn_dst_change(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, POST_SLOTS="18:30", TIMEZONE="Europe/London")
    saturday = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    sat = next_slot(saturday, settings.post_slots, settings.timezone)
    sun = next_slot(sat + timedelta(minutes=1), settings.post_slots, settings.timezone)
    assert (sat.astimezone(UTC).hour, sun.astimezone(UTC).hour) == (17, 18)


def test_latest_slot_and_keys_are_local(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, POST_SLOTS="09:00,18:30", TIMEZONE="Europe/London")
    now = datetime(2026, 7, 1, 7, 59, tzinfo=UTC)  # 08:59 BST: yesterday evening's slot
    slot = latest_slot(now, settings.post_slots, settings.timezone)
    assert slot is not None and slot_key(slot, settings.timezone) == "2026-06-30T18:30"


def queue(settings, n: int) -> None:  # type: ignore[no-untyped-def]
    db = open_db(settings.database_path)
    for i in range(n):
        item = make_item(i)
        store_item(db, item, NOW)
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    db.close()


def test_the_same_slot_never_sends_twice(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x", POSTS_PER_SLOT="2")
    queue(settings, 5)
    clock = lambda: NOW + timedelta(hours=1)  # noqa: E731
    daemon = Daemon(settings, {"x": SandboxPublisher("x")}, clock=clock)
    assert daemon.slot_job() is not None
    assert daemon.slot_job() is None  # a coalesced misfire or a second process: refused
    db = open_db(settings.database_path)
    assert len(list_posts(db, ("sent",))) == 2
    [done] = list_events(db, outcome="done")
    assert done["detail"].endswith(": sent 2 posts: x 2")


def test_a_missed_slot_is_logged_and_its_posts_go_out_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x", POSTS_PER_SLOT="2", POST_SLOTS="09:00")
    queue(settings, 3)
    publisher = SandboxPublisher("x")
    daemon = Daemon(settings, {"x": publisher})
    daemon.schedule()
    # The host slept through this morning's slot: its run time is far beyond the grace period.
    asleep = datetime.now(UTC) - timedelta(hours=3)
    daemon.scheduler.modify_job("slot-0900", next_run_time=asleep)
    daemon.scheduler.pause_job("poll-feeds")
    daemon.scheduler.start()
    try:
        deadline = time.monotonic() + 10
        db = open_db(settings.database_path)
        while time.monotonic() < deadline and len(list_posts(db, ("sent",))) < 2:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        daemon.scheduler.shutdown(wait=True)
    assert len(list_posts(db, ("sent",))) == 2
    missed = list_events(db, outcome="missed")
    assert len(missed) == 1 and "was missed" in missed[0]["detail"]
    assert db.execute("SELECT COUNT(*) FROM slot_runs").fetchone()[0] == 1


def test_a_second_daemon_on_the_same_database_refuses_and_names_the_holder(
    tmp_path: Path,
) -> None:
    path = tmp_path / "appeals.db"
    with DaemonLock(path):
        with pytest.raises(DaemonAlreadyRunning) as caught:
            DaemonLock(path).acquire()
        assert "pid" in str(caught.value)
    DaemonLock(path).acquire()  # released: free again
