"""Schema versions: a database of the release before versions upgrades in place, a newer one is
refused in one line, and a failed upgrade leaves the database as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.db import DatabaseError, open_db
from bot.core.migrations import LATEST, MIGRATIONS, add_column, migrate, sql, version_of

FIXTURES = Path(__file__).parent / "fixtures"


def load_dump(path: Path, dump: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / dump).read_text())
    conn.close()


def shape(path: Path) -> dict[str, object]:
    """Tables with their columns (as a set: an added column comes last) and every index."""
    conn = sqlite3.connect(path)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    columns = {
        table: {row[1:] for row in conn.execute(f"PRAGMA table_info({table})")} for table in tables
    }
    indexes = {
        row[0]: row[1]
        for row in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    }
    conn.close()
    return {"columns": columns, "indexes": indexes}


def test_a_database_of_the_release_before_versions_upgrades_in_place(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    load_dump(old, "release_before_versions.sql")
    before = sqlite3.connect(old)
    assert version_of(before) == 0
    counts = {
        table: before.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("items", "posts", "events", "metrics", "users", "feeds")
    }
    before.close()

    db = open_db(old)
    assert version_of(db.conn) == LATEST
    for table, count in counts.items():
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == count, table
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    fresh = tmp_path / "fresh.db"
    open_db(fresh).close()
    assert shape(old) == shape(fresh)


def test_a_database_older_still_gets_the_columns_added_before_versions(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    load_dump(old, "release_before_versions.sql")
    conn = sqlite3.connect(old)
    for table, column in [("items", "missing_polls"), ("items", "feed_status")]:
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("ALTER TABLE platforms DROP COLUMN reads_hold_until")
    conn.commit()
    conn.close()
    open_db(old).close()
    fresh = tmp_path / "fresh.db"
    open_db(fresh).close()
    assert shape(old) == shape(fresh)


def test_a_database_from_a_newer_release_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_db(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(DatabaseError) as refused:
        open_db(path)
    message = str(refused.value)
    assert "\n" not in message
    assert "newer appeal-bot" in message and f"schema version {LATEST + 1}" in message
    conn = sqlite3.connect(path)
    assert version_of(conn) == LATEST + 1  # left alone
    conn.close()


def test_the_cli_refuses_a_newer_database_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {LATEST + 5}").connection.close()
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("SANDBOX", "1")
    env = tmp_path / "empty.env"
    env.write_text("")
    assert main(["--env-file", str(env), "queue"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "newer appeal-bot" in err


def test_a_failing_step_rolls_the_whole_upgrade_back(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    conn = sqlite3.connect(path, isolation_level=None)
    broken = (*MIGRATIONS, add_column("posts", "language", "TEXT"), sql("CREATE TABLE broken ("))
    with pytest.raises(sqlite3.Error):
        migrate(conn, broken)
    assert not conn.in_transaction
    assert version_of(conn) == 0
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0


def test_a_new_step_is_one_line_and_runs_once(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn) == LATEST
    extended = (*MIGRATIONS, add_column("posts", "language", "TEXT"))
    assert migrate(conn, extended) == 1
    assert migrate(conn, extended) == 0
    assert "language" in {row[1] for row in conn.execute("PRAGMA table_info(posts)")}
    assert version_of(conn) == LATEST + 1
