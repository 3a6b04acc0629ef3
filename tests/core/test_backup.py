"""Backups: consistent under concurrent writes, 0600, pruned by RETENTION_DAYS, restored only
from a sound copy."""

from __future__ import annotations

import os
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


def test_copies_taken_during_a_stream_of_writes_are_each_one_moment(tmp_path: Path) -> None:
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


def test_a_copy_is_one_pass_however_busy_the_writer(tmp_path: Path) -> None:
    """Step by step, a write between two steps starts the copy again from its first page (a
    busy daemon could keep it from ending); in one step it is one pass while writes go on."""
    database = tmp_path / "appeals.db"
    db = open_db(database)
    db.execute(
        "INSERT INTO events (at, action, outcome, detail) VALUES ('t', 'w', 'done', ?)",
        ["x" * 6_000_000],
    )  # fmt: skip: more pages than a step of 1,024 held
    db.close()
    stop, steps = threading.Event(), []

    def write() -> None:
        writer = open_db(database)
        while not stop.is_set():
            writer.execute("INSERT INTO feeds (url, kind) VALUES (?, 'appeal')", [f"u{len(steps)}"])
            writer.execute("DELETE FROM feeds")
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        target = tmp_path / "copy.db"
        backups._new_private_file(target)
        backups._copy_database(database, target, progress=lambda *step: steps.append(step))
    finally:
        stop.set()
        thread.join(timeout=30)
    assert len(steps) == 1 and steps[0][1] == 0, steps  # one step, nothing left to copy
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


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
            restore(copy, database, NOW)
    assert not list(tmp_path.glob("*.before-restore*"))


def test_restore_waits_for_no_daemon(tmp_path: Path) -> None:
    database = tmp_path / "appeals.db"
    open_db(database).close()
    copy = backup(database, tmp_path / "copy.db", NOW)
    with DaemonLock(database), pytest.raises(DaemonAlreadyRunning):
        restore(copy, database, NOW)
    kept = tmp_path / "appeals.db.before-restore-20261125T031500Z"
    assert restore(copy, database, NOW) == kept


def _feeds(database: Path) -> int:
    conn = sqlite3.connect(database)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM feeds").fetchone()[0])
    finally:
        conn.close()


def _database_with_a_feed(database: Path, url: str = "https://a.example/feed") -> None:
    db = open_db(database)
    db.execute("INSERT INTO feeds (url, kind) VALUES (?, 'appeal')", [url])
    db.close()


def test_restore_refuses_the_database_itself(tmp_path: Path) -> None:
    # Restoring appeals.db onto itself once left an empty database in its place.
    database = tmp_path / "appeals.db"
    _database_with_a_feed(database)
    with pytest.raises(BackupError, match="is the database itself"):
        restore(database, database, NOW)
    assert _feeds(database) == 1
    assert not list(tmp_path.glob("*.before-restore*"))


def test_undoing_a_restore_keeps_every_database(tmp_path: Path) -> None:
    # Restoring the kept copy (undoing a restore) once overwrote it with the database it was
    # meant to bring back: the original database was lost.
    database = tmp_path / "appeals.db"
    _database_with_a_feed(database)
    empty = tmp_path / "empty.db"
    open_db(empty).close()
    kept = restore(empty, database, NOW)
    assert kept is not None and kept.name == "appeals.db.before-restore-20261125T031500Z"
    assert _feeds(database) == 0
    later = NOW + timedelta(minutes=5)
    kept_again = restore(kept, database, later)
    assert kept_again is not None and kept_again != kept
    assert _feeds(database) == 1  # the original is back
    assert _feeds(kept) == 1 and _feeds(kept_again) == 0  # and nothing was lost
    with pytest.raises(BackupError, match="exists already"):
        restore(kept, database, later)  # the same second: never overwrites a kept database
    assert _feeds(kept_again) == 0


def test_restore_over_a_damaged_database_keeps_it(tmp_path: Path) -> None:
    # The case a restore is for: the database no longer opens. Once a traceback.
    database = tmp_path / "appeals.db"
    database.write_bytes(b"damaged beyond repair" * 200)
    copy = tmp_path / "copy.db"
    _database_with_a_feed(copy)
    kept = restore(copy, database, NOW)
    assert kept is not None and kept.read_bytes() == b"damaged beyond repair" * 200
    assert _feeds(database) == 1


