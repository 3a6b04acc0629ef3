"""The posting queue: one row per (item, platform, target, round) in the ``posts`` table.

Every status change goes through :func:`transition`, which enforces :mod:`bot.posts.states`;
claiming goes through :func:`claim_next`, one post at a time inside ``BEGIN IMMEDIATE``, so two
processes never send the same post and a shutdown never leaves a batch stranded in ``sending``."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain, islice
from typing import Any

import sqlite_utils

from bot.core.clock import from_iso, to_iso
from bot.core.db import immediate
from bot.core.errors import NotFound
from bot.core.frozen import set_at_once
from bot.core.memo import small_lru_cache, total_length
from bot.feeds.items import Item
from bot.posts.states import BUDGET_STATUSES, PostStatus, can_move

S = PostStatus
# Lower sorts first: urgent appeals, then appeals, then news.
PRIORITY_URGENT, PRIORITY_APPEAL, PRIORITY_NEWS = 0, 1, 2


def priority_of(kind: str, urgent: bool) -> int:
    if kind == "appeal":
        return PRIORITY_URGENT if urgent else PRIORITY_APPEAL
    return PRIORITY_NEWS


def process_owner() -> str:
    """Who holds a claim: host and pid, so a stale claim can be told from a live one."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Post:
    """A queue row, typed."""

    id: int
    item_id: str
    platform: str
    target: str
    round: int
    status: PostStatus
    text: str
    link: str | None
    image_url: str | None
    alt_text: str | None
    scheduled_at: str
    priority: int
    attempts: int
    needs_reconcile: bool
    remote_id: str | None
    remote_url: str | None
    last_error: str | None
    created_at: str
    # Why it went out without its photo ("sent without photo"), else None.
    degraded: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Post:
        values: dict[str, Any] = {field.name: row.get(field.name) for field in fields(cls)}
        values.update(
            status=PostStatus(row["status"]), needs_reconcile=bool(row["needs_reconcile"])
        )
        return cls(**values)


# Set at once: a first poll plans thousands of posts (bot.core.frozen).
@set_at_once
@dataclass(frozen=True)
class PlannedPost:
    """A post to queue, decided by :func:`bot.posts.planner.plan_posts` (pure)."""

    platform: str
    text: str
    scheduled_at: datetime
    priority: int
    target: str = ""
    link: str | None = None
    image_url: str | None = None
    alt_text: str | None = None
    round: int = 0
    status: PostStatus = S.QUEUED
    # A person's exact minute (``add --at``): it goes then, outside the slots.
    pinned_at: datetime | None = None


@dataclass(frozen=True)
class StoreResult:
    """What storing an item did: new, changed, and the status the feed gave it before."""

    new: bool
    changed: bool
    previous_status: str | None


_ITEM_FIELDS = (
    "kind",
    "feed_url",
    "title",
    "summary",
    "link",
    "image_url",
    "image_alt",
    "published_at",
    "updated_at",
    "categories",
    "status",
    "urgent",
    "region",
    "facts",
)


# json.dumps(facts, sort_keys=True, ensure_ascii=False), without a new encoder for each item.
_FACTS_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


@small_lru_cache(maxsize=1024, max_size=1000, size=total_length)
def _categories_json(categories: tuple[str, ...]) -> str:
    """``json.dumps(list(categories))``, cached: a feed's entries share a few sets of
    categories, and a first poll of a big feed encodes thousands (only sets of up to 1,000
    characters are remembered, so a hostile feed's cannot fill memory)."""
    return json.dumps(list(categories))


def _item_values(item: Item) -> tuple[Any, ...]:
    """``item``'s :data:`_ITEM_FIELDS` as stored, in that order."""
    return (
        item.kind,
        item.feed_url,
        item.title,
        item.summary,
        item.link,
        item.image_url,
        item.image_alt,
        to_iso(item.published_at) if item.published_at else None,
        to_iso(item.updated_at) if item.updated_at else None,
        _categories_json(item.categories),
        item.status,
        int(item.urgent),
        item.region,
        _FACTS_JSON(dict(item.facts)) if item.facts else "{}",
    )


