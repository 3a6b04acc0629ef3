"""Backups: a consistent copy of the live database, pruning old copies, and restoring one.

:func:`backup` uses SQLite's online backup API (``sqlite3.Connection.backup``): the copy is a
snapshot of one moment even while the daemon writes, without stopping it. The file is created
0600 (it holds appeals' personal data and the dashboard's password hashes) and written under a
temporary name, then renamed, so a half-written copy never carries the final name.

Retention reaches backups too: a found person's details purged from the database after
RETENTION_DAYS are still in every older copy, so :func:`prune` deletes copies older than that.
Only files named like :func:`backup_name` makes are ever deleted.

:func:`restore` replaces the database with a copy, refusing while a daemon runs on it (and
holding the daemon lock meanwhile, so none starts halfway). The copy is checked first
(``PRAGMA integrity_check``, appeal-bot's tables, a schema version this release knows), and
the database it replaces is kept beside it as ``<name>.before-restore``.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.errors import AppealBotError
from bot.core.lock import DaemonLock
from bot.core.migrations import LATEST, version_of

BACKUP_PATTERN = re.compile(r"^appeals-(\d{8}T\d{6}Z)\.db$")
PAGES_PER_STEP = 1024  # copied between yields to the daemon's writes


class BackupError(AppealBotError):
    """A backup or restore could not be done; the message says why in one line."""


def backup_name(now: datetime) -> str:
    """``appeals-20261125T031500Z.db``: sorts by time, and :func:`prune` knows it by its name."""
    return f"appeals-{now:%Y%m%dT%H%M%SZ}.db"


def backup(database: Path, destination: Path, now: datetime) -> Path:
    """Copy ``database`` to ``destination`` (a file, or a folder to put :func:`backup_name` in).

    Returns the path written. Raises :class:`BackupError` if the database is missing or the
    destination exists already or cannot be written.
    """
    if not database.exists():
        raise BackupError(f"no database at {database} (DATABASE_PATH)")
    target = destination / backup_name(now) if destination.is_dir() else destination
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new name")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        source, copy = sqlite3.connect(database), sqlite3.connect(partial)
        try:
            with copy:
                source.backup(copy, pages=PAGES_PER_STEP)
            # One file, not a WAL beside it: the copy is complete on its own.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
            source.close()
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup to {target} failed: {error}") from None
    return target


def prune(folder: Path, retention_days: int, now: datetime) -> list[Path]:
    """Delete the backups in ``folder`` taken more than ``retention_days`` before ``now``.

    Returns the files deleted, oldest first. The time is read from the name, not the file's
    mtime (which a copy to another disk would reset).
    """
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder")
    cutoff = now - timedelta(days=retention_days)
    old = []
    for path in sorted(folder.iterdir()):
        match = BACKUP_PATTERN.match(path.name)
        if not match or not path.is_file():
            continue
        taken = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=now.tzinfo)
        if taken < cutoff:
            path.unlink()
            old.append(path)
    return old


def check_copy(path: Path) -> None:
    """Raise :class:`BackupError` unless ``path`` is a sound appeal-bot database this release
    can open."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            version = version_of(conn)
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise BackupError(f"{path} is not a database: {error}") from None
    if verdict != "ok":
        raise BackupError(f"{path} is damaged (integrity check: {verdict})")
    if not {"items", "posts", "events"} <= tables:
        raise BackupError(f"{path} is not an appeal-bot database")
    if version > LATEST:
        raise BackupError(
            f"{path} is from a newer appeal-bot (schema version {version}; this one knows up"
            f" to {LATEST})"
        )


def restore(copy: Path, database: Path) -> Path | None:
    """Replace ``database`` with ``copy``; returns where the old database was kept, if any.

    Raises :class:`bot.core.errors.DaemonAlreadyRunning` while a daemon runs on ``database``,
    and :class:`BackupError` for a copy that is not sound (the database is then untouched).
    """
    check_copy(copy)
    with DaemonLock(database):
        kept = None
        if database.exists():
            kept = database.with_name(f"{database.name}.before-restore")
            source = sqlite3.connect(database)
            try:
                # Folds the WAL in, so the kept file is the whole database on its own.
                source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                source.close()
            os.replace(database, kept)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        partial = database.with_name(f".{database.name}.restoring")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        source, target = sqlite3.connect(copy), sqlite3.connect(partial)
        try:
            with target:
                source.backup(target)
        finally:
            source.close()
            target.close()
        os.replace(partial, database)
    return kept
