"""The operators' log: an append-only ``events`` table of every send, failure, retry and deletion.

Every row says what happened (``action``), how it ended (``outcome``) and why (``detail``), in
words an operator can act on. Nothing here ever updates or deletes a row, except the purge of
personal data after RETENTION_DAYS, which blanks ``detail`` of the found person's rows.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

import sqlite_utils

from bot.core.clock import to_iso, utcnow

log = logging.getLogger("appeal_bot")

# Every outcome the bot records, most asked-for first: ``log --status`` refuses any other word,
# as an unknown one would show an empty log that looks like "nothing went wrong".
OUTCOMES: tuple[str, ...] = (
    "sent",
    "failed",
    "retry",
    "paused",
    "resumed",
    "cancelled",
    "deleted",
    "pending",
    "duplicate",
    "missed",
    "interrupted",
    "catch-up",
    "error",
    "ok",
    "queued",
    "draft",
    "approved",
    "edited",
    "rescheduled",
    "pinned",
    "held",
    "gone",
    "purged",
    "done",
    "started",
    "stopped",
    "warning",
    "skipped",
)


def record(
    db: sqlite_utils.Database,
    action: str,
    outcome: str,
    detail: str = "",
    *,
    post_id: int | None = None,
    item_id: str | None = None,
    platform: str | None = None,
    now: datetime | None = None,
) -> None:
    """Append one event and echo it to the log on stderr."""
    db.execute(
        "INSERT INTO events (at, post_id, item_id, platform, action, outcome, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [to_iso(now or utcnow()), post_id, item_id, platform, action, outcome, detail],
    )
    warn = ("failed", "error", "paused", "missed", "warning")
    level = logging.WARNING if outcome in warn else logging.INFO
    where = " ".join(
        part
        for part in (
            platform or "",
            f"post {post_id}" if post_id is not None else "",
            f"item {item_id}" if item_id and post_id is None else "",
        )
        if part
    )
    log.log(
        level,
        "%s %s%s%s",
        action,
        outcome,
        f" [{where}]" if where else "",
        f": {detail}" if detail else "",
    )


class PostLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def item_id(self) -> str: ...
    @property
    def platform(self) -> str: ...


def record_post(
    db: sqlite_utils.Database,
    post: PostLike,
    action: str,
    outcome: str,
    detail: str = "",
    now: datetime | None = None,
) -> None:
    """Append an event about one queue entry."""
    record(
        db,
        action,
        outcome,
        detail,
        post_id=post.id,
        item_id=post.item_id,
        platform=post.platform,
        now=now,
    )


def list_events(
    db: sqlite_utils.Database,
    *,
    platform: str | None = None,
    outcome: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Newest first, filtered, ``limit`` rows from ``offset``. ``outcome`` doubles as the CLI's
    ``--status`` filter."""
    where, params = _filters(platform, outcome, action, since)
    sql = (
        "SELECT e.id, e.at, e.post_id, e.item_id, e.platform, e.action, e.outcome, e.detail,"
        " p.remote_url FROM events e LEFT JOIN posts p ON p.id = e.post_id"
        f" WHERE {where} ORDER BY e.at DESC, e.id DESC LIMIT ? OFFSET ?"
    )
    return list(db.query(sql, [*params, limit, offset]))


def count_events(
    db: sqlite_utils.Database,
    *,
    platform: str | None = None,
    outcome: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
) -> int:
    """How many events :func:`list_events` would list with no limit."""
    where, params = _filters(platform, outcome, action, since)
    return int(db.execute(f"SELECT COUNT(*) FROM events e WHERE {where}", params).fetchone()[0])


def _filters(
    platform: str | None, outcome: str | None, action: str | None, since: datetime | None
) -> tuple[str, list[Any]]:
    where, params = ["1 = 1"], []
    if platform:
        where.append("e.platform = ?")
        params.append(platform)
    if outcome:
        where.append("e.outcome = ?")
        params.append(outcome)
    if action:
        where.append("e.action = ?")
        params.append(action)
    if since:
        where.append("e.at >= ?")
        params.append(to_iso(since))
    return " AND ".join(where), params
