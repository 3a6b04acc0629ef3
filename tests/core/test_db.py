"""The database: opening, migrating and transactions, with real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlite_utils

from bot.core.db import CommitBehind, immediate, open_db
from bot.core.migrations import MIGRATIONS, unique_remote_ids
from tests.factories import doom_commits


def test_two_processes_upgrading_an_old_database_at_once_both_open_it(tmp_path: Path) -> None:
    # A database from before ``items.missing_polls``: after an upgrade the daemon and the
    # dashboard start together, and each adds the missing column.
    path = tmp_path / "old.db"
    open_db(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ALTER TABLE items DROP COLUMN missing_polls")
    conn.execute("PRAGMA user_version = 0")
    # A third process is writing: both openers see the column missing, then wait their turn.
    conn.execute("BEGIN IMMEDIATE")
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            open_db(path).close()
        except BaseException as error:  # reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=opener) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    conn.execute("COMMIT")
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    columns = [row[1] for row in conn.execute("PRAGMA table_info(items)")]
    assert columns.count("missing_polls") == 1
    conn.close()


def test_immediate_inside_immediate_undoes_only_the_inner_part(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    with immediate(db):
        db.execute("INSERT INTO feeds (url, kind) VALUES ('outer', 'appeal')")
        with pytest.raises(RuntimeError), immediate(db):
            db.execute("INSERT INTO feeds (url, kind) VALUES ('inner', 'appeal')")
            raise RuntimeError("a step fails")
        with immediate(db):
            db.execute("INSERT INTO feeds (url, kind) VALUES ('inner ok', 'appeal')")
    assert not db.conn.in_transaction
    urls = {row[0] for row in db.execute("SELECT url FROM feeds")}
    assert urls == {"outer", "inner ok"}


def test_an_error_in_the_outer_transaction_undoes_the_inner_parts_too(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    with pytest.raises(RuntimeError), immediate(db):
        with immediate(db):
            db.execute("INSERT INTO feeds (url, kind) VALUES ('inner', 'appeal')")
        raise RuntimeError("the poll fails later")
    assert not db.conn.in_transaction
    assert db.execute("SELECT COUNT(*) FROM feeds").fetchone()[0] == 0


def feed_urls(db: sqlite_utils.Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT url FROM feeds ORDER BY rowid")]


def test_a_commit_that_fails_rolls_back_and_lets_the_write_lock_go(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    doom_commits(db, "feeds", "url", "doomed")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), immediate(db):
        db.execute("INSERT INTO feeds (url, kind) VALUES ('doomed', 'appeal')")
    assert not db.conn.in_transaction
    other = open_db(tmp_path / "a.db")  # another process can write at once
    other.conn.execute("PRAGMA busy_timeout = 0")
    with immediate(other):
        other.execute("INSERT INTO feeds (url, kind) VALUES ('next', 'appeal')")
    assert feed_urls(db) == ["next"]


def test_commit_behind_commits_while_the_caller_goes_on(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    reader = open_db(tmp_path / "a.db")
    with CommitBehind(db) as committer:
        for url in ("one", "two", "three"):
            committer.wait()
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO feeds (url, kind) VALUES (?, 'appeal')", [url])
            committer.commit()
        committer.wait()
        assert feed_urls(reader) == ["one", "two", "three"]  # durable, seen by others
        committer.wait()  # nothing under way: returns at once
    assert not db.conn.in_transaction


def test_commit_behind_raises_a_failed_commit_at_wait_and_rolls_it_back(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    doom_commits(db, "feeds", "url", "doomed")
    with CommitBehind(db) as committer:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO feeds (url, kind) VALUES ('kept', 'appeal')")
        committer.commit()
        committer.wait()  # the connection is the caller's again
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO feeds (url, kind) VALUES ('doomed', 'appeal')")
        committer.commit()
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            committer.wait()
    assert not db.conn.in_transaction
    assert feed_urls(db) == ["kept"]
    with immediate(db):  # the connection goes on as before
        db.execute("INSERT INTO feeds (url, kind) VALUES ('after', 'appeal')")
    assert feed_urls(db) == ["kept", "after"]


def test_leaving_commit_behind_waits_for_the_commit_and_raises_its_error(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    doom_commits(db, "feeds", "url", "doomed")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), CommitBehind(db) as committer:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO feeds (url, kind) VALUES ('doomed', 'appeal')")
        committer.commit()
    assert not db.conn.in_transaction
    assert feed_urls(db) == []


def test_an_error_while_committing_behind_keeps_the_commits_error_as_its_context(
    tmp_path: Path,
) -> None:
    db = open_db(tmp_path / "a.db")
    doom_commits(db, "feeds", "url", "doomed")
    with (
        pytest.raises(RuntimeError, match="composing failed") as raised,
        CommitBehind(db) as committer,
    ):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO feeds (url, kind) VALUES ('doomed', 'appeal')")
        committer.commit()
        raise RuntimeError("composing failed")
    assert isinstance(raised.value.__context__, sqlite3.IntegrityError)
    assert not db.conn.in_transaction  # the block waited for the commit (and its rollback)


def test_status_reads_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    # An operator checks `status` while the daemon is busy writing: reading must not wait.
    from datetime import UTC, datetime

    from bot.status import gather_status
    from tests.factories import make_settings

    settings = make_settings(tmp_path)
    open_db(settings.database_path).close()
    writer = sqlite3.connect(settings.database_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        reader = open_db(settings.database_path)
        reader.execute("PRAGMA busy_timeout = 100")  # fail fast instead of waiting 10 s
        status = gather_status(reader, settings, datetime.now(UTC))
    finally:
        writer.execute("ROLLBACK")
    assert {p["platform"] for p in status["platforms"]} >= {"x", "facebook"}
    assert all(not p["paused"] for p in status["platforms"])


def test_an_older_database_sharing_a_remote_id_keeps_it_on_the_first_post(tmp_path: Path) -> None:
    """Issue 11: a remote id recorded on two posts (the old link-only reconciliation) is left
    on the first only, so withdrawing the second can never delete the first's post."""
    path = tmp_path / "old.db"
    db = open_db(path)
    db.execute("DROP INDEX posts_remote_id")
    db.execute(
        "INSERT INTO items (id, kind, first_seen_at, last_seen_at) VALUES ('a', 'appeal', '', '')"
    )
    for n in (1, 2):
        db.execute(
            "INSERT INTO posts (item_id, platform, round, status, text, scheduled_at, priority,"
            " created_at, remote_id) VALUES ('a', 'x', ?, 'sent', 't', '', 1, '', '42')",
            [n],
        )
    # As the database was before that step ran.
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(unique_remote_ids)}")
    db.conn.close()
    db = open_db(path)
    assert [r[0] for r in db.execute("SELECT remote_id FROM posts ORDER BY id")] == ["42", None]
    [event] = db.execute("SELECT detail FROM events").fetchall()
    assert "remote post 42 was also recorded on an earlier post" in event[0]
