"""Files that hold personal data are readable by their owner only, whatever the umask.

The database (and SQLite's ``-wal``/``-shm`` beside it), the daemon's lock file, share plots
and the demo's folder hold names and photos of missing people, password hashes, sessions and
the dashboard's secret key. Each is created 0600 (folders 0700) through this module, and
tightened to that if an older version left it wider.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700
# SQLite creates these beside the database with the database file's own mode.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if missing; tighten an existing one we own to 0600.

    A file someone else owns (a reader such as ``status`` run as another user) is left alone.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path)
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def _tighten(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):
        mode = os.stat(path).st_mode
        if stat.S_ISREG(mode) and mode & 0o077:
            os.chmod(path, FILE_MODE)


def private_database(path: Path) -> None:
    """The database file and any side file an older run left, 0600 (SQLite copies the mode)."""
    private_file(path)
    for suffix in SQLITE_SIDE_FILES:
        _tighten(Path(f"{path}{suffix}"))


def open_private(path: Path, mode: str = "wb") -> IO[bytes]:
    """Open ``path`` for writing (``"wb"``, truncating) or appending (``"ab"``), 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "ab" else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode)


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) 0700; an existing folder of ours is tightened."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, DIR_MODE)