def test_a_failed_restore_leaves_the_database_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "appeals.db"
    _database_with_a_feed(database)
    copy = tmp_path / "copy.db"
    open_db(copy).close()

    def disk_full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(backups, "_copy_database", disk_full)
    with pytest.raises(BackupError, match="disk is full"):
        restore(copy, database, NOW)
    assert _feeds(database) == 1
    assert not list(tmp_path.glob("*restor*"))  # no partial copy, nothing moved aside


def test_a_folder_named_with_a_slash_must_exist(tmp_path: Path) -> None:
    # `backup /var/backups/appeal-bot/` with the folder missing once wrote a file of that name.
    database = tmp_path / "appeals.db"
    open_db(database).close()
    with pytest.raises(BackupError, match=r"folder .*missing does not exist"):
        backup(database, f"{tmp_path}/missing/", NOW)
    assert not (tmp_path / "missing").exists()


def test_prune_reaches_the_leftovers_of_an_interrupted_backup(tmp_path: Path) -> None:
    # A backup killed half-way leaves a hidden partial copy, personal data included.
    old, new = backup_name(NOW - timedelta(days=40)), backup_name(NOW)
    names = [f".{old}.partial", f".{old}.partial-journal", f".{new}.partial", ".notes.partial"]
    for name in names:
        (tmp_path / name).write_text("")
    gone = prune(tmp_path, 30, NOW)
    assert sorted(p.name for p in gone) == sorted(names[:2])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[2:])


def test_a_link_planted_at_the_partial_name_is_never_followed(tmp_path: Path) -> None:
    # Backing up into a shared folder (/tmp): another user can guess the hidden partial's name
    # and plant a link there to a file of ours, which the copy once truncated and overwrote.
    database = tmp_path / "appeals.db"
    _database_with_a_feed(database)
    shared = tmp_path / "shared"
    shared.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (shared / f".{backup_name(NOW)}.partial").symlink_to(victim)
    (tmp_path / ".appeals.db.restoring").symlink_to(victim)
    written = backup(database, shared, NOW)
    assert victim.read_text() == "keep me"
    assert _feeds(written) == 1 and not written.is_symlink()
    restore(written, database, NOW)
    assert victim.read_text() == "keep me"
    assert _feeds(database) == 1 and not database.is_symlink()


def test_restore_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    # DATABASE_PATH in a folder not made yet (a new server): once a traceback from the lock.
    copy = tmp_path / "copy.db"
    _database_with_a_feed(copy)
    with pytest.raises(BackupError, match=r"folder .*missing does not exist \(DATABASE_PATH\)"):
        restore(copy, tmp_path / "missing" / "appeals.db", NOW)
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_restore_run_as_root_leaves_the_database_to_its_owner(tmp_path: Path) -> None:
    # Run as root (sudo, following the README too quickly), the restored database was root's,
    # 0600: the daemon, running as its own user, could no longer open it.
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "appeals.db"
    _database_with_a_feed(database)
    owner = 65534  # nobody
    os.chown(folder, owner, owner)
    os.chown(database, owner, owner)
    copy = tmp_path / "copy.db"
    open_db(copy).close()
    restore(copy, database, NOW)
    assert (database.stat().st_uid, database.stat().st_gid) == (owner, owner)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    os.chown(fresh, owner, owner)
    restore(copy, fresh / "appeals.db", NOW)  # a new server: the folder's owner
    assert (fresh / "appeals.db").stat().st_uid == owner
    assert (fresh / "appeals.db.lock").stat().st_uid == owner  # the daemon opens it too


def test_prune_never_deletes_the_database_itself(tmp_path: Path) -> None:
    # A database named like a backup (a restored copy used in place) in the pruned folder.
    database = tmp_path / backup_name(NOW - timedelta(days=90))
    _database_with_a_feed(database)
    linked = tmp_path / backup_name(NOW - timedelta(days=80))
    linked.symlink_to(database)
    assert prune(tmp_path, 30, NOW, keep=database) == [linked]
    assert _feeds(database) == 1
