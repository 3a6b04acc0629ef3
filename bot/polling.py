"""The poll job: fetch and store every feed, and let the appeals wing act on what changed.

The one place the two wings meet, so neither calls back into the other: :mod:`bot.feeds.ingest`
reports, :mod:`bot.appeals.feed_changes` acts. Used by the daemon, ``fetch`` and the demo.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.appeals.feed_changes import AppealFeedChanges
from bot.core.clock import to_iso
from bot.core.net import NetPolicy
from bot.core.settings import Settings
from bot.feeds import ingest
from bot.feeds.ingest import FeedReport


def poll_feeds(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    net: NetPolicy | None = None,
) -> list[FeedReport]:
    """Poll every configured feed once (see :func:`bot.feeds.ingest.poll_feeds`)."""
    return ingest.poll_feeds(db, settings, now, net, changes=AppealFeedChanges(settings))


@dataclass(frozen=True)
class WouldQueue:
    """A post a poll would queue: for ``fetch --dry-run``."""

    item_id: str
    title: str
    platform: str
    status: str  # "queued", or "draft" when it would wait for approval


def preview_poll(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    net: NetPolicy | None = None,
) -> tuple[list[FeedReport], list[WouldQueue]]:
    """What :func:`poll_feeds` would do now, done on an in-memory copy of the database.

    Nothing is stored, no validators or body hashes are saved and the operators' log is left
    alone; the feeds are fetched for real. The copy is taken with SQLite's backup API, so a
    running daemon is neither blocked nor seen half-way through a write.
    """
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    db.conn.backup(copy)
    copy.isolation_level = None
    scratch = sqlite_utils.Database(copy)
    logger = logging.getLogger("appeal_bot")
    was_disabled = logger.disabled
    logger.disabled = True  # the log must not report what was never done
    try:
        reports = poll_feeds(scratch, settings, now, net)
        rows = scratch.execute(
            "SELECT p.item_id, i.title, p.platform, p.status FROM posts p"
            " JOIN items i ON i.id = p.item_id WHERE p.created_at = ? ORDER BY p.id",
            [to_iso(now)],
        ).fetchall()
    finally:
        logger.disabled = was_disabled
        copy.close()
    return reports, [WouldQueue(*row) for row in rows]
