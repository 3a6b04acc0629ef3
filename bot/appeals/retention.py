"""Forgetting a found person: RETENTION_DAYS after an appeal closes, its personal data goes.

What goes: the item's title, summary, link, photo URL, alt text, categories and close reason;
every post's text, link, photo, alt text and last error; the details of its log rows (they
quote titles and reasons).
Its card files (bot/posts/card_files.py) are deleted too, should a withdrawal have left one.
What stays, for the audit trail: the rows themselves, with ids, platforms, statuses, remote ids
and times, so the charity can still show when each post went out and came down.

Then every text column of every table is swept for the title, the name (as :func:`names_in`
reads it from the title), the link and the photo URL, so a table added later (metrics, the
dashboard) cannot keep a copy by accident; only columns the bot fills itself (times, platform
names, states: :func:`is_machine_column`) are skipped. SQLite's ``secure_delete`` zeroes the old
cells and a WAL checkpoint truncates the journal, so the text is gone from the file too, not
only from query results.

Cost: the appeals due are purged together (``PURGE_BATCH`` to a transaction). Their own rows
are reached by id through indexes, and the sweep reads each table once for all their strings
(once per ``SWEEP_TERMS`` column-and-string pairs), not once per appeal, column and string as it
once did. An hour with nothing due costs one indexed query.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime, timedelta

import sqlite_utils

from bot.appeals.thanks import THANKS_SUFFIX
from bot.core import events
from bot.core.clock import to_iso
from bot.core.db import immediate
from bot.core.settings import Settings
from bot.posts.card_files import delete_cards
from bot.posts.facts import name_from_title
from bot.posts.queue import transition
from bot.posts.states import PostStatus

PURGED = "[purged]"
# Shorter strings are not swept across tables: "Jo" would blank every word containing it.
MIN_SWEEP_LENGTH = 5
# Identifiers are kept: they hold the audit rows together, and store_item needs an item's id to
# refuse a stale feed entry that would bring a purged appeal back.
KEPT_COLUMNS = frozenset({"id", "item_id"})
# Columns, by name in any table, that hold only what the bot writes: a time, a platform's name,
# a log action or outcome, a role, a hash, a slot's key, a host and process.
MACHINE_COLUMNS = frozenset(
    {
        "at",
        "platform",
        "action",
        "outcome",
        "role",
        "body_hash",
        "password_hash",
        "id_hash",
        "claimed_by",
        "sent_slot",
        "slot_key",
    }
)
# The same, where the name alone could mean feed text elsewhere (items.status is the feed's).
MACHINE_TABLE_COLUMNS = frozenset(
    {("posts", "status"), ("items", "kind"), ("items", "source"), ("item_shares", "kind")}
)
# The purge's transactions hold the write lock: this many appeals to one.
PURGE_BATCH = 50
# (column, string) pairs one sweep statement looks for: SQLite allows an expression 1,000 deep.
SWEEP_TERMS = 400


def names_in(title: str) -> set[str]:
    """The person's name as the appeal title gives it, by two guesses, for the purge's sweep.

    "Sam Jones, 15, missing from Leeds" and "Missing: Sam Jones (15)" both give "Sam Jones". A
    guess must look like a name (capitalised words) or be the title's first part before a comma,
    so a title such as "Have you seen this man?" never sweeps "this man" from other texts.
    """
    guesses = {title.split(",")[0].strip(), name_from_title(title)}
    return {guess for guess in guesses if guess}


def due_for_purge(db: sqlite_utils.Database, retention_days: int, now: datetime) -> list[str]:
    """Closed appeals whose RETENTION_DAYS have passed and that still hold personal data."""
    cutoff = to_iso(now - timedelta(days=retention_days))
    return [
        row[0]
        for row in db.execute(
            "SELECT id FROM items WHERE kind = 'appeal' AND closed_at IS NOT NULL"
            " AND closed_at <= ? AND purged_at IS NULL ORDER BY closed_at",
            [cutoff],
        ).fetchall()
    ]


def purge_expired(db: sqlite_utils.Database, settings: Settings, now: datetime) -> list[str]:
    """Purge every appeal due (see :func:`due_for_purge`), ``PURGE_BATCH`` to a transaction.
    Returns the ids purged."""
    due = due_for_purge(db, settings.retention_days, now)
    purged: list[str] = []
    for start in range(0, len(due), PURGE_BATCH):
        purged += purge_items(db, due[start : start + PURGE_BATCH], now)
    if purged:
        # A reader may hold the WAL; then the next checkpoint overwrites the old pages.
        with contextlib.suppress(sqlite3.OperationalError):
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return purged


def is_machine_column(table: str, column: str) -> bool:
    """True for a column that only ever holds what the bot writes itself (a time, a state, a
    platform's name, a hash), never text from a feed or a person: the sweep skips it.

    Anything not recognised here is swept, so a table or column added later is covered.
    """
    return (
        column in KEPT_COLUMNS
        or column.endswith("_at")
        or column in MACHINE_COLUMNS
        or (table, column) in MACHINE_TABLE_COLUMNS
    )


def _text_columns(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Each table's columns the sweep reads: text (declared so, or untyped) and not machine."""
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    ]
    columns: dict[str, list[str]] = {}
    for table in tables:
        for _, name, declared, *_ in db.execute(f'PRAGMA table_info("{table}")').fetchall():
            if is_machine_column(table, name):
                continue
            if not declared or "CHAR" in declared.upper() or "TEXT" in declared.upper():
                columns.setdefault(table, []).append(name)
    return columns


