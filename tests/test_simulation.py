"""Two weeks of the daemon's sending under a frozen clock, across the change to summer time.

300 posts of mixed kinds arrive at random (seeded) times; urgent appeals arrive at random;
some posts are pinned when added, some are rescheduled, some wait as drafts and are approved
(some with a pinned time); Facebook's credentials are refused for a day; the daemon is stopped
in the middle of a slot and restarted 20 minutes later. The daemon's own jobs run (its slot
jobs at the slots, its 15-second tick in between) against sandbox publishers; no real time
passes. Checked: every post goes out exactly once, at the minute the plan showed a minute
before (a slot cut short by the stop: within the catch-up window instead), never more than
POSTS_PER_SLOT per platform and page in a slot, never over a daily limit, urgent appeals within
30 seconds.
"""

from __future__ import annotations

import random
import threading
from bisect import insort
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.clock import from_iso
from bot.core.db import open_db
from bot.core.errors import AuthExpired
from bot.platforms.base import PostRequest, Published
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.approval import approve, pin
from bot.posts.manual import ManualPost, add_manual
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.posts.schedule import Rules, normal_budget, slot_key, slot_times
from bot.scheduler import URGENT_INTERVAL, Daemon
from bot.sending import health
from bot.sending.catch_up import note_on_start
from bot.sending.plan import current_plan
from tests.factories import make_item, make_settings

START = datetime(2026, 3, 22, 6, 0, tzinfo=UTC)  # a Sunday; the clocks go forward on the 29th
DAYS = 14
MINUTE = timedelta(minutes=1)
MAX_STEPS = 5000


def next_tick(moment: datetime) -> datetime:
    """The daemon's tick at or after ``moment``: it runs every URGENT_INTERVAL."""
    late = moment.timestamp() % URGENT_INTERVAL.total_seconds()
    return moment + timedelta(seconds=URGENT_INTERVAL.total_seconds() - late) if late else moment


class SimClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Sandbox(SandboxPublisher):
    """A sandbox platform whose credentials can be refused, and that can stop the daemon
    after its next post (a SIGINT in the middle of a slot)."""

    def __init__(self, platform: str) -> None:
        super().__init__(platform)
        self.refused = False
        self.stop_after_next: threading.Event | None = None

    def check_credentials(self) -> str:
        if self.refused:
            raise AuthExpired(self.platform, "token expired")
        return super().check_credentials()

    def publish(self, post: PostRequest) -> Published:
        if self.refused:
            raise AuthExpired(self.platform, "token expired")
        published = super().publish(post)
        if self.stop_after_next is not None:
            self.stop_after_next.set()
            self.stop_after_next = None
        return published


@dataclass(order=True)
class Event:
    at: datetime
    kind: str = field(compare=False)
    n: int = field(compare=False, default=0)


def _events(rng: random.Random) -> list[Event]:
    events = []
    span = DAYS * 24 * 60
    for n in range(120):  # 120 items × x and facebook = 240 posts, some pinned or drafts
        kind = "draft" if n % 10 == 3 else "pin" if n % 10 == 7 else "add"
        events.append(Event(START + timedelta(minutes=rng.randrange(span - 24 * 60)), kind, n))
    for n in range(120, 150):  # 30 urgent appeals: 60 posts, at any second
        at = START + timedelta(seconds=rng.randrange((span - 60) * 60))
        events.append(Event(at, "urgent", n))
    for n in range(15):
        at = START + timedelta(minutes=rng.randrange(span - 24 * 60))
        events.append(Event(at, "reschedule", n))
    day5 = START.replace(day=27, hour=7)
    events += [Event(day5, "pause"), Event(day5 + timedelta(days=1), "resume")]
    events.append(Event(START.replace(day=30, hour=11, minute=30), "stop-in-slot"))  # 12:30 BST
    return sorted(events)


