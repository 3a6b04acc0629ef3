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
(``PRAGMA integrity_check``, appeal-bot's tables, a schema version this release knows) and
copied in beside the database before anything is moved, so a failed copy (a full disk) leaves
the database as it was. The database it replaces is kept as ``<name>.before-restore-<UTC time>``,
never overwriting an earlier one: restoring that file undoes the restore and loses nothing.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.errors import AppealBotError
from bot.core.lock import DaemonLock
from bot.core.migrations import LATEST, version_of

BACKUP_PATTERN = re.compile(r"^appeals-(\d{8}T\d{6}Z)\.db$")
# What a backup killed half-way leaves behind (see :func:`backup`): a hidden partial copy, with
# the journal SQLite keeps beside it.
PARTIAL_PATTERN = re.compile(r"^\.appeals-(\d{8}T\d{6}Z)\.db\.partial(?:-journal|-wal|-shm)?$")
TIME_FORMAT = "%Y%m%dT%H%M%SZ"


class BackupError(AppealBotError):
    """A backup or restore could not be done; the message says why in one line."""


def backup_name(now: datetime) -> str:
    """``appeals-20261125T031500Z.db``: sorts by time, and :func:`prune` knows it by its name."""
    return f"appeals-{now:{TIME_FORMAT}}.db"


def backup(database: Path, destination: Path | str, now: datetime) -> Path:
    """Copy ``database`` to ``destination`` (a file, or a folder to put :func:`backup_name` in;
    text ending in ``/`` names a folder, which must exist).

    Returns the path written. Raises :class:`BackupError` if the database is missing or the
    destination exists already or cannot be written.
    """
    if not database.exists():
        raise BackupError(f"no database at {database} (DATABASE_PATH)")
    folder = Path(destination)
    if str(destination).endswith(os.sep) and not folder.is_dir():
        raise BackupError(f"folder {folder} does not exist")
    target = folder / backup_name(now) if folder.is_dir() else folder
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new name")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        _new_private_file(partial)
        _copy_database(database, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup to {target} failed: {error}") from None
    return target


def prune(folder: Path, retention_days: int, now: datetime, keep: Path | None = None) -> list[Path]:
    """Delete the backups in ``folder`` taken more than ``retention_days`` before ``now``, and
    what interrupted backups of that age left (``.appeals-<time>.db.partial``).

    Returns the files deleted, by name. The time is read from the name, not the file's mtime
    (which a copy to another disk would reset). ``keep`` (the database) is never deleted, even
    named like a backup; a link to it is only a link.
    """
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder")
    cutoff = now - timedelta(days=retention_days)
    old = []
    for path in sorted(folder.iterdir()):
        match = BACKUP_PATTERN.match(path.name) or PARTIAL_PATTERN.match(path.name)
        if not match or not path.is_file():
            continue
        if keep is not None and not path.is_symlink() and keep.exists() and path.samefile(keep):
            continue
        taken = datetime.strptime(match.group(1), TIME_FORMAT).replace(tzinfo=now.tzinfo)
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


def _new_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600, replacing what an interrupted run left there. Never
    through a link: a partial copy's name is predictable, and in a shared folder (/tmp) another
    user could plant a link there to a file of ours for the copy to overwrite. Raises
    :class:`OSError` if something takes the name meanwhile."""
    path.unlink(missing_ok=True)  # a link itself, never what it points to
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.close(fd)


def _copy_database(
    source_path: Path,
    target_path: Path,
    progress: Callable[[int, int, int], object] | None = None,
) -> None:
    """Copy with SQLite's online backup API into ``target_path`` (an existing 0600 file), as one
    file with no WAL beside it. Raises :class:`sqlite3.Error` or :class:`OSError`.

    In one step: the database is in WAL mode, so the daemon's writes go on meanwhile, and the
    copy is the moment the step began. Copied a few pages a step, a write between two steps
    starts the copy again from the first page, and a busy daemon can keep it from ever ending.
    ``progress`` is called after each step, as :meth:`sqlite3.Connection.backup` does.
    """
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target, pages=-1, progress=progress)
        # One file, not a WAL beside it: the copy is complete on its own.
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
        source.close()


def _fold_wal(database: Path) -> bool:
    """Checkpoint ``database``'s WAL into it; False if it cannot be (a damaged database)."""
    try:
        conn = sqlite3.connect(database)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return True


def last_logged_at(copy: Path) -> str | None:
    """The time of the newest entry in ``copy``'s operators' log (ISO 8601 UTC), or None: how
    far the copy goes. What happened after it (a post sent, an appeal withdrawn because the
    person was found) is not in it."""
    conn = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT MAX(at) FROM events").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row and row[0] else None


def restore(copy: Path, database: Path, now: datetime) -> Path | None:
    """Replace ``database`` with ``copy``; returns where the old database was kept
    (``<name>.before-restore-<now, UTC>``), or None if there was none.

    Raises :class:`bot.core.errors.DaemonAlreadyRunning` while a daemon runs on ``database``,
    and :class:`BackupError` for a copy that is not sound, is the database itself, or cannot be
    copied (the database is then untouched).
    """
    check_copy(copy)
    if not database.parent.is_dir():
        raise BackupError(f"folder {database.parent} does not exist (DATABASE_PATH)")
    if database.exists() and os.path.samefile(copy, database):
        raise BackupError(f"{copy} is the database itself: name a backup to restore")
    kept = database.with_name(f"{database.name}.before-restore-{now:{TIME_FORMAT}}")
    if kept.exists():
        raise BackupError(f"{kept} exists already: try again in a second")
    try:
        return _replace(copy, database, kept)
    except OSError as error:
        raise BackupError(f"restore into {database} failed: {error}") from None


def _owner(database: Path) -> tuple[int, int] | None:
    """Who the restored files must belong to when root restores: the database's owner, or on
    a new server its folder's; None when not root (a file is then its maker's, as it should)."""
    if os.geteuid() != 0:
        return None
    st = (database if database.exists() else database.parent).stat()
    return st.st_uid, st.st_gid


def _replace(copy: Path, database: Path, kept: Path) -> Path | None:
    """:func:`restore`'s work once the copy is checked, under the daemon lock."""
    owner = _owner(database)
    with DaemonLock(database):
        if owner is not None:
            # Made by root, 0600, the lock and the database would shut the daemon's user out.
            os.chown(f"{database}.lock", *owner)
        partial = database.with_name(f".{database.name}.restoring")
        try:
            _new_private_file(partial)
            _copy_database(copy, partial)
            if owner is not None:
                os.chown(partial, *owner)
        except (OSError, sqlite3.Error) as error:
            for leftover in (partial, Path(f"{partial}-journal")):
                leftover.unlink(missing_ok=True)
            raise BackupError(f"restore from {copy} failed: {error}") from None
        had_database = database.exists()
        if had_database:
            # Folded in, the WAL's writes go with the kept file; a damaged database that cannot
            # fold it keeps its WAL beside it under the kept name, so nothing of it is lost.
            folded = _fold_wal(database)
            os.replace(database, kept)
            wal = Path(f"{database}-wal")
            if not folded and wal.exists():
                os.replace(wal, Path(f"{kept}-wal"))
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(partial, database)
    return kept if had_database else None