# A new item's columns: its feed fields, then what only a first sighting sets.
_NEW_ITEM_COLUMNS = (*_ITEM_FIELDS, "id", "source", "first_seen_at", "last_seen_at", "feed_status")
_INSERT_ITEM = (
    f"INSERT INTO items ({', '.join(_NEW_ITEM_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_NEW_ITEM_COLUMNS))})"
)
_INSERT_ITEM_OR_KEEP = f"{_INSERT_ITEM} ON CONFLICT (id) DO NOTHING"


def _new_item_values(
    item: Item, values: tuple[Any, ...], seen: str, source: str
) -> tuple[Any, ...]:
    """The values of :data:`_INSERT_ITEM` for ``item`` (``values``: its :func:`_item_values`)
    first seen at ``seen`` (ISO text)."""
    return (*values, item.id, source, seen, seen, item.status)


_POST_COLUMNS = (
    "item_id",
    "platform",
    "target",
    "round",
    "status",
    "text",
    "link",
    "image_url",
    "alt_text",
    "scheduled_at",
    "priority",
    "created_at",
    "pinned_at",
)
_INSERT_POST = (
    f"INSERT INTO posts ({', '.join(_POST_COLUMNS)}) VALUES ({', '.join('?' * len(_POST_COLUMNS))})"
)
_INSERT_POST_OR_KEEP = _INSERT_POST.replace("INSERT", "INSERT OR IGNORE", 1)


def _post_values(item_id: str, post: PlannedPost, now: datetime, created: str) -> tuple[Any, ...]:
    """The values of :data:`_INSERT_POST` for ``post`` queued at ``now`` (``created``, as text)."""
    return (
        item_id,
        post.platform,
        post.target,
        post.round,
        str(post.status),
        post.text,
        post.link,
        post.image_url,
        post.alt_text,
        created if post.scheduled_at == now else to_iso(post.scheduled_at),
        post.priority,
        created,
        to_iso(post.pinned_at) if post.pinned_at else None,
    )


def store_item(
    db: sqlite_utils.Database, item: Item, now: datetime, source: str = "feed"
) -> StoreResult:
    """Insert a new item or update a known one, keyed on its id. Never queues anything.

    The appeal's status follows the feed only when the feed's own status changes: a person who
    withdrew an appeal as found ahead of the site (which may take a day to catch up) is not
    overruled by the site still saying "missing", only by it saying something new.
    """
    values = _item_values(item)
    seen = to_iso(now)
    # Plain SQL, not sqlite-utils' insert/update: a first poll of a big feed stores thousands,
    # and trying the insert first spares a new item (the common case then) a lookup.
    inserted = db.execute(_INSERT_ITEM_OR_KEEP, _new_item_values(item, values, seen, source))
    if inserted.rowcount:
        return StoreResult(new=True, changed=False, previous_status=None)
    row = dict(zip(_ITEM_FIELDS, values, strict=True))
    cursor = db.execute("SELECT * FROM items WHERE id = ?", [item.id])
    existing = cursor.fetchone()
    old = dict(zip([d[0] for d in cursor.description], existing, strict=True))
    # Databases from before feed_status: the feed last said what the status says.
    feed_said = old["feed_status"] if old["feed_status"] is not None else old["status"]
    if old["purged_at"]:
        # A purged appeal's personal data must not come back from a stale feed entry.
        db.execute("UPDATE items SET last_seen_at = ? WHERE id = ?", [seen, item.id])
        return StoreResult(new=False, changed=False, previous_status=feed_said)
    if item.status == feed_said:
        row["status"] = old["status"]  # the feed has nothing new to say: keep a person's word
    changed = any(old[key] != row[key] for key in _ITEM_FIELDS)
    row["last_seen_at"] = seen
    row["feed_status"] = item.status
    db.execute(
        f"UPDATE items SET {', '.join(f'{name} = ?' for name in row)} WHERE id = ?",
        [*row.values(), item.id],
    )
    return StoreResult(new=False, changed=changed, previous_status=feed_said)


