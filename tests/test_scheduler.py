"""Slots in the charity's time zone, across DST; missed slots; one daemon per database."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.db import open_db
from bot.core.errors import DaemonAlreadyRunning
from bot.core.events import list_events
from bot.core.lock import DaemonLock
from bot.platforms.base import PostRequest, Published
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.approval import pin
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, list_posts, store_item
from bot.posts.schedule import latest_slot, next_slot, slot_key
from bot.scheduler import Daemon, slot_trigger
from bot.sending.catch_up import note_on_start
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


def queue(settings, n: int, at: datetime = NOW) -> None:  # type: ignore[no-untyped-def]
    db = open_db(settings.database_path)
    for i in range(n):
        item = make_item(i)
        store_item(db, item, at)
        enqueue(db, item.id, plan_posts(item, settings, at), at)
    db.close()


# 12:30 in London (GMT in November): the day's second slot, after NOW (10:00) when posts queue.
SLOT = NOW.replace(hour=12, minute=30)


def test_the_same_slot_never_sends_twice(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x", POSTS_PER_SLOT="2")
    queue(settings, 5)
    daemon = Daemon(settings, {"x": SandboxPublisher("x")}, clock=lambda: SLOT)
    assert daemon.slot_job().sent == {"x": 2}
    # A coalesced misfire or a second process: the plan counts what the slot already sent.
    assert daemon.slot_job().sent == {}
    db = open_db(settings.database_path)
    assert len(list_posts(db, ("sent",))) == 2
    done = list_events(db, outcome="done")
    assert {event["detail"] for event in done} == {"slot 2026-11-25T12:30: sent 2 posts: x 2"}


class StopsAfterOne(SandboxPublisher):
    """A slot cut short: the daemon is asked to stop while the first post is being sent."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__("x")
        self.stop = stop

    def publish(self, post: PostRequest) -> Published:
        self.stop.set()
        return super().publish(post)


def test_a_slot_cut_short_says_what_is_left_and_a_restart_catches_it_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x", POSTS_PER_SLOT="3")
    queue(settings, 5)
    stop = threading.Event()
    first = Daemon(settings, {"x": StopsAfterOne(stop)}, clock=lambda: SLOT, stop=stop)
    assert first.slot_job().sent == {"x": 1}
    db = open_db(settings.database_path)
    [cut] = list_events(db, outcome="interrupted")
    assert cut["detail"].startswith("slot 2026-11-25T12:30 cut short by a stop: sent 1 post")
    assert "2 posts left" in cut["detail"]
    # Restarted 20 minutes later, within SLOT_CATCH_UP_MINUTES: the slot's two others go now.
    later = SLOT + timedelta(minutes=20)
    restarted = Daemon(settings, {"x": SandboxPublisher("x")}, clock=lambda: later)
    assert note_on_start(db, settings, later) is not None
    assert restarted.urgent_job().sent == {"x": 2}
    assert restarted.urgent_job().sent == {}  # never more than POSTS_PER_SLOT in the slot
    [caught] = list_events(db, outcome="catch-up")
    assert "2 posts left go out now" in caught["detail"]
    sent_slots = {row["sent_slot"] for row in db.query("SELECT sent_slot FROM posts")}
    assert sent_slots == {"2026-11-25T12:30", None}


