"""The database: opening, migrating and transactions, with real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from bot.db import open_db


def test_two_processes_upgrading_an_old_database_at_once_both_open_it(tmp_path: Path) -> None:
    # A database from before ``items.missing_polls``: after an upgrade the daemon and the
    # dashboard start together, and each adds the missing column.
    path = tmp_path / "old.db"
    open_db(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ALTER TABLE items DROP COLUMN missing_polls")
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