def store_new_items(
    db: sqlite_utils.Database,
    entries: Sequence[tuple[Item, Sequence[PlannedPost]]],
    now: datetime,
    source: str = "feed",
) -> None:
    """Insert items the database does not hold yet, each with its planned posts: the rows that
    :func:`store_item` then :func:`enqueue` give each in turn, in one statement per table
    (a first poll of a big feed stores thousands; a statement a row costs more than the rows).

    Raises :class:`sqlite3.IntegrityError` when an item is already stored or one of its posts
    already queued, where those two would update the item or keep the post: the caller then
    rolls its transaction back and stores the entries one at a time. Nothing is undone here.
    """
    seen = to_iso(now)
    conn = db.conn
    _insert_rows(
        conn,
        _INSERT_ITEM,
        (_new_item_values(item, _item_values(item), seen, source) for item, _ in entries),
    )
    _insert_rows(
        conn,
        _INSERT_POST,
        (_post_values(item.id, post, now, seen) for item, planned in entries for post in planned),
    )


# Rows per INSERT in bulk, at most. One statement of many rows is one call into SQLite, where
# executemany makes one call (bind, step, reset) a row: a fifth less time for a first poll's
# posts.
_ROWS_PER_INSERT = 100


def _insert_rows(conn: sqlite3.Connection, insert: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Run ``insert`` (an ``INSERT ... VALUES (?, ...)`` of one row) for each of ``rows``, in
    order (so rowids come out as one statement a row gives them), up to a hundred rows a
    statement. Raises what SQLite raises, such as :class:`sqlite3.IntegrityError`, part of the
    rows in: the caller rolls back."""
    # As many rows as this SQLite takes ``?`` for: 32,766 since 3.32, 999 before (Ubuntu 20.04,
    # RHEL 8), which a hundred items' 1,900 would overflow.
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(_ROWS_PER_INSERT, limit // insert.count("?")))
    # Each chunk of rows is made as it is bound and freed straight after: a list of them all
    # would keep thousands of tuples alive, more memory and more for the collector to walk.
    rows = iter(rows)
    while chunk := list(islice(rows, per_statement)):
        conn.execute(_many_rows(insert, len(chunk)), list(chain.from_iterable(chunk)))


@lru_cache(maxsize=16)
def _many_rows(insert: str, count: int) -> str:
    """``insert`` with its one row of ``?`` repeated ``count`` times (cached: two statements
    serve a whole poll, and SQLite's statement cache keeps them compiled)."""
    head, values = insert.split(" VALUES ")
    return f"{head} VALUES {', '.join([values] * count)}"


def get_item(db: sqlite_utils.Database, item_id: str) -> Item:
    """The item as stored now: re-appeals and thank-yous are composed from the latest details."""
    rows = list(db.query("SELECT * FROM items WHERE id = ?", [item_id]))
    if not rows:
        raise NotFound(f"no appeal or news item {item_id}")
    row = rows[0]
    return Item(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        summary=row["summary"],
        link=row["link"],
        image_url=row["image_url"],
        image_alt=row["image_alt"],
        published_at=from_iso(row["published_at"]) if row["published_at"] else None,
        updated_at=from_iso(row["updated_at"]) if row["updated_at"] else None,
        categories=tuple(json.loads(row["categories"] or "[]")),
        status=row["status"],
        urgent=bool(row["urgent"]),
        region=row["region"],
        feed_url=row["feed_url"],
        facts=tuple(json.loads(row["facts"] or "{}").items()),
    )


def enqueue(
    db: sqlite_utils.Database, item_id: str, planned: list[PlannedPost], now: datetime
) -> list[int]:
    """Queue planned posts; a post already queued for the same (platform, target, round) is kept."""
    ids: list[int] = []
    created = to_iso(now)
    with immediate(db):
        for post in planned:
            cursor = db.execute(
                _INSERT_POST_OR_KEEP,
                _post_values(item_id, post, now, created),
            )
            if cursor.rowcount:
                ids.append(int(cursor.lastrowid or 0))
    return ids


def get_post(db: sqlite_utils.Database, post_id: int) -> Post:
    rows = list(db.query("SELECT * FROM posts WHERE id = ?", [post_id]))
    if not rows:
        raise NotFound(f"no queue entry {post_id}")
    return Post.from_row(rows[0])


def transition(
    db: sqlite_utils.Database,
    post_id: int,
    new: PostStatus,
    *,
    claimed_by_was: str | None = None,
    **fields: Any,
) -> bool:
    """Move a post to ``new`` if the state machine allows it from its current status.

    Returns False (changing nothing) when the post has meanwhile moved somewhere the change no
    longer applies, e.g. a withdrawal cancelled it while it was being sent. ``claimed_by_was``
    also requires the claim to still be that process's: recovering a dead process's post must
    never take over a live process's fresh claim of it.
    """
    with immediate(db):
        row = db.execute("SELECT status, claimed_by FROM posts WHERE id = ?", [post_id]).fetchone()
        if row is None:
            raise NotFound(f"no queue entry {post_id}")
        if not can_move(PostStatus(row[0]), new):
            return False
        if claimed_by_was is not None and row[1] != claimed_by_was:
            return False
        assignments = ", ".join(f"{name} = ?" for name in ["status", *fields])
        db.execute(
            f"UPDATE posts SET {assignments} WHERE id = ?", [str(new), *fields.values(), post_id]
        )
    return True


def claim_next(
    db: sqlite_utils.Database,
    platform: str,
    now: datetime,
    owner: str,
    due_only: bool = True,
    max_priority: int | None = None,
    daily_limit: int | None = None,
    normal_limit: int | None = None,
    used: int | None = None,
) -> Post | None:
    """Claim the next queued post on ``platform`` in queue order, ignoring the slots (``post
    --all``), or None when none can go.

    Order: urgent appeals, appeals, news; then the oldest scheduled first. ``due_only`` skips
    posts whose own time has not come; ``max_priority=0`` claims urgent appeals only. Limits
    are checked by :func:`claim` in the same write transaction. ``used``: the platform's
    :func:`budget_used`, if the caller counted it inside the transaction this one joins.
    """
    when = to_iso(now)
    with immediate(db):
        due = "AND scheduled_at <= ?" if due_only else ""
        params: list[Any] = [platform, when] + ([when] if due_only else [])
        if max_priority is not None:
            due += " AND priority <= ?"
            params.append(max_priority)
        if used is None and (normal_limit is not None or daily_limit is not None):
            used = budget_used(db, platform, now)
        if normal_limit is not None and used is not None and used >= normal_limit:
            due += " AND priority <= ?"
            params.append(PRIORITY_URGENT)
        row = db.execute(
            "SELECT id FROM posts WHERE platform = ? AND status = 'queued'"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            f" {due} ORDER BY priority, scheduled_at, id LIMIT 1",
            params,
        ).fetchone()
        if row is None:
            return None
        post, _ = claim(
            db, row[0], now, owner, daily_limit=daily_limit, normal_limit=normal_limit, used=used
        )
    return post


@dataclass(frozen=True)
class SlotRoom:
    """The slot a post is claimed for (its local key) and how many posts per page it takes."""

    key: str
    per_slot: int


def claim(
    db: sqlite_utils.Database,
    post_id: int,
    now: datetime,
    owner: str,
    *,
    daily_limit: int | None = None,
    normal_limit: int | None = None,
    slot: SlotRoom | None = None,
    wait_for_retry: bool = True,
    used: int | None = None,
) -> tuple[Post | None, str]:
    """Claim one post (queued → sending) if every limit still allows it.

    Returns the claimed post and "", or None and why not, in words. Checked inside one
    ``BEGIN IMMEDIATE`` with the claim, so two senders (a slot and the urgent tick, two
    processes) can never both take the last place of a day or of a slot: once ``daily_limit``
    posts went out in 24 hours nothing is claimed, past ``normal_limit`` only urgent appeals,
    and a slot takes at most ``slot.per_slot`` posts per platform and page. ``used``: the
    platform's :func:`budget_used`, if the caller counted it inside the transaction this one
    joins (one count a send, not one a check).
    """
    when = to_iso(now)
    with immediate(db):
        row = db.execute(
            "SELECT status, platform, target, priority, next_attempt_at FROM posts WHERE id = ?",
            [post_id],
        ).fetchone()
        if row is None:
            return None, f"no queue entry {post_id}"
        status, platform, target, priority, retry_at = row
        if status != S.QUEUED:
            return None, f"it is {status}, not queued"
        if wait_for_retry and retry_at and retry_at > when:
            return None, f"it waits to try again at {retry_at}"
        if daily_limit is not None:
            if used is None:
                used = budget_used(db, platform, now)
            if used >= daily_limit:
                return None, f"the daily limit of {daily_limit} on {platform} is reached"
            if normal_limit is not None and used >= normal_limit and priority != PRIORITY_URGENT:
                return None, (
                    f"{normal_limit} of the {daily_limit} daily posts on {platform} went out;"
                    " the rest is kept for urgent appeals"
                )
        if slot is not None:
            taken = db.execute(
                "SELECT COUNT(*) FROM posts WHERE sent_slot = ? AND platform = ? AND target = ?"
                f" AND status IN ({','.join('?' for _ in BUDGET_STATUSES)})",
                [slot.key, platform, target, *map(str, BUDGET_STATUSES)],
            ).fetchone()[0]
            if taken >= slot.per_slot:
                return None, f"the {slot.key} slot is full on {platform}"
        db.execute(
            "UPDATE posts SET status = 'sending', claimed_by = ?, claimed_at = ?,"
            " attempts = attempts + 1, sent_slot = ? WHERE id = ? AND status = 'queued'",
            [owner, when, slot.key if slot else None, post_id],
        )
    return get_post(db, post_id), ""


def budget_used(db: sqlite_utils.Database, platform: str, now: datetime) -> int:
    """Posts that went out (or are going out) on ``platform`` in the 24 hours before ``now``.

    Counted from the table, so the budget survives restarts. A rolling day matches X's own
    24-hour window and can never let a midnight boundary double the allowance.
    """
    since = to_iso(now - timedelta(hours=24))
    statuses = list(map(str, BUDGET_STATUSES))
    placeholders = ",".join("?" for _ in statuses)
    # Two ranges of the posts_budget index (platform, sent_at, claimed_at, status; only posts
    # claimed or sent, which each range's ">=" implies): the posts sent in the day, and those
    # claimed in it but not sent yet. One COALESCE(sent_at, claimed_at) would read every post
    # ever sent on the platform, twice a send.
    row = db.execute(
        f"SELECT (SELECT COUNT(*) FROM posts WHERE platform = ? AND sent_at >= ?"
        f" AND status IN ({placeholders})) + (SELECT COUNT(*) FROM posts WHERE platform = ?"
        f" AND sent_at IS NULL AND claimed_at >= ? AND status IN ({placeholders}))",
        [platform, since, *statuses, platform, since, *statuses],
    ).fetchone()
    return int(row[0])


def list_posts(
    db: sqlite_utils.Database,
    statuses: tuple[str, ...] | None = None,
    platform: str | None = None,
    item_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Queue rows joined with their item's kind and title, in sending order; ``limit`` rows
    (None: all) from ``offset``."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if statuses:
        where.append(f"p.status IN ({','.join('?' for _ in statuses)})")
        params.extend(statuses)
    if platform:
        where.append("p.platform = ?")
        params.append(platform)
    if item_id:
        where.append("p.item_id = ?")
        params.append(item_id)
    sql = (
        "SELECT p.id, p.item_id, i.kind, i.title, i.urgent, p.platform, p.target, p.round,"
        " p.status, p.scheduled_at, p.priority, p.attempts, p.next_attempt_at, p.text,"
        " p.link, p.image_url, p.alt_text, p.last_error, p.remote_id, p.remote_url, p.sent_at,"
        " p.pinned_at,"
        " p.degraded, p.photo_problem"
        " FROM posts p JOIN items i ON i.id = p.item_id"
        f" WHERE {' AND '.join(where)}"
        " ORDER BY CASE p.status WHEN 'sending' THEN 0 WHEN 'queued' THEN 1 WHEN 'draft' THEN 2"
        " ELSE 3 END, p.priority, p.scheduled_at, p.id LIMIT ? OFFSET ?"
    )
    return list(db.query(sql, [*params, -1 if limit is None else limit, offset]))
