"""The schedule as it stands: :func:`bot.posts.schedule.plan` fed from the database.

Reads the waiting posts, each platform's health (paused, rate-limit hold) and what went out in
the last 24 hours and in the slots still open; the planning itself is pure. Every reader of
send times (the sender, ``queue``, ``schedule``, the dashboard, the commands that queue or move
a post) goes through :func:`current_plan`, so they can never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.core.clock import from_iso, to_iso
from bot.core.settings import Settings
from bot.posts.schedule import (
    DAY,
    PRIORITY_URGENT,
    Placement,
    PlatformState,
    Rules,
    Waiting,
    iso_local,
    local_label,
    may_be_due,
    plan,
    slot_open,
    when_text,
)
from bot.posts.states import BUDGET_STATUSES
from bot.sending import health


def waiting_posts(
    db: sqlite_utils.Database,
    platforms: Iterable[str] | None = None,
    *,
    urgent_or_pinned: bool = False,
) -> list[Waiting]:
    """Queued and draft posts, as the planner takes them; only the urgent and pinned ones
    with ``urgent_or_pinned`` (all :func:`bot.posts.schedule.may_be_due` needs)."""
    where, params = "", []
    if platforms is not None:
        names = list(platforms)
        where = f" AND platform IN ({','.join('?' for _ in names)})"
        params = names
    if urgent_or_pinned:
        where += f" AND (priority = {PRIORITY_URGENT} OR pinned_at IS NOT NULL)"
    rows = db.execute(
        "SELECT id, platform, target, priority, scheduled_at, status, next_attempt_at, pinned_at"
        f" FROM posts WHERE status IN ('queued', 'draft'){where}",
        params,
    ).fetchall()
    return [
        Waiting(
            id=row[0],
            platform=row[1],
            target=row[2],
            priority=row[3],
            ready_at=from_iso(row[4]),
            draft=row[5] == "draft",
            retry_at=from_iso(row[6]) if row[6] else None,
            pinned_at=from_iso(row[7]) if row[7] else None,
        )
        for row in rows
    ]


def platform_states(
    db: sqlite_utils.Database, names: Iterable[str], rules: Rules, now: datetime
) -> dict[str, PlatformState]:
    """Each platform's pause, hold, sends in the last 24 hours and use of the open slots."""
    since = to_iso(now - DAY - rules.catch_up)
    marks = ",".join("?" for _ in BUDGET_STATUSES)
    sent: dict[str, list[datetime]] = defaultdict(list)
    used: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    statuses = list(map(str, BUDGET_STATUSES))
    # Two ranges of the posts_status index (status, sent_at): sent in the window, and claimed in
    # it but not sent yet. COALESCE(sent_at, claimed_at) >= ? would read every post ever sent.
    for platform, target, at, slot in db.execute(
        "SELECT platform, target, sent_at, sent_slot FROM posts"
        f" WHERE status IN ({marks}) AND sent_at >= ?"
        " UNION ALL SELECT platform, target, claimed_at, sent_slot FROM posts"
        f" WHERE status IN ({marks}) AND sent_at IS NULL AND claimed_at >= ?",
        [*statuses, since, *statuses, since],
    ).fetchall():
        moment = from_iso(at)
        if moment >= now - DAY:
            sent[platform].append(moment)
        if slot:
            used[platform][(slot, target)] = used[platform].get((slot, target), 0) + 1
    states = {}
    for name in names:
        state = health.get_health(db, name)
        states[name] = PlatformState(
            paused=state.paused_reason,
            hold_until=from_iso(state.hold_until) if state.hold_until else None,
            sent_times=tuple(sent[name]),
            slot_used=used[name],
        )
    return states


def current_plan(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    platforms: Iterable[str] | None = None,
) -> dict[int, Placement]:
    """Every waiting post's placement now (on ``platforms``, default every platform)."""
    rules = Rules.from_settings(settings)
    posts = waiting_posts(db, platforms)
    names = sorted({post.platform for post in posts})
    return plan(posts, platform_states(db, names, rules, now), rules, now)


def may_be_due_now(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    platforms: Iterable[str] | None = None,
    within: timedelta = timedelta(0),
) -> bool:
    """Whether :func:`current_plan` could place a post at ``now + within`` or earlier; False
    is certain (:func:`bot.posts.schedule.may_be_due`).

    Reads only the waiting urgent and pinned posts and their platforms' last 24 hours, so the
    urgent check costs the same with thousands of posts waiting for their slots as with none
    (bench figure 9), and an urgent appeal held by a daily limit is not planned every 15 s.
    """
    rules = Rules.from_settings(settings)
    if slot_open(rules, now, within):
        return True
    posts = waiting_posts(db, platforms, urgent_or_pinned=True)
    if not posts:
        return False
    names = sorted({post.platform for post in posts})
    return may_be_due(posts, rules, now, within, platform_states(db, names, rules, now))


def due_within(
    db: sqlite_utils.Database, settings: Settings, now: datetime, within: timedelta
) -> list[int]:
    """The ids of waiting posts the plan sends at ``now + within`` or earlier, in no order.

    Plans only when something can be that soon (:func:`may_be_due_now`).
    """
    if not may_be_due_now(db, settings, now, within=within):
        return []
    until = now + within
    placements = current_plan(db, settings, now)
    return [p.post_id for p in placements.values() if p.at is not None and p.at <= until]


def goes_out(
    row: dict[str, Any], placements: dict[int, Placement], zone: ZoneInfo, now: datetime
) -> dict[str, Any]:
    """A queue row's planned time, for people (``goes_out_text``, local and labelled) and for
    JSON (``goes_out``: ISO 8601 with offset, or null; ``goes_out_how``: urgent, pinned, slot,
    waiting, sending, sent or null; ``goes_out_slot``; ``goes_out_note``: why, or "")."""
    placement = placements.get(row["id"])
    status = row["status"]
    if placement is not None:
        return {
            "goes_out": iso_local(placement.at, zone),
            "goes_out_how": placement.how,
            "goes_out_slot": placement.slot,
            "goes_out_note": placement.note,
            "goes_out_text": when_text(placement, zone, now),
        }
    sent_at = from_iso(row["sent_at"]) if row.get("sent_at") else None
    if status == "sending":
        text, how, at = "now (sending)", "sending", now
    elif sent_at is not None:
        text, how, at = f"sent {local_label(sent_at, zone)}", "sent", sent_at
    else:
        text, how, at = "-", None, None
    return {
        "goes_out": iso_local(at, zone),
        "goes_out_how": how,
        "goes_out_slot": None,
        "goes_out_note": "",
        "goes_out_text": text,
    }


def planned_lines(
    db: sqlite_utils.Database, settings: Settings, ids: Iterable[int], now: datetime
) -> list[str]:
    """One line per post: when it goes out by the plan (local, labelled), and why not if not.

    What ``add``, ``approve``, ``edit`` and the dashboard say after queueing or moving a post.
    """
    placements = current_plan(db, settings, now)
    lines = []
    for post_id in ids:
        row = db.execute(
            "SELECT platform, target, status, sent_at FROM posts WHERE id = ?", [post_id]
        ).fetchone()
        if row is None:
            continue
        platform, target, status, sent_at = row
        where = f"{platform}, page {target}" if target else platform
        fields = goes_out(
            {"id": post_id, "status": status, "sent_at": sent_at},
            placements,
            settings.timezone,
            now,
        )
        lines.append(f"post {post_id} ({where}): goes out {fields['goes_out_text']}")
    return lines
