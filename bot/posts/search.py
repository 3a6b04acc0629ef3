"""The queue searched: posts by appeal name, item or queue id, region, platform, status and
day, in sending order, a page at a time. Read-only; the dashboard's Queue page.

Days are local dates (TIMEZONE) of when a post goes out (``scheduled_at``), both ends included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlite_utils

from bot.core.clock import to_iso
from bot.posts.regions import region_key

PAGE_SIZE = 20
# What "waiting and in progress" means: not finished one way or the other.
OPEN_STATUSES = ("draft", "queued", "sending", "failed", "deleting")
SENDING_ORDER = (
    "CASE p.status WHEN 'sending' THEN 0 WHEN 'queued' THEN 1 WHEN 'draft' THEN 2"
    " ELSE 3 END, p.priority, p.scheduled_at, p.id"
)


@dataclass(frozen=True)
class PostQuery:
    """``statuses`` empty means every status; ``text`` matches the appeal's title, its item id,
    the post's text, or a queue id when it is a number."""

    text: str = ""
    statuses: tuple[str, ...] = OPEN_STATUSES
    platform: str | None = None
    region: str | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1


@dataclass(frozen=True)
class PostPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def find_posts(db: sqlite_utils.Database, query: PostQuery, zone: tzinfo) -> PostPage:
    """One page of the posts matching ``query``, in the order they go out."""
    db.conn.create_function("region_key", 1, region_key, deterministic=True)
    clauses = ["1 = 1"]
    params: list[Any] = []
    text = query.text.strip()
    if text:
        like = _like(text)
        match = (
            "i.title LIKE ? ESCAPE '\\' OR p.item_id LIKE ? ESCAPE '\\'"
            " OR p.text LIKE ? ESCAPE '\\'"
        )
        params += [like, like, like]
        number = text.lstrip("#")
        if number.isascii() and number.isdigit():  # isdigit alone takes "²", int() does not
            match += " OR p.id = ?"
            params.append(int(number))
        clauses.append(f"({match})")
    if query.statuses:
        clauses.append(f"p.status IN ({', '.join('?' * len(query.statuses))})")
        params += query.statuses
    if query.platform:
        clauses.append("p.platform = ?")
        params.append(query.platform)
    if query.region:
        clauses.append("region_key(i.region) = ?")
        params.append(region_key(query.region))
    if query.since:
        clauses.append("p.scheduled_at >= ?")
        params.append(to_iso(datetime.combine(query.since, time(), zone)))
    if query.until:
        clauses.append("p.scheduled_at < ?")
        params.append(to_iso(datetime.combine(query.until + timedelta(days=1), time(), zone)))
    where = " AND ".join(clauses)
    base = f"FROM posts p JOIN items i ON i.id = p.item_id WHERE {where}"
    total = db.execute(f"SELECT COUNT(*) {base}", params).fetchone()[0]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    rows = list(
        db.query(
            "SELECT p.id, p.item_id, i.kind, i.title, i.urgent, i.region, p.platform, p.target,"
            " p.round, p.status, p.scheduled_at, p.priority, p.attempts, p.next_attempt_at,"
            " p.text, p.link, p.image_url, p.alt_text, p.last_error, p.remote_id, p.remote_url,"
            f" p.sent_at, p.degraded, p.photo_problem, p.pinned_at {base}"
            f" ORDER BY {SENDING_ORDER} LIMIT ? OFFSET ?",
            [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE],
        )
    )
    return PostPage(rows, total, page, pages)
