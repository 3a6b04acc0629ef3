"""Share counts over time: read each sent post's counts on a decaying schedule and store them.

A post travels most in its first hours, so readings follow METRICS_SCHEDULE after ``sent_at``
(default +15m, +1h, +6h, +24h, +3d, +7d) and then stop. Each (post, offset) is read once; if
the bot was down past several offsets, one reading stands for all of them, since readings
taken at the same moment would say the same thing.

Reads are rationed: at most X_METRICS_READS_PER_15_MINUTES on X and
FACEBOOK_METRICS_READS_PER_HOUR on Facebook, counted from the ``metrics`` table itself, so the
daemon and a ``metrics`` command run by hand share one budget. What does not fit stays due and
is read on a later tick. A platform that refuses a read for its rate limit is not asked again
before the reset it gave (kept in the ``platforms`` table, so every process honours it). A post
deleted on the platform (404) is never read again, and the operators' log says so; any other
error leaves it due, for up to :data:`LATE_READINGS_KEPT` past the last offset.

The rows written here are read by :mod:`bot.shares.stats`; nothing here knows about tables or plots.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlite_utils

from bot.core import events
from bot.core.clock import from_iso, local_text, to_iso
from bot.core.db import immediate
from bot.core.display import per_platform, plural
from bot.core.errors import PublishError, RateLimited, RemoteGone
from bot.core.settings import Settings
from bot.platforms.base import Metrics, Publisher
from bot.sending import health

log = logging.getLogger("appeal_bot")

# The windows the platforms' read limits are counted over.
READ_WINDOWS: dict[str, timedelta] = {
    "x": timedelta(minutes=15),
    "facebook": timedelta(hours=1),
    "bluesky": timedelta(minutes=5),
    "mastodon": timedelta(minutes=5),
}
# Reads allowed per window where no setting says: a tenth of what each platform allows (Bluesky
# 3,000 requests per 5 minutes per IP; Mastodon 300 per 5 minutes per account), so share
# tracking never starves posting and deleting of the same budget.
FIXED_READS = {"bluesky": 300, "mastodon": 30}
# How long past a post's last scheduled reading a reading not yet taken (read limits, an outage)
# is still looked for. Bounding the per-minute check to recent posts keeps its cost flat in
# history; a reading a week late says little about the offset it stands for.
LATE_READINGS_KEPT = timedelta(days=7)


def read_limit(settings: Settings, platform: str) -> tuple[int, timedelta]:
    """How many metrics reads ``platform`` allows, and over what window."""
    if platform == "x":
        return settings.x_metrics_reads_per_15_minutes, READ_WINDOWS["x"]
    if platform in FIXED_READS:
        return FIXED_READS[platform], READ_WINDOWS[platform]
    return settings.facebook_metrics_reads_per_hour, READ_WINDOWS["facebook"]


def unread_offsets(
    sent_at: datetime,
    last_offset: timedelta | None,
    schedule: Sequence[timedelta],
    now: datetime,
) -> list[timedelta]:
    """The scheduled offsets that have passed and are later than the last one read, in order.

    Pure. Empty when nothing is due: the next offset is still ahead, or the schedule is done.
    One reading now stands for all of them; the last is the offset it is stored as.
    """
    return sorted(
        offset
        for offset in schedule
        if sent_at + offset <= now and (last_offset is None or offset > last_offset)
    )


@dataclass(frozen=True)
class DueReading:
    """One reading to take: which post, where it lives, and which offset it stands for."""

    post_id: int
    item_id: str
    platform: str
    target: str
    remote_id: str
    due_at: datetime
    # The latest passed offset this reading stands for; None for an extra reading outside the
    # schedule (``metrics --all`` on a post that is not due).
    offset: timedelta | None


def due_readings(
    db: sqlite_utils.Database, settings: Settings, now: datetime, *, everything: bool = False
) -> list[DueReading]:
    """The readings due at ``now``, longest waiting first, so a backlog is read in order.

    ``everything``: one reading of every sent post still being tracked, due or not (a post
    that happens to be due counts as its scheduled reading).
    """
    schedule = settings.metrics_schedule
    last_offset = max(schedule) if schedule else timedelta(0)
    window = (
        "" if everything else " AND p.sent_at >= ? AND COALESCE(mp.last_offset_seconds, -1) < ?"
    )
    rows = db.execute(
        "SELECT p.id, p.item_id, p.platform, p.target, p.remote_id, p.sent_at,"
        " mp.last_offset_seconds FROM posts p LEFT JOIN metrics_polls mp ON mp.post_id = p.id"
        " WHERE p.status = 'sent' AND p.remote_id IS NOT NULL AND p.sent_at IS NOT NULL"
        f" AND mp.stopped_at IS NULL{window} ORDER BY p.sent_at, p.id",
        []
        if everything
        else [
            to_iso(now - last_offset - LATE_READINGS_KEPT),
            int(last_offset.total_seconds()) if schedule else -1,
        ],
    ).fetchall()
    # Stored times are fixed-width UTC text, so "sent + offset <= now" is a string comparison
    # with now - offset: a week of posts whose next reading is still ahead costs no parsing.
    cutoffs = [(offset.total_seconds(), to_iso(now - offset)) for offset in schedule]
    due = []
    for post_id, item_id, platform, target, remote_id, sent_text, last_seconds in rows:
        if not everything and not any(
            sent_text <= cutoff and (last_seconds is None or seconds > last_seconds)
            for seconds, cutoff in cutoffs
        ):
            continue
        sent_at = from_iso(sent_text)
        last = None if last_seconds is None else timedelta(seconds=last_seconds)
        unread = unread_offsets(sent_at, last, schedule, now)
        if not unread and not everything:
            continue
        # Ordered by the first unread offset: a reading left over for the read limit has waited
        # longest, so it goes before readings that only just fell due.
        due_at = sent_at + unread[0] if unread else now
        offset = unread[-1] if unread else None
        due.append(DueReading(post_id, item_id, platform, target, remote_id, due_at, offset))
    due.sort(key=lambda reading: (reading.due_at, reading.post_id))
    return due


def reads_in_window(
    db: sqlite_utils.Database, platform: str, window: timedelta, now: datetime
) -> int:
    """Reads of ``platform`` in the ``window`` before ``now`` (its read budget used): readings
    stored, and reads answered 404 (the platform counted those too).

    CROSS JOIN keeps SQLite's planner on the stopped_at index first: starting from the
    platform's posts instead would visit every post ever sent there, each minute."""
    since, until = to_iso(now - window), to_iso(now)
    row = db.execute(
        "SELECT (SELECT COUNT(*) FROM metrics WHERE platform = ? AND taken_at > ?"
        " AND taken_at <= ?) + (SELECT COUNT(*) FROM metrics_polls mp CROSS JOIN posts p"
        " ON p.id = mp.post_id WHERE p.platform = ? AND mp.stopped_at > ? AND mp.stopped_at <= ?)",
        [platform, since, until, platform, since, until],
    ).fetchone()
    return int(row[0])


