"""The SQLite database: connections and transactions; the schema is in bot.core.migrations.

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
from bot.core.migrations import SchemaError, migrate
from bot.core.private import private_database

BUSY_TIMEOUT_MS = 10_000


class DatabaseError(AppealBotError):
    """The database file cannot be opened, is not appeal-bot's, or is from a newer release."""


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if need be) the database with WAL, a busy timeout and the schema."""
    path = Path(path)
    if str(path) != ":memory:" and not path.parent.exists():
        raise DatabaseError(f"database folder {path.parent} does not exist (DATABASE_PATH)")
    try:
        if str(path) != ":memory:":
            private_database(path)
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
        migrate(db.conn)
    except SchemaError as error:
        raise DatabaseError(f"cannot open database {path}: {error}") from None
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"cannot open database {path}: {error}") from None
    except OSError as error:
        raise DatabaseError(f"cannot open database {path}: {error.strerror or error}") from None
    return db


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
