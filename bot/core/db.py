"""The SQLite database: connections and transactions; the schema is in bot.core.migrations.

WAL lets the daemon, the CLI and the dashboard read while one of them writes; the busy timeout
makes a briefly locked database a wait, not an error. Claims use ``BEGIN IMMEDIATE`` (see
:func:`immediate`) so two processes can never claim the same post.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

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
    try:
        db.execute("COMMIT")
    except BaseException:
        # A COMMIT that fails (a deferred constraint, the disk) may leave the transaction open,
        # holding the write lock until the connection closes.
        if db.conn.in_transaction:
            db.rollback()
        raise


class CommitBehind:
    """Commits a connection's write transaction on a worker thread, so that the caller can go on
    with work that does not touch the database while SQLite writes the transaction's pages to
    the WAL (and, past ``wal_autocheckpoint``, copies them into the database file and syncs it).

    The sqlite3 module releases the GIL for the whole of a COMMIT, so a commit and pure-Python
    work (composing the next batch of a big feed's posts) run at once on two cores; the
    transaction is as durable, and the write lock held as long, as with a COMMIT in place.

    Use as a context manager, one at a time per connection::

        with CommitBehind(db) as committer:
            db.execute("BEGIN IMMEDIATE"); ...; committer.commit()
            ...work that does not use db...
            committer.wait()  # before db is used again

    Between :meth:`commit` and :meth:`wait` nothing may use the connection. :meth:`wait` raises
    the commit's error (``sqlite3.Error``), after rolling the transaction back if SQLite left it
    open; a transaction is never left open. Where no thread can take the commit (the process is
    at its limit of threads, or the connection refuses use from other threads, as sqlite3's
    default ones do) it is committed in place, as ``COMMIT`` would. Leaving the block always
    waits for a commit under way, Ctrl-C or not, so no thread is ever left using the
    connection; if the block ends by an error, a failed commit's error is chained to it rather
    than lost.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._conn = db.conn
        self._done: threading.Event | None = None  # set once the commit under way has ended
        self._error: BaseException | None = None

    def __enter__(self) -> CommitBehind:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        interrupted = False
        while True:
            try:
                self.wait()
                break
            except KeyboardInterrupt:
                # The commit takes milliseconds and the connection is not ours until it ends:
                # wait on, and let the interrupt go up once it has.
                interrupted = True
            except Exception as failed:
                if error is None:
                    raise
                error.__context__ = failed
                break
        if interrupted and error is None:
            raise KeyboardInterrupt

    def commit(self) -> None:
        """Start committing the open transaction; returns at once."""
        self.wait()
        done = threading.Event()
        worker = threading.Thread(target=self._commit, args=(done,), name="commit-behind")
        self._done = done
        try:
            worker.start()
        except RuntimeError:  # "can't start new thread": the commit is done here instead
            self._commit(done)

    def wait(self) -> None:
        """Wait for the commit under way, if any; raises its error."""
        done = self._done
        if done is None:
            return
        done.wait()  # interrupted (Ctrl-C), _done stays set: leaving the block waits again
        self._done = None
        error, self._error = self._error, None
        if error is not None and self._conn.in_transaction:
            # The worker could not end the transaction at all (a connection that refuses other
            # threads): it is ended here.
            error = _commit_or_roll_back(self._conn)
        if error is not None:
            raise error

    def _commit(self, done: threading.Event) -> None:
        try:
            self._error = _commit_or_roll_back(self._conn)
        finally:
            done.set()


def _commit_or_roll_back(conn: sqlite3.Connection) -> BaseException | None:
    """``COMMIT``; if it fails, ``ROLLBACK`` where SQLite left the transaction open. The commit's
    error, or None."""
    try:
        conn.execute("COMMIT")
    except BaseException as error:  # handed to the caller, on its own thread
        with suppress(sqlite3.Error):  # the commit's own error is the one to report
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return error
    return None
