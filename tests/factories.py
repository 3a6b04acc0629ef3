"""Small builders for tests: a database, settings and items with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.core.settings import Settings, load_settings
from bot.feeds.items import Item

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def make_settings(tmp_path: Path, **env: str) -> Settings:
    # Cards off unless a test asks: most tests' photos sit at addresses no test may reach.
    base = {"DATABASE_PATH": str(tmp_path / "test.db"), "SANDBOX": "1", "APPEAL_CARDS": "0"}
    base.update(env)
    return load_settings(base, env_file=None)


def make_item(n: int = 1, **fields: Any) -> Item:
    values: dict[str, Any] = {
        "id": f"item-{n}",
        "kind": "appeal",
        "title": f"Person {n}, 15, missing from Leeds",
        "summary": "Last seen on Monday wearing a blue coat.",
        "link": f"https://charity.example/appeals/{n}",
        "status": "missing",
    }
    values.update(fields)
    return Item(**values)


def doom_commits(db: sqlite_utils.Database, table: str, column: str, value: str) -> None:
    """Make a transaction that inserts a row of ``table`` whose ``column`` is ``value`` fail at
    COMMIT, as SQLite fails a commit with a deferred foreign key left unsatisfied (leaving the
    transaction open): in life, a full disk or an I/O error at commit."""
    db.execute("CREATE TABLE parents (id TEXT PRIMARY KEY)")
    db.execute(
        "CREATE TABLE children (parent TEXT REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    db.execute(
        f"CREATE TRIGGER doom AFTER INSERT ON {table} WHEN NEW.{column} = '{value}'"
        " BEGIN INSERT INTO children VALUES ('nobody'); END"
    )
