"""Storing commits each batch behind the next one's composing (CommitBehind): however that goes
wrong, no thread is left using the connection and no write transaction (with the write lock)
is left open, and a batch stored is never undone for want of a hint."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
import sqlite_utils

from bot.appeals.feed_changes import AppealFeedChanges
from bot.core.db import CommitBehind, open_db
from bot.feeds.ingest import store_entries
from tests.factories import NOW, make_item, make_settings


def can_write(path: Path) -> bool:
    """Whether another process could take the write lock at once."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_a_commit_thread_that_cannot_start_leaves_no_transaction_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A process at its thread limit (RLIMIT_NPROC, a container's pids.max, memory for a stack)
    # gets "can't start new thread": the batch's transaction must still end (committed in
    # place), never be left open holding the write lock while the daemon's poll job goes on
    # with its deletions.
    settings = make_settings(tmp_path)
    db = open_db(tmp_path / "a.db")
    start = threading.Thread.start

    def no_threads(self: threading.Thread) -> None:
        if self.name == "commit-behind":
            raise RuntimeError("can't start new thread")
        start(self)

    monkeypatch.setattr(threading.Thread, "start", no_threads)
    items = [make_item(n, id=f"n{n}") for n in range(4)]
    with contextlib.suppress(RuntimeError):  # an error is fine; an open transaction is not
        store_entries(db, settings, items, NOW, AppealFeedChanges(settings), batch_size=2)
    open_transaction = db.conn.in_transaction
    db.rollback()  # (so the test's own clean-up can go on)
    assert not open_transaction
    assert can_write(tmp_path / "a.db")


def test_ctrl_c_while_waiting_for_a_commit_leaves_no_thread_using_the_connection(
    tmp_path: Path,
) -> None:
    # Leaving the block always waits for a commit under way, even when a Ctrl-C (SIGINT goes to
    # the main thread) interrupts the wait for it: else the block is left while the commit
    # still runs on the connection, its error never raised. (On CPython 3.11 an interrupted
    # Thread.join also marks the running thread as stopped, bpo-45274, so neither is_alive()
    # nor a second join() could be trusted to tell.)
    db = open_db(tmp_path / "a.db")
    main = threading.main_thread()
    assert threading.current_thread() is main
    release, finished = threading.Event(), threading.Event()
    committing: list[int] = []  # the commit's thread

    def slow_commit(sql: str) -> None:
        # Runs on the commit's thread as COMMIT starts: a commit that takes a while (a sync,
        # a checkpoint), during which the operator presses Ctrl-C.
        if sql != "COMMIT" or threading.current_thread() is main:
            return
        committing.append(threading.get_ident())
        for _ in range(500):  # until the main thread is blocked joining this one
            frame = sys._current_frames().get(main.ident or 0)
            if frame is not None and frame.f_code.co_name in ("_wait_for_tstate_lock", "wait"):
                break
            release.wait(0.01)
        signal.pthread_kill(main.ident or 0, signal.SIGINT)
        release.wait(5)
        finished.set()

    db.conn.set_trace_callback(slow_commit)
    try:
        with pytest.raises(KeyboardInterrupt), CommitBehind(db) as committer:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO feeds (url, kind) VALUES ('one', 'appeal')")
            committer.commit()
            committer.wait()
        assert finished.is_set(), "the block was left with its commit still under way"
    finally:
        release.set()
        finished.wait(5)
        # (the commit's thread may still hold the connection's mutex for a moment: this test
        # touches the connection again only once that thread is gone)
        for _ in range(500):
            if not set(committing) & set(sys._current_frames()):
                break
            release.wait(0.01)
        db.conn.set_trace_callback(None)


def test_a_connection_of_sqlite3s_default_kind_is_stored_to_or_left_without_a_transaction(
    tmp_path: Path,
) -> None:
    # sqlite3.connect() (and sqlite_utils.Database(path)) make connections that refuse use from
    # another thread: the commit's worker can neither commit nor roll back, so the transaction
    # must be ended on the caller's thread.
    settings = make_settings(tmp_path)
    open_db(tmp_path / "a.db").close()
    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "a.db", isolation_level=None))
    items = [make_item(n, id=f"n{n}") for n in range(3)]
    # Refusing such a connection is fine; leaving its transaction open is not.
    with contextlib.suppress(sqlite3.ProgrammingError):
        store_entries(db, settings, items, NOW, AppealFeedChanges(settings))
    open_transaction = db.conn.in_transaction
    db.rollback()
    assert not open_transaction
    assert can_write(tmp_path / "a.db")


def test_a_failed_look_ahead_at_the_next_batchs_ids_does_not_undo_a_stored_batch(
    tmp_path: Path,
) -> None:
    # Which of the next batch's ids are stored is only a hint for composing ahead, read inside
    # the current batch's transaction: if that read fails (here interrupted, in life
    # SQLITE_NOMEM, an I/O error), the batch whose every write succeeded must still be kept.
    settings = make_settings(tmp_path)
    db = open_db(tmp_path / "a.db")
    looking_ahead = False

    def trace(sql: str) -> None:
        nonlocal looking_ahead
        looking_ahead = "WHERE id IN ('n2'" in sql and db.conn.in_transaction and not seen
        if looking_ahead:
            seen.append(sql)

    seen: list[str] = []
    db.conn.set_trace_callback(trace)
    db.conn.set_progress_handler(lambda: 1 if looking_ahead else 0, 1)
    items = [make_item(n, id=f"n{n}") for n in range(4)]
    try:
        store_entries(db, settings, items, NOW, AppealFeedChanges(settings), batch_size=2)
    except sqlite3.OperationalError:
        pass  # the read's error may go up; the batch stored before it must stay
    finally:
        db.conn.set_progress_handler(None, 1)
        db.conn.set_trace_callback(None)
    assert seen, "the look-ahead read was not found"
    stored = [row[0] for row in db.execute("SELECT id FROM items ORDER BY rowid")]
    assert stored[:2] == ["n0", "n1"]
