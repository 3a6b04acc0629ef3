"""Forgetting a found person: RETENTION_DAYS after an appeal closes, its personal data goes.

What goes: the item's title, summary, link, photo URL, alt text, categories and close reason;
every post's text, link, photo, alt text and last error; the details of its log rows (they
quote titles and reasons).
Its card files (bot/posts/card_files.py) are deleted too, should a withdrawal have left one.
What stays, for the audit trail: the rows themselves, with ids, platforms, statuses, remote ids
and times, so the charity can still show when each post went out and came down.

Then every text column of every table is swept for the title, the name (as :func:`names_in`
reads it from the title), the link and the photo URL, so a table added later (metrics, the
dashboard) cannot keep a copy by accident. SQLite's ``secure_delete`` zeroes the old cells and a
WAL checkpoint truncates the journal, so the text is gone from the file too, not only from query
results.
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
    """Purge every appeal due (see :func:`due_for_purge`). Returns the ids purged."""
    due = due_for_purge(db, settings.retention_days, now)
    purged = [item_id for item_id in due if purge_item(db, item_id, now)]
    if purged:
        # A reader may hold the WAL; then the next checkpoint overwrites the old pages.
        with contextlib.suppress(sqlite3.OperationalError):
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return purged


def _text_columns(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    ]
    columns = []
    for table in tables:
        for _, name, declared, *_ in db.execute(f'PRAGMA table_info("{table}")').fetchall():
            if name in KEPT_COLUMNS:
                continue
            if not declared or "CHAR" in declared.upper() or "TEXT" in declared.upper():
                columns.append((table, name))
    return columns


def purge_item(db: sqlite_utils.Database, item_id: str, now: datetime) -> bool:
    """Purge one closed appeal's personal data (and its thank-you update's). False if not due."""
    row = db.execute(
        "SELECT title, summary, link, image_url, image_alt, closed_at, purged_at, facts"
        " FROM items WHERE id = ?",
        [item_id],
    ).fetchone()
    if row is None or row[5] is None or row[6] is not None:
        return False
    title, summary, link, image_url, image_alt = row[:5]
    facts = list(json.loads(row[7] or "{}").values())
    ids = [item_id, item_id + THANKS_SUFFIX]
    # A thank-you still waiting would go out with its text blanked: it is too late for it now.
    for (post_id,) in db.execute(
        "SELECT id FROM posts WHERE item_id = ? AND status IN ('draft', 'queued', 'failed')",
        [ids[1]],
    ).fetchall():
        transition(db, post_id, PostStatus.CANCELLED, last_error="appeal purged")
    post_links = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT link FROM posts WHERE item_id IN (?, ?) AND link IS NOT NULL", ids
        ).fetchall()
    ]
    personal = {title, *names_in(title), summary, link, image_url, image_alt, *post_links, *facts}
    sweep = sorted((s for s in personal if s and len(s) >= MIN_SWEEP_LENGTH), key=len, reverse=True)
    db.execute("PRAGMA secure_delete = ON")
    with immediate(db):
        db.execute(
            "UPDATE items SET title = '', summary = '', link = NULL, image_url = NULL,"
            " image_alt = NULL, categories = '[]', facts = '{}', purged_at = ?,"
            " close_reason = CASE WHEN close_reason IS NULL THEN NULL ELSE ? END"
            " WHERE id IN (?, ?)",
            [to_iso(now), PURGED, *ids],
        )
        # Reasons typed by a person (withdraw, reject) can name the person: gone like log details.
        db.execute(
            "UPDATE posts SET text = '', link = NULL, image_url = NULL, alt_text = NULL,"
            " last_error = CASE WHEN last_error IS NULL THEN NULL ELSE ? END"
            " WHERE item_id IN (?, ?)",
            [PURGED, *ids],
        )
        db.execute(
            f"UPDATE events SET detail = '{PURGED}' WHERE item_id IN (?, ?)"
            " OR post_id IN (SELECT id FROM posts WHERE item_id IN (?, ?))",
            [*ids, *ids],
        )
        for table, column in _text_columns(db):
            for text in sweep:
                db.execute(
                    f'UPDATE "{table}" SET "{column}" = REPLACE("{column}", ?, ?)'
                    f' WHERE instr("{column}", ?) > 0',
                    [text, PURGED, text],
                )
    delete_cards(db, item_id)
    events.record(
        db,
        "purge",
        "purged",
        "personal data removed after RETENTION_DAYS",
        item_id=item_id,
        now=now,
    )
    return True