def purge_item(db: sqlite_utils.Database, item_id: str, now: datetime) -> bool:
    """Purge one closed appeal's personal data (and its thank-you update's). False if not due."""
    return purge_items(db, [item_id], now) == [item_id]


def purge_items(db: sqlite_utils.Database, item_ids: list[str], now: datetime) -> list[str]:
    """Purge the personal data of the closed appeals among ``item_ids`` not purged yet (and
    their thank-you updates'), all in one transaction. Returns the ids purged, in order.

    The appeals' own rows are reached by id through indexes (items' key, posts' item_id, the
    log's ``events_item`` and ``events_post``); the sweep then reads each table once for all
    of the appeals' strings together, however many appeals there are.
    """
    wanted = json.dumps(item_ids)
    rows = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT id, title, summary, link, image_url, image_alt, facts FROM items"
            " WHERE id IN (SELECT value FROM json_each(?))"
            " AND closed_at IS NOT NULL AND purged_at IS NULL",
            [wanted],
        ).fetchall()
    }
    purged = [item_id for item_id in item_ids if item_id in rows]
    if not purged:
        return []
    ids = json.dumps([*purged, *(item_id + THANKS_SUFFIX for item_id in purged)])
    thanks = json.dumps([item_id + THANKS_SUFFIX for item_id in purged])
    # A thank-you still waiting would go out with its text blanked: it is too late for it now.
    for (post_id,) in db.execute(
        "SELECT id FROM posts WHERE item_id IN (SELECT value FROM json_each(?))"
        " AND status IN ('draft', 'queued', 'failed')",
        [thanks],
    ).fetchall():
        transition(db, post_id, PostStatus.CANCELLED, last_error="appeal purged")
    personal: set[str] = set()
    for title, summary, link, image_url, image_alt, facts in rows.values():
        personal |= {title, *names_in(title), summary, link, image_url, image_alt}
        personal |= {str(value) for value in json.loads(facts or "{}").values()}
    personal |= {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT link FROM posts WHERE item_id IN (SELECT value FROM json_each(?))"
            " AND link IS NOT NULL",
            [ids],
        ).fetchall()
    }
    sweep = sorted((s for s in personal if s and len(s) >= MIN_SWEEP_LENGTH), key=len, reverse=True)
    db.execute("PRAGMA secure_delete = ON")
    with immediate(db):
        db.execute(
            "UPDATE items SET title = '', summary = '', link = NULL, image_url = NULL,"
            " image_alt = NULL, categories = '[]', facts = '{}', purged_at = ?,"
            " close_reason = CASE WHEN close_reason IS NULL THEN NULL ELSE ? END"
            " WHERE id IN (SELECT value FROM json_each(?))",
            [to_iso(now), PURGED, ids],
        )
        # Reasons typed by a person (withdraw, reject) can name the person: gone like log details.
        db.execute(
            "UPDATE posts SET text = '', link = NULL, image_url = NULL, alt_text = NULL,"
            " last_error = CASE WHEN last_error IS NULL THEN NULL ELSE ? END"
            " WHERE item_id IN (SELECT value FROM json_each(?))",
            [PURGED, ids],
        )
        # Two statements, not one with OR: each reaches its rows through its own index.
        db.execute(
            f"UPDATE events SET detail = '{PURGED}'"
            " WHERE item_id IN (SELECT value FROM json_each(?))",
            [ids],
        )
        db.execute(
            f"UPDATE events SET detail = '{PURGED}' WHERE post_id IN"
            " (SELECT id FROM posts WHERE item_id IN (SELECT value FROM json_each(?)))",
            [ids],
        )
        if sweep:
            _sweep(db, sweep)
    for item_id in purged:
        delete_cards(db, item_id)
        events.record(
            db,
            "purge",
            "purged",
            "personal data removed after RETENTION_DAYS",
            item_id=item_id,
            now=now,
        )
    return purged


def _sweep(db: sqlite_utils.Database, sweep: list[str]) -> None:
    """Replace each of ``sweep`` (longest first) with ``[purged]`` in every text column of every
    table: one read of each table per ``SWEEP_TERMS`` (column, string) pairs, and a write only
    of the rows that hold one."""
    # A row holding a string holds every part of it: looking for the parts alone (the name,
    # not the title around it; the appeal's link, not the post links that extend it) finds
    # the same rows with fewer comparisons.
    needles = [text for text in sweep if not any(part in text for part in sweep if part != text)]
    for table, columns in _text_columns(db).items():
        per_pass = max(1, SWEEP_TERMS // len(columns))
        selected = ", ".join(f'"{column}"' for column in columns)
        update = (
            f'UPDATE "{table}" SET '
            + ", ".join(f'"{column}" = ?' for column in columns)
            + " WHERE rowid = ?"
        )
        for start in range(0, len(needles), per_pass):
            chunk = needles[start : start + per_pass]
            found = " OR ".join(f'instr("{column}", ?) > 0' for column in columns for _ in chunk)
            changes = [
                [*(_blank(value, sweep) for value in values), rowid]
                for rowid, *values in db.execute(
                    f'SELECT rowid, {selected} FROM "{table}" WHERE {found}',
                    [text for _ in columns for text in chunk],
                ).fetchall()
            ]
            if changes:
                db.conn.executemany(update, changes)


def _blank(value: object, sweep: list[str]) -> object:
    if not isinstance(value, str):
        return value
    for text in sweep:
        value = value.replace(text, PURGED)
    return value