def store_reading(
    db: sqlite_utils.Database, reading: DueReading, counts: Metrics, now: datetime
) -> bool:
    """Store one reading and advance the post's schedule, atomically.

    Returns False (and stores nothing) if another process already took this offset meanwhile,
    so each (post, offset) is stored once however many pollers run.
    """
    seconds = None if reading.offset is None else int(reading.offset.total_seconds())
    with immediate(db):
        row = db.execute(
            "SELECT last_offset_seconds FROM metrics_polls WHERE post_id = ?", [reading.post_id]
        ).fetchone()
        last = row[0] if row else None
        if seconds is not None and last is not None and last >= seconds:
            return False
        db.execute(
            "INSERT INTO metrics (post_id, platform, taken_at, offset_seconds, shares, quotes,"
            " likes, replies, impressions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                reading.post_id,
                reading.platform,
                to_iso(now),
                seconds,
                counts.shares,
                counts.quotes,
                counts.likes,
                counts.replies,
                counts.impressions,
            ],
        )
        if seconds is not None:
            db.execute(
                "INSERT INTO metrics_polls (post_id, last_offset_seconds) VALUES (?, ?)"
                " ON CONFLICT (post_id) DO UPDATE SET last_offset_seconds ="
                " MAX(COALESCE(last_offset_seconds, -1), excluded.last_offset_seconds)",
                [reading.post_id, seconds],
            )
    return True


def stop_polling(
    db: sqlite_utils.Database, reading: DueReading, reason: str, now: datetime
) -> None:
    """Never read this post again: it is gone from the platform."""
    db.execute(
        "INSERT INTO metrics_polls (post_id, stopped_at, stop_reason) VALUES (?, ?, ?)"
        " ON CONFLICT (post_id) DO UPDATE SET stopped_at = excluded.stopped_at,"
        " stop_reason = excluded.stop_reason",
        [reading.post_id, to_iso(now), reason],
    )


