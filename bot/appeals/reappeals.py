"""Re-appeals: a person still missing is appealed for again, REAPPEAL_DAYS after the first post
(7 and 30 days by default) and then every REAPPEAL_EVERY_DAYS, with the appeal's latest details.

:func:`next_round` decides (pure, on an injected ``now``); :func:`queue_reappeals` reads the
queue, asks it, and queues the round on the platforms the appeal first went out on. Each round
is a new ``posts.round``, so UNIQUE(item_id, platform, target, round) makes queueing it twice
impossible, whichever process runs the job.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

import sqlite_utils

from bot.core import events
from bot.core.clock import from_iso
from bot.core.settings import Settings
from bot.posts.planner import plan_posts
from bot.posts.queue import PRIORITY_APPEAL, enqueue, get_item


def due_at(
    first_post: datetime,
    round: int,
    days: tuple[int, ...],
    every: int,
    zone: tzinfo = UTC,
) -> datetime | None:
    """When re-appeal ``round`` (1, 2, …) falls due, or None if the cadence never reaches it.

    Days are calendar days in ``zone``: an appeal first posted at 09:00 is due again at 09:00
    local time, across a change to or from summer time (not an hour early or late, which could
    push it past the morning slot).
    """
    days = tuple(sorted(days))
    if round < 1 or not days:
        return None
    if round <= len(days):
        offset = days[round - 1]
    elif every > 0:
        offset = days[-1] + (round - len(days)) * every
    else:
        return None
    local = first_post.astimezone(zone).replace(tzinfo=None) + timedelta(days=offset)
    return local.replace(tzinfo=zone).astimezone(UTC)


def next_round(
    first_post: datetime,
    last_round: int,
    last_posted: datetime | None,
    now: datetime,
    days: tuple[int, ...],
    every: int,
    zone: tzinfo,
) -> int | None:
    """The round to queue now, or None.

    Never a second post of the appeal on the same local day as the last one. After downtime
    only the latest round due is queued: a person's appeal posted three times in one morning
    to catch up would look like spam and wear out the public's attention.
    """
    if (
        last_posted is not None
        and last_posted.astimezone(zone).date() == now.astimezone(zone).date()
    ):
        return None
    due: int | None = None
    candidate = last_round + 1
    while (at := due_at(first_post, candidate, days, every, zone)) is not None and at <= now:
        due = candidate
        candidate += 1
    return due


def queue_reappeals(db: sqlite_utils.Database, settings: Settings, now: datetime) -> list[int]:
    """Queue every re-appeal due now; returns the new queue ids.

    Only appeals still missing (not closed, not purged) whose first post went out qualify, and
    none with a post still waiting or being sent: a round that has not gone out yet is not
    followed by another. With REQUIRE_APPROVAL=1 a re-appeal waits as a draft, like feed items.
    """
    if not settings.reappeal_days:
        return []
    # One grouped read of the open appeals (items_lifecycle index) and their posts: closed and
    # purged appeals, most of a grown database, are never visited.
    candidates = db.execute(
        "SELECT i.id, MIN(CASE WHEN p.round = 0 THEN p.sent_at END), MAX(p.round),"
        " SUM(p.status IN ('draft', 'queued', 'sending')),"
        " MAX(CASE WHEN p.round > 0 THEN p.created_at END)"
        " FROM items i JOIN posts p ON p.item_id = i.id"
        " WHERE i.kind = 'appeal' AND i.purged_at IS NULL AND i.closed_at IS NULL"
        " AND COALESCE(i.status, 'missing') = 'missing' GROUP BY i.id ORDER BY i.id"
    ).fetchall()
    queued: list[int] = []
    for item_id, first_sent, last_round, waiting, last_created in candidates:
        if first_sent is None or waiting:
            continue
        first_post = from_iso(first_sent)
        last_posted = max(first_post, from_iso(last_created)) if last_created else first_post
        round = next_round(
            first_post,
            last_round,
            last_posted,
            now,
            settings.reappeal_days,
            settings.reappeal_every_days,
            settings.timezone,
        )
        if round is None:
            continue
        platforms = tuple(
            row[0]
            for row in db.execute(
                "SELECT DISTINCT platform FROM posts WHERE item_id = ? AND round = 0"
                " AND sent_at IS NOT NULL ORDER BY platform",
                [item_id],
            ).fetchall()
            if row[0] in settings.platforms
        )
        if not platforms:
            continue
        item = get_item(db, item_id)
        planned = [
            # A re-appeal is a reminder, not an emergency: it waits for a slot like any appeal.
            replace(post, priority=PRIORITY_APPEAL)
            for post in plan_posts(
                item,
                settings,
                now,
                platforms=platforms,
                round=round,
                draft=settings.require_approval,
            )
        ]
        ids = enqueue(db, item_id, planned, now)
        if ids:
            queued += ids
            events.record(
                db,
                "reappeal",
                "draft" if settings.require_approval else "queued",
                f"round {round} on {', '.join(platforms)}",
                item_id=item_id,
                now=now,
            )
    return queued
