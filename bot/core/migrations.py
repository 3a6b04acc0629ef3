"""The schema and its versions: numbered migrations, run at start under the write lock.

The database records its version in ``PRAGMA user_version``: the number of :data:`MIGRATIONS`
applied. :func:`migrate` (called by :func:`bot.core.db.open_db`) reads it, a single header read
when the database is up to date; otherwise it takes the write lock (``BEGIN IMMEDIATE``), reads
it again (the daemon and the dashboard may start together) and applies the missing steps in one
transaction, so a database is never left half-upgraded. A database newer than this release
(a version above ``len(MIGRATIONS)``) is refused with one line: a downgrade would run old code
on a schema it does not know.

**Adding a migration** (a column, an index, a table): append ONE line to :data:`MIGRATIONS`;
never edit :data:`BASELINE` or an earlier step, which databases already in use have run::

    add_column("posts", "language", "TEXT"),
    sql("CREATE INDEX IF NOT EXISTS posts_language ON posts (language)"),

Its version is its position (the first entry is version 1). On a rebase where someone else
appended too, keep both lines, theirs first. Every step must be safe to run on a database that
already has its change (``add_column`` checks, ``sql`` uses ``IF NOT EXISTS``): a database from
the release before versions (``user_version`` 0) runs every step, whatever it already had.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

Migration = Callable[[sqlite3.Connection], None]

# The schema of the release before versions (version 1), frozen: change it with a new step.
BASELINE = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_polled_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    entries INTEGER NOT NULL DEFAULT 0
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
    feed_status TEXT
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


# Keeps item_shares (bot/shares/totals.py) in step with every reading stored: the post's part
# of its item's total becomes the new reading's shares, unless a later reading exists already.
# An item is listed (with 0) from its first post sent, as the stats list it.
ITEM_SHARES_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS metrics_item_shares AFTER INSERT ON metrics BEGIN
    INSERT INTO item_shares (item_id, shares)
    SELECT p.item_id, CASE WHEN EXISTS (
        SELECT 1 FROM metrics m WHERE m.post_id = NEW.post_id AND m.id != NEW.id
        AND (m.taken_at > NEW.taken_at OR (m.taken_at = NEW.taken_at AND m.id > NEW.id))
    ) THEN 0 ELSE NEW.shares - COALESCE((
        SELECT m.shares FROM metrics m WHERE m.post_id = NEW.post_id AND m.id != NEW.id
        ORDER BY m.taken_at DESC, m.id DESC LIMIT 1
    ), 0) END
    FROM posts p WHERE p.id = NEW.post_id
    ON CONFLICT (item_id) DO UPDATE SET shares = shares + excluded.shares;
END;
CREATE TRIGGER IF NOT EXISTS posts_sent_item_shares AFTER UPDATE OF sent_at ON posts
WHEN NEW.sent_at IS NOT NULL BEGIN
    INSERT OR IGNORE INTO item_shares (item_id, shares) VALUES (NEW.item_id, 0);
END;
CREATE TRIGGER IF NOT EXISTS posts_inserted_sent_item_shares AFTER INSERT ON posts
WHEN NEW.sent_at IS NOT NULL BEGIN
    INSERT OR IGNORE INTO item_shares (item_id, shares) VALUES (NEW.item_id, 0);
END;
"""


# Keeps item_shares.kind equal to its item's kind: set when the row is made, and again should a
# feed ever change what an item is.
ITEM_SHARES_KIND_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS item_shares_kind AFTER INSERT ON item_shares BEGIN
    UPDATE item_shares SET kind = (SELECT kind FROM items WHERE id = NEW.item_id)
    WHERE item_id = NEW.item_id;
END;
CREATE TRIGGER IF NOT EXISTS items_kind_item_shares AFTER UPDATE OF kind ON items
WHEN OLD.kind IS NOT NEW.kind BEGIN
    UPDATE item_shares SET kind = NEW.kind WHERE item_id = NEW.id;
END;
"""


class SchemaError(Exception):
    """The database's schema version is one this release cannot use (it is newer)."""


