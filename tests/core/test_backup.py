"""Backups: consistent under concurrent writes, 0600, pruned by RETENTION_DAYS, restored only
from a sound copy."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core import backup as backups
from bot.core.backup import BackupError, backup, backup_name, prune, restore
from bot.core.db import immediate, open_db
from bot.core.errors import DaemonAlreadyRunning
from bot.core.lock import DaemonLock
from bot.core.migrations import LATEST

NOW = datetime(2026, 11, 25, 3, 15, tzinfo=UTC)


def test_copies_taken_during_a_stream_of_writes_are_each_one_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One page per step: the copy spans many steps, with the writer's commits between them.
    monkeypatch.setattr(backups, "PAGES_PER_STEP", 1)
    database = tmp_path / "appeals.db"
    db = open_db(database)
    stop = threading.Event()

    def write() -> None:
        writer = open_db(database)
        n = 0
        while not stop.is_set():
            n += 1
            # Each transaction adds a feed and its log line: a torn copy would hold one alone.
            with immediate(writer):
                writer.execute(
                    "INSERT INTO feeds (url, kind, entries) VALUES (?, 'appeal', ?)",
                    [f"https://x.example/{n}", n],
                )
                writer.execute(
                    "INSERT INTO events (at, action, outcome, detail) VALUES (?, 'w', 'done', ?)",
                    ["2026-11-25T03:00:00Z", "x" * 2000],
                )
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        copies = [backup(database, tmp_path / f"copy-{i}.db", NOW) for i in range(3)]
    finally:
        stop.set()
        thread.join(timeout=30)
    db.close()
    for copy in copies:
        assert copy.stat().st_mode & 0o777 == 0o600
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        feeds, events = (
            conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("feeds", "events")
        )
        assert feeds == events
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        conn.close()
    assert not list(tmp_path.glob(".*.partial"))


def test_backup_refuses_to_overwrite_and_names_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database at"):
        backup(tmp_path / "none.db", tmp_path / "copy.db", NOW)
    open_db(tmp_path / "appeals.db").close()
    target = backup(tmp_path / "appeals.db", tmp_path, NOW)
    assert target.name == backup_name(NOW) == "appeals-20261125T031500Z.db"
    with pytest.raises(BackupError, match="exists already"):
        backup(tmp_path / "appeals.db", tmp_path, NOW)


def test_prune_deletes_only_backups_older_than_retention(tmp_path: Path) -> None:
    names = [backup_name(NOW - timedelta(days=days)) for days in (40, 31, 29, 0)]
    for name in [*names, "notes.txt", "appeals.db", "appeals-latest.db"]:
        (tmp_path / name).write_text("")
    gone = prune(tmp_path, 30, NOW)
    assert [p.name for p in gone] == names[:2]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*names[2:], "notes.txt", "appeals.db", "appeals-latest.db"])


def test_restore_refuses_a_damaged_foreign_or_newer_copy(tmp_path: Path) -> None:
    database = tmp_path / "appeals.db"
    open_db(database).close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    newer = tmp_path / "newer.db"
    open_db(newer).close()
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {LATEST + 1}").connection.close()
    for copy, words in [(junk, "not a database"), (foreign, "not an appeal-bot"), (newer, "newer")]:
        with pytest.raises(BackupError, match=words):
            restore(copy, database)
    assert not (tmp_path / "appeals.db.before-restore").exists()


def test_restore_waits_for_no_daemon(tmp_path: Path) -> None:
    database = tmp_path / "appeals.db"
    open_db(database).close()
    copy = backup(database, tmp_path / "copy.db", NOW)
    with DaemonLock(database), pytest.raises(DaemonAlreadyRunning):
        restore(copy, database)
    assert restore(copy, database) == tmp_path / "appeals.db.before-restore"
