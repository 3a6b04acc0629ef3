"""Issue 11 item 5: files holding personal data are 0600 and folders 0700 whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from bot.core.db import open_db
from bot.core.lock import DaemonLock
from bot.shares.plots import plot_series
from tests.factories import NOW


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual 022, or worse: what the bot creates must not depend on it."""
    old = os.umask(0o002)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    path = tmp_path / "appeals.db"
    db = open_db(path)
    db.execute("INSERT INTO web_keys (name, value) VALUES ('secret', 'x')")
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert all(f.exists() for f in files)
    assert [mode(f) for f in files] == [0o600] * 3
    db.close()


def test_an_older_database_left_readable_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "appeals.db"
    open_db(path).close()
    for f in tmp_path.iterdir():
        f.chmod(0o644)
    open_db(path).close()
    assert {f.name: mode(f) for f in tmp_path.iterdir()} == {
        f.name: 0o600 for f in tmp_path.iterdir()
    }


def test_the_lock_file_is_private(tmp_path: Path) -> None:
    lock = DaemonLock(tmp_path / "appeals.db")
    lock.acquire(NOW)
    try:
        assert mode(lock.path) == 0o600
    finally:
        lock.release()


def test_plots_are_private(tmp_path: Path) -> None:
    series = {"x": [(NOW, 0), (NOW + timedelta(hours=1), 3)]}
    out = tmp_path / "appeal.png"
    plot_series(series, out, "Shares", UTC)
    assert mode(out) == 0o600
