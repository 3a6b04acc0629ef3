"""What the operators' log says about a slot: done, cut short, caught up or missed.

The plan (bot/posts/schedule.py) keeps a slot open for ``SLOT_CATCH_UP_MINUTES`` after its time,
so a slot cut short by a stop, or missed while the host was down, is finished on restart by the
daemon's urgent tick; past the window its posts take the next slot. These functions put that
into words, counting from the database (posts sent in the slot carry its key in ``sent_slot``),
so a slot's line is right whichever job or process sent its posts.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlite_utils

from bot.core import events
from bot.core.display import per_platform, plural
from bot.core.settings import Settings
from bot.posts.schedule import catch_up_window, latest_slot, local_label, slot_key
from bot.posts.states import BUDGET_STATUSES
from bot.sending.plan import current_plan


def _sent_in(db: sqlite_utils.Database, key: str) -> Counter[str]:
    marks = ",".join("?" for _ in BUDGET_STATUSES)
    rows = db.execute(
        f"SELECT platform, COUNT(*) FROM posts WHERE sent_slot = ? AND status IN ({marks})"
        " GROUP BY platform",
        [key, *map(str, BUDGET_STATUSES)],
    ).fetchall()
    return Counter({platform: count for platform, count in rows})


def _left_in(db: sqlite_utils.Database, settings: Settings, key: str, now: datetime) -> int:
    return sum(1 for p in current_plan(db, settings, now).values() if p.slot == key)


def slot_summary(
    db: sqlite_utils.Database, settings: Settings, key: str, now: datetime, stopped: bool
) -> tuple[str, str]:
    """The outcome word and the line for the log at the end of slot ``key``'s job.

    ``stopped``: the daemon was asked to stop mid-slot. Says what went, what is left, and
    when what is left goes (on restart within the catch-up window, else the next slot).
    """
    sent = _sent_in(db, key)
    total = sum(sent.values())
    went = f"sent {plural(total, 'post')}" + (f": {per_platform(dict(sent))}" if total else "")
    left = _left_in(db, settings, key, now)
    window = settings.slot_catch_up_minutes
    if stopped and left:
        return "interrupted", (
            f"slot {key} cut short by a stop: {went}; {plural(left, 'post')} left, to go out on"
            f" restart within {window} minutes of the slot (SLOT_CATCH_UP_MINUTES), else in"
            " the next slot"
        )
    if left:
        return "done", (
            f"slot {key}: {went}; {plural(left, 'post')} left waiting for a retry or a rate"
            f" limit, caught up within {window} minutes of the slot"
        )
    return "done", f"slot {key}: {went}"


def note_on_start(db: sqlite_utils.Database, settings: Settings, now: datetime) -> str | None:
    """On start: log the latest slot if it was cut short or missed, and what happens now.

    Within the catch-up window its posts go out now; past it, they take the next slot. Returns
    the line logged, or None when the latest slot had nothing left.
    """
    zone = settings.timezone
    slot = latest_slot(now, settings.post_slots, zone)
    if slot is None:
        return None
    key = slot_key(slot, zone)
    window = catch_up_window(settings)
    left = _left_in(db, settings, key, now)
    if left:
        line = (
            f"slot {key} was cut short or missed: {plural(left, 'post')} left go out now"
            f" (caught up until {local_label(slot + window, zone)})"
        )
        events.record(db, "slot", "catch-up", line, now=now)
        return line
    if now - slot <= window:
        return None
    # Past the window: what the slot would have sent, had the bot been running then.
    missed = [p.post_id for p in current_plan(db, settings, slot).values() if p.slot == key]
    if not missed:
        return None
    plan_now = current_plan(db, settings, now)
    times = sorted(p.at for i in missed if (p := plan_now.get(i)) and p.at is not None)
    nxt = f"; the first goes {local_label(times[0], zone)}" if times else ""
    line = (
        f"slot {key} was missed by more than {settings.slot_catch_up_minutes} minutes"
        f" (SLOT_CATCH_UP_MINUTES): its {plural(len(missed), 'post')} take the next slot{nxt}"
    )
    events.record(db, "slot", "missed", line, now=now)
    return line