def test_two_weeks_across_summer_time(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        PLATFORMS="x,facebook",
        POST_SLOTS="09:00,12:30,18:30",
        POSTS_PER_SLOT="3",
        X_DAILY_POST_LIMIT="17",
        FACEBOOK_DAILY_POST_LIMIT="25",
        URGENT_BUDGET_SHARE="0.2",
        TIMEZONE="Europe/London",
    )
    db = open_db(settings.database_path)
    rng = random.Random(12)
    clock = SimClock(START)
    publishers = {"x": Sandbox("x"), "facebook": Sandbox("facebook")}
    stop = threading.Event()
    daemon = Daemon(settings, publishers, clock=clock, stop=stop)
    rules = Rules.from_settings(settings)
    slots = set(slot_times(rules, START, START + timedelta(days=DAYS + 7)))
    pending = _events(rng)
    promised: dict[int, datetime] = {}  # post → its time, by the plan a minute before
    arrived: dict[int, datetime] = {}  # urgent post → when it was queued
    cut_short: set[int] = set()
    drafts: dict[int, str] = {}
    down_until: datetime | None = None
    resumed: list[datetime] = []

    def apply(event: Event) -> None:
        nonlocal down_until
        now = clock.now
        title = f"Person {event.n}, {10 + event.n % 60}, missing from Leeds"
        if event.kind in ("add", "pin", "urgent"):
            at = now + timedelta(minutes=rng.randrange(30, 3000)) if event.kind == "pin" else None
            post = ManualPost(
                kind="news" if event.n % 4 == 1 and event.kind != "urgent" else "appeal",
                title=title,
                at=at,
                urgent=event.kind == "urgent",
            )
            _, ids = add_manual(db, settings, post, now)
            if event.kind == "urgent":
                arrived.update({i: now for i in ids})
        elif event.kind == "draft":
            item = make_item(1000 + event.n, title=title)
            store_item(db, item, now)
            enqueue(db, item.id, plan_posts(item, settings, now, draft=True), now)
            drafts[event.n] = item.id
            insort(pending, Event(now + timedelta(hours=rng.randrange(1, 20)), "approve", event.n))
        elif event.kind == "approve":
            # Every other one approved with a pinned time (`approve --at`).
            at = now + timedelta(minutes=rng.randrange(10, 600)) if event.n % 20 == 3 else None
            approve(db, drafts.pop(event.n), now, at=at)
        elif event.kind == "reschedule":
            sql = "SELECT id FROM posts WHERE status = 'queued' AND priority > 0"
            queued = [r[0] for r in db.execute(sql)]
            if queued:
                target = rng.choice(sorted(queued))
                pin(db, [target], now + timedelta(minutes=rng.randrange(5, 2000)), now)
        elif event.kind == "pause":
            publishers["facebook"].refused = True
            health.pause(db, "facebook", "token expired", now)
        elif event.kind == "resume":
            publishers["facebook"].refused = False
            health.resume(db, "facebook")
            resumed.append(now)
        elif event.kind == "stop-in-slot":
            publishers["x"].stop_after_next = stop

    def next_step(now: datetime, plan: dict) -> datetime:  # type: ignore[type-arg]
        """The next moment anything happens: an event, a slot, or the daemon's tick at or after
        a planned time (and a minute before it, to read the plan then)."""
        times = [e.at for e in pending if e.at > now]
        times += [t for t in slots if t > now]
        for placement in plan.values():
            if placement.at is None:
                continue
            tick = next_tick(max(placement.at, now + timedelta(seconds=1)))
            times += [tick, tick - MINUTE] if tick - MINUTE > now else [tick]
        if down_until is not None and down_until > now:
            times = [max(t, down_until) for t in times]
        return min(times) if times else now + timedelta(days=1)

    end = START + timedelta(days=DAYS + 7)
    steps = 0
    while clock.now < end and steps < MAX_STEPS:
        steps += 1
        now = clock.now
        while pending and pending[0].at <= now:
            apply(pending.pop(0))
        up = down_until is None or now >= down_until
        if down_until is not None and now >= down_until:
            down_until = None
            stop.clear()
            daemon = Daemon(settings, publishers, clock=clock, stop=stop)  # restarted
            assert note_on_start(db, settings, now) is not None
        if up:
            plan = current_plan(db, settings, now)
            for post_id, placement in plan.items():
                # What the plan says in the minute before the post goes (not at that moment).
                if placement.at is not None and now < placement.at <= now + MINUTE:
                    promised[post_id] = placement.at
            if now in slots:
                daemon.slot_job()
                if stop.is_set():  # cut short: the host comes back 20 minutes later
                    key = slot_key(now, settings.timezone)
                    cut_short.update(p.post_id for p in plan.values() if p.slot == key)
                    down_until = now + timedelta(minutes=20)
            elif now.timestamp() % URGENT_INTERVAL.total_seconds() == 0:
                daemon.urgent_job()  # the daemon's tick
        sql = "SELECT COUNT(*) FROM posts WHERE status IN ('queued', 'draft')"
        if not pending and db.execute(sql).fetchone()[0] == 0:
            break
        plan = current_plan(db, settings, clock.now) if up else {}
        clock.now = next_step(clock.now, plan)

    rows = list(db.query("SELECT * FROM posts"))
    assert len(rows) >= 300
    # Every post went out, exactly once: one sandbox post per queue entry.
    assert {r["status"] for r in rows} == {"sent"}, Counter(r["status"] for r in rows)
    remote = Counter(
        stored.request.post_id for p in publishers.values() for stored in p.posts.values()
    )
    assert set(remote.values()) == {1} and len(remote) == len(rows)

    kept = 0
    for row in rows:
        sent = from_iso(row["sent_at"])
        if row["id"] in arrived:
            queued = arrived[row["id"]]
            if row["platform"] == "facebook" and resumed and queued < resumed[0] <= sent:
                queued = resumed[0]  # arrived while Facebook refused our credentials
            assert sent - queued <= timedelta(seconds=30), row
        elif row["id"] in cut_short:
            assert row["sent_slot"] is not None
        else:
            promise = promised[row["id"]]
            kept += 1
            assert sent.replace(second=0, microsecond=0) == promise.replace(
                second=0, microsecond=0
            ), (row, promise)

    per_slot = Counter((r["sent_slot"], r["platform"], r["target"]) for r in rows if r["sent_slot"])
    assert max(per_slot.values()) <= settings.posts_per_slot
    for name in publishers:
        daily = settings.daily_limit(name)
        normal = normal_budget(daily, settings.urgent_budget_share)
        mine = sorted(
            (from_iso(r["sent_at"]), r["priority"]) for r in rows if r["platform"] == name
        )
        for i, (at, priority) in enumerate(mine):
            before = sum(1 for other, _ in mine[:i] if at - timedelta(hours=24) <= other)
            assert before < (daily if priority == 0 else normal), (name, at)
    assert kept >= 200  # the rest: urgent appeals and the slot cut short
    assert len(cut_short) > 1 and sum(1 for r in rows if r["pinned_at"]) >= 20
    outcomes = {e["outcome"] for e in db.query("SELECT outcome FROM events WHERE action = 'slot'")}
    assert {"interrupted", "catch-up", "done"} <= outcomes
    # The summer-time change: a slot after it is at 09:00 BST, 08:00 UTC.
    assert any(r["sent_slot"] == "2026-03-30T09:00" for r in rows)
    assert steps < 5000