def statements(script: str) -> list[str]:
    """``script`` split into whole SQL statements (semicolons in comments or strings kept)."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip() and not pending.strip().startswith("--"):
        found.append(pending.strip())
    return found


def sql(script: str) -> Migration:
    """A step running ``script``: one or more statements, each safe to run twice."""

    def step(conn: sqlite3.Connection) -> None:
        for statement in statements(script):
            conn.execute(statement)

    return step


def add_column(table: str, column: str, declaration: str) -> Migration:
    """A step adding ``column`` to ``table`` unless it is there already."""

    def step(conn: sqlite3.Connection) -> None:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    return step


def unique_remote_ids(conn: sqlite3.Connection) -> None:
    """A remote post belongs to at most one of our posts (issue 11), enforced by an index.

    A post recorded with another's remote id would delete that post when it is withdrawn. An
    older database may already hold such pairs (crash reconciliation once matched by link):
    the first post recorded keeps the id, the others lose it, with an event saying so.
    """
    shared = conn.execute(
        "SELECT id, platform, remote_id, item_id FROM posts p WHERE remote_id IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM posts q WHERE q.platform = p.platform"
        " AND q.remote_id = p.remote_id AND q.id < p.id)"
    ).fetchall()
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for post_id, platform, remote_id, item_id in shared:
        conn.execute("UPDATE posts SET remote_id = NULL WHERE id = ?", [post_id])
        conn.execute(
            "INSERT INTO events (at, post_id, item_id, platform, action, outcome, detail)"
            " VALUES (?, ?, ?, ?, 'recover', 'error', ?)",
            [
                at,
                post_id,
                item_id,
                platform,
                f"remote post {remote_id} was also recorded on an earlier post, which keeps it;"
                " this post's own remote id is unknown",
            ],
        )
    conn.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS posts_remote_id ON posts (platform, remote_id)"
        " WHERE remote_id IS NOT NULL"
    )


MIGRATIONS: tuple[Migration, ...] = (
    sql(BASELINE),
    # Columns added by hand before versions; a database older than any of them lacks it.
    add_column("items", "missing_polls", "INTEGER NOT NULL DEFAULT 0"),
    add_column("platforms", "reads_hold_until", "TEXT"),
    add_column("items", "feed_status", "TEXT"),
    # Why a sent post went out without its photo ("sent without photo"), else NULL.
    add_column("posts", "degraded", "TEXT"),
    # Card facts stated outright (feed fields, ``add``), as a JSON object (bot/posts/facts.py).
    add_column("items", "facts", "TEXT NOT NULL DEFAULT '{}'"),
    # A person's exact minute for this post (UTC), outside the slots: bot/posts/schedule.py.
    add_column("posts", "pinned_at", "TEXT"),
    # The slot (local key, 2026-03-29T09:00) the post was sent in; NULL outside the slots.
    add_column("posts", "sent_slot", "TEXT"),
    # SHA-256 of the last body parsed without error: an identical body is not parsed again.
    add_column("feeds", "body_hash", "TEXT"),
    # What the operator should know or do about the feed (it moved, ids shared); NULL if none.
    add_column("feeds", "notice", "TEXT"),
    # Indexes that keep the hot paths' cost flat in history (tests/core/test_query_plans.py).
    sql("CREATE INDEX IF NOT EXISTS posts_status ON posts (status, sent_at)"),
    sql("CREATE INDEX IF NOT EXISTS posts_budget ON posts (platform, sent_at, claimed_at)"),
    sql("DROP INDEX IF EXISTS posts_sent"),
    sql("CREATE INDEX IF NOT EXISTS events_item ON events (item_id)"),
    sql("CREATE INDEX IF NOT EXISTS events_post ON events (post_id)"),
    sql("CREATE INDEX IF NOT EXISTS items_lifecycle ON items (kind, purged_at, closed_at)"),
    sql("CREATE INDEX IF NOT EXISTS items_closed ON items (closed_at)"),
    sql("CREATE INDEX IF NOT EXISTS metrics_polls_stopped ON metrics_polls (stopped_at)"),
    sql("CREATE INDEX IF NOT EXISTS events_outcome ON events (outcome, at)"),
    sql("CREATE INDEX IF NOT EXISTS events_platform ON events (platform, at)"),
    # Polls in a row that failed (ALERT_FEED_FAILURES alerts at this many); 0 after a success.
    add_column("feeds", "failures_in_a_row", "INTEGER NOT NULL DEFAULT 0"),
    # One row per alert cause (a paused platform, a failing feed …): an alert goes out once when
    # the cause appears, and again only after it was cleared and came back (bot/core/alerts.py).
    sql(
        "CREATE TABLE IF NOT EXISTS alerts (cause TEXT PRIMARY KEY, title TEXT NOT NULL,"
        " raised_at TEXT NOT NULL, cleared_at TEXT)"
    ),
    # Why a waiting post's photo will not go (unreachable, not an image, too big), else NULL;
    # and when it was last checked (bot/sending/photo_check.py).
    add_column("posts", "photo_problem", "TEXT"),
    add_column("posts", "photo_checked_at", "TEXT"),
    unique_remote_ids,
    # Failed dashboard sign-ins (bot/web/throttle.py): kind 'name' or 'address', kept 15 min.
    sql(
        "CREATE TABLE IF NOT EXISTS login_failures"
        " (kind TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL);"
        "\nCREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (kind, key, at);"
    ),
    # Each item's share count, kept as readings arrive (bot/shares/totals.py), from those taken.
    sql(
        "CREATE TABLE IF NOT EXISTS item_shares"
        " (item_id TEXT PRIMARY KEY, shares INTEGER NOT NULL DEFAULT 0)"
    ),
    sql("CREATE INDEX IF NOT EXISTS item_shares_rank ON item_shares (shares DESC, item_id)"),
    sql(
        "INSERT OR REPLACE INTO item_shares (item_id, shares) SELECT p.item_id, SUM(m.shares)"
        " FROM posts p JOIN metrics m ON m.id = (SELECT id FROM metrics WHERE post_id = p.id"
        " ORDER BY taken_at DESC, id DESC LIMIT 1) GROUP BY p.item_id"
    ),
    sql(
        "INSERT OR IGNORE INTO item_shares (item_id, shares)"
        " SELECT DISTINCT item_id, 0 FROM posts WHERE sent_at IS NOT NULL"
    ),
    sql(ITEM_SHARES_TRIGGER),
    # The dashboard's lists: regions for the filter, cards in their order, the newest reading.
    sql("CREATE INDEX IF NOT EXISTS items_region ON items (kind, region)"),
    sql(
        "CREATE INDEX IF NOT EXISTS items_cards"
        " ON items (kind, (closed_at IS NOT NULL), first_seen_at DESC, id)"
    ),
    sql("CREATE INDEX IF NOT EXISTS metrics_taken ON metrics (taken_at)"),
    # The Shares page ranks and counts appeals from item_shares alone: each row carries its
    # item's kind (kept by ITEM_SHARES_KIND_TRIGGER), so no page reads every item to filter.
    add_column("item_shares", "kind", "TEXT"),
    sql(
        "UPDATE item_shares SET kind = (SELECT kind FROM items WHERE id = item_shares.item_id)"
        " WHERE kind IS NULL"
    ),
    sql(ITEM_SHARES_KIND_TRIGGER),
    sql("DROP INDEX IF EXISTS item_shares_rank"),
    sql(
        "CREATE INDEX IF NOT EXISTS item_shares_kind_rank"
        " ON item_shares (kind, shares DESC, item_id)"
    ),
    # A slot's room is counted at every claim in it: through its own index, not by reading
    # every post ever sent on the platform (bot/posts/queue.py claim).
    sql(
        "CREATE INDEX IF NOT EXISTS posts_slot ON posts (sent_slot, platform, target)"
        " WHERE sent_slot IS NOT NULL"
    ),
    # The day's budget (queue.budget_used, once a send) counted from the index alone: with
    # the status in it, no post's row is read.
    sql(
        "DROP INDEX IF EXISTS posts_budget;"
        "\nCREATE INDEX posts_budget ON posts (platform, sent_at, claimed_at, status);"
    ),
    # The same, holding only the posts the budget counts (claimed or sent): queueing a post
    # writes no entry (a first poll of a big feed queues thousands), and claiming one writes
    # it once instead of moving it. Each of budget_used's ranges (sent_at >= ?, claimed_at >=
    # ?) implies the WHERE, so SQLite still reads them from it (tests/posts/test_queue.py).
    sql(
        "DROP INDEX IF EXISTS posts_budget;"
        "\nCREATE INDEX posts_budget ON posts (platform, sent_at, claimed_at, status)"
        " WHERE sent_at IS NOT NULL OR claimed_at IS NOT NULL;"
    ),
)
LATEST = len(MIGRATIONS)


def version_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the database at ``conn`` (autocommit, no transaction open) up to date.

    Returns the number of steps applied (0 when it was up to date). Raises :class:`SchemaError`
    for a database from a newer release, and ``sqlite3.Error`` if a step fails, after rolling
    every step back.
    """
    latest = len(migrations)
    version = version_of(conn)
    if version == latest:
        return 0
    if version > latest:
        raise _too_new(version, latest)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = version_of(conn)
        if version > latest:
            raise _too_new(version, latest)
        for number in range(version + 1, latest + 1):
            migrations[number - 1](conn)
        # Not a bound parameter: SQLite's PRAGMA takes none; ``latest`` is our own int.
        conn.execute(f"PRAGMA user_version = {latest}")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return latest - version


def _too_new(version: int, latest: int) -> SchemaError:
    return SchemaError(
        f"it is from a newer appeal-bot (schema version {version}; this one knows up to"
        f" {latest}): install that release again, or restore a backup made with this one"
    )