@dataclass
class MetricsReport:
    """What one polling run did, per platform."""

    taken: dict[str, int] = field(default_factory=dict)
    gone: dict[str, int] = field(default_factory=dict)
    # Due but left for a later run: the platform's read limit was reached.
    deferred: dict[str, int] = field(default_factory=dict)
    # Why a platform's remaining readings were left for later (error, rate limit, paused).
    stopped: dict[str, str] = field(default_factory=dict)

    def total(self) -> int:
        return sum(self.taken.values())

    def summary(self) -> str:
        """One line for people: what was read, what is gone, what waits and why."""
        parts = [f"took {plural(self.total(), 'reading')}"]
        if self.taken:
            parts[0] += f": {per_platform(self.taken)}"
        if self.gone:
            parts.append(f"deleted remotely: {per_platform(self.gone)}")
        if self.deferred:
            parts.append(f"left for later (read limit): {per_platform(self.deferred)}")
        parts += [f"{platform}: {why}" for platform, why in self.stopped.items()]
        return "; ".join(parts)


def _bump(counter: dict[str, int], platform: str) -> None:
    counter[platform] = counter.get(platform, 0) + 1


def poll_metrics(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    settings: Settings,
    now: datetime,
    *,
    everything: bool = False,
) -> MetricsReport:
    """Take the readings due at ``now`` (or, with ``everything``, one of every tracked post),
    within each platform's read limit.

    A 404 stops polling that post for good and logs "deleted remotely" (in the practice sandbox,
    whose posts live in memory, it stops polling without saying the post was deleted). A rate
    limit, expired credentials or any other error stops that platform for this run: its
    readings stay due.
    Every call made counts against the read limit, whatever its outcome.
    """
    report = MetricsReport()
    calls: dict[str, int] = {}
    budget: dict[str, int] = {}
    for reading in due_readings(db, settings, now, everything=everything):
        platform = reading.platform
        publisher = publishers.get(platform)
        if publisher is None or platform in report.stopped:
            continue
        if platform not in budget:
            state = health.get_health(db, platform)
            if state.paused_reason:
                report.stopped[platform] = "paused (credentials); readings wait"
                continue
            if state.reads_held(now):
                shown = local_text(state.reads_hold_until, settings.timezone)
                report.stopped[platform] = f"read limit reached; readings wait until {shown}"
                continue
            limit, window = read_limit(settings, platform)
            budget[platform] = max(0, limit - reads_in_window(db, platform, window, now))
        if calls.get(platform, 0) >= budget[platform]:
            _bump(report.deferred, platform)
            continue
        _bump(calls, platform)
        try:
            counts = publisher.metrics(reading.remote_id, reading.target or None)
        except RemoteGone as error:
            if not publisher.live:
                # The practice sandbox keeps posts in memory: a restarted (or another) sandbox
                # not having a post says nothing about whether it was deleted.
                stop_polling(db, reading, "sandbox", now)
                events.record(
                    db,
                    "metrics",
                    "stopped",
                    "the practice sandbox no longer holds this post (it was restarted, or this is"
                    " another sandbox): its share counts stay as last read; not deleted",
                    post_id=reading.post_id,
                    item_id=reading.item_id,
                    platform=platform,
                    now=now,
                )
                continue
            stop_polling(db, reading, "gone", now)
            _bump(report.gone, platform)
            events.record(
                db,
                "metrics",
                "gone",
                f"deleted remotely: {error.message}; share counts are no longer read",
                post_id=reading.post_id,
                item_id=reading.item_id,
                platform=platform,
                now=now,
            )
            continue
        except RateLimited as error:
            # Remember the reset, so no run before it asks (and is refused) again.
            # At least a minute, whatever the header says (a clock a little behind X's).
            reset = max(
                error.retry_at or now + READ_WINDOWS.get(platform, timedelta(minutes=15)),
                now + timedelta(minutes=1),
            )
            health.hold_reads(db, platform, reset)
            shown = local_text(to_iso(reset), settings.timezone)
            report.stopped[platform] = f"readings wait until {shown}: {error.message}"
            log.warning("metrics %s: %s; readings wait until %s", platform, error, shown)
            continue
        except PublishError as error:  # credentials, outage, refusal
            report.stopped[platform] = f"readings wait: {error.message}"
            log.warning("metrics %s: %s; due readings wait for the next run", platform, error)
            continue
        if store_reading(db, reading, counts, now):
            _bump(report.taken, platform)
    return report


def take_due_readings(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    settings: Settings,
    now: datetime,
) -> int:
    """Take the scheduled readings due at ``now``; returns how many were stored."""
    return poll_metrics(db, publishers, settings, now).total()


def take_all_readings(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    settings: Settings,
    now: datetime,
) -> MetricsReport:
    """One reading of every sent post still tracked, now, within the read limits."""
    return poll_metrics(db, publishers, settings, now, everything=True)
