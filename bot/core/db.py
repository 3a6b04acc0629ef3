"""The SQLite database: schema, connection settings and transactions.

WAL lets the daemon, the CLI and the dashboard read while one of them writes; the busy timeout
makes a briefly locked database a wait, not an error. Claims use ``BEGIN IMMEDIATE`` (see
:func:`immediate`) so two processes can never claim the same post.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from bot.core.errors import AppealBotError

BUSY_TIMEOUT_MS = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_polled_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    entries INTEGER NOT NULL DEFAULT 0,
    -- SHA-256 of the last body parsed without error: an identical body is not parsed again.
    body_hash TEXT,
    -- What the operator should know or do about the feed (it moved, ids shared); NULL if none.
    notice TEXT
);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'feed',
    feed_url TEXT,
    title TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    link TEXT,
    image_url TEXT,
    image_alt TEXT,
    published_at TEXT,
    updated_at TEXT,
    categories TEXT NOT NULL DEFAULT '[]',
    status TEXT,
    urgent INTEGER NOT NULL DEFAULT 0,
    region TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    closed_at TEXT,
    close_reason TEXT,
    purged_at TEXT,
    missing_polls INTEGER NOT NULL DEFAULT 0,
    -- The status as the feed last gave it; ``status`` is the appeal's own, which a person may
    -- have set (withdraw --found) ahead of the site.
    feed_status TEXT,
    -- Card facts stated outright (feed fields, ``add``), as a JSON object (bot/posts/facts.py).
    facts TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items(id),
    platform TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    round INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    text TEXT NOT NULL,
    edited INTEGER NOT NULL DEFAULT 0,
    link TEXT,
    image_url TEXT,
    alt_text TEXT,
    scheduled_at TEXT NOT NULL,
    priority INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    needs_reconcile INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    remote_id TEXT,
    remote_url TEXT,
    claimed_by TEXT,
    claimed_at TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    deleted_at TEXT,
    degraded TEXT,
    -- A person's exact minute for this post (UTC), outside the slots: bot/posts/schedule.py.
    pinned_at TEXT,
    -- The slot (local key, 2026-03-29T09:00) the post was sent in; NULL outside the slots.
    sent_slot TEXT,
    UNIQUE (item_id, platform, target, round)
);
CREATE INDEX IF NOT EXISTS posts_due ON posts (platform, status, priority, scheduled_at);
CREATE INDEX IF NOT EXISTS posts_sent ON posts (platform, sent_at);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    post_id INTEGER,
    item_id TEXT,
    platform TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE TABLE IF NOT EXISTS platforms (
    name TEXT PRIMARY KEY,
    paused_reason TEXT,
    paused_at TEXT,
    hold_until TEXT,
    reads_hold_until TEXT,
    last_success_at TEXT,
    last_error TEXT,
    last_error_at TEXT
);
CREATE TABLE IF NOT EXISTS slot_runs (
    slot_key TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0
);
-- Share counts over time (bot/shares/metrics.py). ``offset_seconds`` is the METRICS_SCHEDULE offset
-- after sent_at that the reading stands for; NULL for an extra reading (``metrics --all``).
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    platform TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    offset_seconds INTEGER,
    shares INTEGER NOT NULL DEFAULT 0,
    quotes INTEGER NOT NULL DEFAULT 0,
    likes INTEGER NOT NULL DEFAULT 0,
    replies INTEGER NOT NULL DEFAULT 0,
    impressions INTEGER
);
CREATE INDEX IF NOT EXISTS metrics_post ON metrics (post_id, taken_at);
CREATE INDEX IF NOT EXISTS metrics_platform ON metrics (platform, taken_at);
-- Per post: the last scheduled offset read, and when (and why) polling stopped for good.
CREATE TABLE IF NOT EXISTS metrics_polls (
    post_id INTEGER PRIMARY KEY REFERENCES posts(id),
    last_offset_seconds INTEGER,
    stopped_at TEXT,
    stop_reason TEXT
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('comms', 'viewer')),
    created_at TEXT NOT NULL,
    last_login_at TEXT
);
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash TEXT PRIMARY KEY,
    user_name TEXT REFERENCES users(name) ON DELETE CASCADE,
    data TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_expiry ON web_sessions (expires_at);
CREATE TABLE IF NOT EXISTS web_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class DatabaseError(AppealBotError):
    """The database file cannot be opened or is not appeal-bot's."""


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if need be) the database with WAL, a busy timeout and the schema."""
    path = Path(path)
    if str(path) != ":memory:" and not path.parent.exists():
        raise DatabaseError(f"database folder {path.parent} does not exist (DATABASE_PATH)")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        # Autocommit at the driver: transactions are always explicit (``immediate`` or
        # sqlite-utils' ``atomic``), never left open by an implicit BEGIN before a write.
        conn.isolation_level = None
        db = sqlite_utils.Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        with db.ensure_autocommit_on():
            db.conn.executescript(SCHEMA)
        _add_missing_columns(db)
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"cannot open database {path}: {error}") from None
    return db


# Columns added after databases were already in use: (table, column, declaration). SCHEMA has them
# for new databases; open_db adds them to older ones, so an upgrade needs no manual step.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("items", "missing_polls", "INTEGER NOT NULL DEFAULT 0"),
    ("platforms", "reads_hold_until", "TEXT"),
    ("items", "feed_status", "TEXT"),
    # Why a sent post went out without its photo ("sent without photo"), else NULL.
    ("posts", "degraded", "TEXT"),
    ("items", "facts", "TEXT NOT NULL DEFAULT '{}'"),
    ("posts", "pinned_at", "TEXT"),
    ("posts", "sent_slot", "TEXT"),
    ("feeds", "body_hash", "TEXT"),
    ("feeds", "notice", "TEXT"),
)


def _add_missing_columns(db: sqlite_utils.Database) -> None:
    """Idempotent migration: ALTER TABLE ADD COLUMN for each ADDED_COLUMNS entry not yet there.

    Checked again under the write lock: processes started together (daemon, dashboard) must not
    both add the column, or the second fails to open the database.
    """

    def present(table: str) -> set[str]:
        return {row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()}

    for table, column, declaration in ADDED_COLUMNS:
        if column in present(table):
            continue
        with immediate(db):
            if column not in present(table):
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def is_busy(error: BaseException) -> bool:
    """Whether ``error`` is SQLite giving up on a lock another process held past the timeout."""
    text = str(error)
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


@contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock up front, so a read-then-update is atomic.

    Rolls back on any exception, including KeyboardInterrupt. Inside another transaction it is
    a savepoint, so a step that keeps its own writes atomic (queueing an item's posts) can run
    within a bigger one (a poll storing many items) and still undo only its own part.
    """
    if db.conn.in_transaction:
        db.execute("SAVEPOINT immediate")
        try:
            yield db
        except BaseException:
            # SQLite may have rolled the whole transaction back itself (disk full, I/O error):
            # then there is no savepoint left, and the original error is the one to see.
            if db.conn.in_transaction:
                db.execute("ROLLBACK TO immediate")
                db.execute("RELEASE immediate")
            raise
        else:
            db.execute("RELEASE immediate")
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.rollback()
        raise
    else:
        db.execute("COMMIT")