def test_a_slot_missed_past_the_window_takes_the_next_slot_and_says_so(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x", POSTS_PER_SLOT="2")
    queue(settings, 3)
    late = SLOT + timedelta(minutes=61)
    daemon = Daemon(settings, {"x": SandboxPublisher("x")}, clock=lambda: late)
    db = open_db(settings.database_path)
    line = note_on_start(db, settings, late)
    assert line is not None and "missed by more than 60 minutes" in line
    assert "the first goes 2026-11-25 18:30 GMT" in line
    assert daemon.urgent_job().sent == {}
    assert list_events(db, outcome="missed")


def test_a_missed_slot_job_is_logged_by_the_daemon(tmp_path: Path) -> None:
    # APScheduler runs on the real clock and coalesces a missed job's run times to the latest:
    # a slot whose time of day fell within the catch-up window before the real now would run,
    # not be missed (with a 12:30 slot, this test failed every day from 12:30 to 13:30 UTC).
    # So the slot's time of day is six hours after the real clock's.
    wall = datetime.now(UTC) + timedelta(hours=6)
    slot = NOW.replace(hour=wall.hour, minute=wall.minute)
    settings = make_settings(
        tmp_path, PLATFORMS="x", POSTS_PER_SLOT="2", POST_SLOTS=f"{wall:%H:%M}", TIMEZONE="UTC"
    )
    queue(settings, 3, at=slot - timedelta(hours=2, minutes=30))
    late = slot + timedelta(hours=3)
    daemon = Daemon(settings, {"x": SandboxPublisher("x")}, clock=lambda: late)
    daemon.schedule()
    # The host slept through the slot: its run time is far beyond the catch-up window.
    asleep = datetime.now(UTC) - timedelta(hours=3)
    daemon.scheduler.modify_job(f"slot-{wall:%H%M}", next_run_time=asleep)
    daemon.scheduler.pause_job("poll-feeds")
    daemon.scheduler.start()
    db = open_db(settings.database_path)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not list_events(db, outcome="missed"):
            time.sleep(0.05)
    finally:
        daemon.scheduler.shutdown(wait=True)
    [missed] = list_events(db, outcome="missed")
    assert "take the next slot" in missed["detail"]
    assert list_posts(db, ("sent",)) == []


def test_a_second_daemon_on_the_same_database_refuses_and_names_the_holder(
    tmp_path: Path,
) -> None:
    path = tmp_path / "appeals.db"
    with DaemonLock(path):
        with pytest.raises(DaemonAlreadyRunning) as caught:
            DaemonLock(path).acquire()
        assert "pid" in str(caught.value)
    DaemonLock(path).acquire()  # released: free again


def test_with_no_catch_up_the_slot_job_still_sends_its_slot(tmp_path: Path) -> None:
    """SLOT_CATCH_UP_MINUTES=0 means no catching up later, not no slot: the slot job fires a
    moment into the slot's minute and must still send the slot's posts; after that minute,
    nothing of the slot goes."""
    settings = make_settings(tmp_path, PLATFORMS="x", POSTS_PER_SLOT="2", SLOT_CATCH_UP_MINUTES="0")
    queue(settings, 2)
    late = SLOT + timedelta(minutes=1, seconds=1)
    assert (
        Daemon(settings, {"x": SandboxPublisher("x")}, clock=lambda: late).urgent_job().sent == {}
    )
    fired = SLOT + timedelta(milliseconds=40)
    daemon = Daemon(settings, {"x": SandboxPublisher("x")}, clock=lambda: fired)
    assert daemon.slot_job().sent == {"x": 2}


def test_with_no_catch_up_a_pinned_post_goes_at_the_tick_after_its_minute(tmp_path: Path) -> None:
    """A pin is kept to the minute by the 15 s tick, a few seconds into that minute: with
    SLOT_CATCH_UP_MINUTES=0 it must go then, not count as missed and wait for the next slot."""
    settings = make_settings(tmp_path, PLATFORMS="x", POSTS_PER_SLOT="2", SLOT_CATCH_UP_MINUTES="0")
    queue(settings, 1)
    db = open_db(settings.database_path)
    [post] = list_posts(db, ("queued",))
    pinned_to = SLOT + timedelta(hours=2)  # 14:30, between the slots
    pin(db, [post["id"]], pinned_to, NOW)
    tick = pinned_to + timedelta(seconds=14)
    assert Daemon(settings, {"x": SandboxPublisher("x")}, clock=lambda: tick).urgent_job().sent == {
        "x": 1
    }
