"""``backup``, ``restore``: a consistent copy of the database while the bot runs, and back."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.command import Command

if TYPE_CHECKING:
    from bot.core.settings import Settings


def backup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        help="file to write, or a folder (must exist) to write appeals-<UTC time>.db in",
    )
    parser.add_argument(
        "--prune",
        metavar="DIR",
        type=Path,
        help="instead: delete the backups in DIR older than RETENTION_DAYS",
    )


def backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core import backup as backups
    from bot.core.clock import utcnow
    from bot.core.errors import AppealBotError

    if (args.path is None) == (args.prune is None):
        raise AppealBotError("backup: give a PATH to write, or --prune DIR (not both)")
    if args.prune is not None:
        gone = backups.prune(
            args.prune, settings.retention_days, utcnow(), keep=Path(settings.database_path)
        )
        print(
            f"deleted {len(gone)} backup(s) older than {settings.retention_days} days"
            f" (RETENTION_DAYS) from {args.prune}"
        )
        for path in gone:
            print(f"  {path.name}")
        return 0
    written = backups.backup(Path(settings.database_path), args.path, utcnow())
    print(f"backed up {settings.database_path} to {written}")
    return 0


def restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="the backup to restore")


def restore(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core import backup as backups
    from bot.core.clock import local_text, utcnow

    database = Path(settings.database_path).resolve()
    kept = backups.restore(args.path, database, utcnow())
    print(f"restored {database} from {args.path}")
    ends = backups.last_logged_at(database)
    if ends:
        print(
            f"its log ends {local_text(ends, settings.timezone)} ({settings.timezone.key}):"
            " posts sent and appeals withdrawn since then are not in it. Before starting the"
            " daemon, check `run_bot.py queue` (nothing sent twice) and `run_bot.py withdrawals`"
            " (withdraw again any appeal closed since, or it goes out again)"
        )
    if kept is None:
        print(f"there was no database at {database} (DATABASE_PATH) before")
    else:
        print(
            f"the database it replaced is kept as {kept}: delete it once all is well"
            " (it holds appeals that RETENTION_DAYS would purge)"
        )
    return 0


COMMANDS = [
    Command(
        "backup",
        "copy the database safely while the bot runs (0600); --prune DIR deletes old copies",
        backup,
        backup_arguments,
    ),
    Command(
        "restore",
        "replace the database with a backup (stop the daemon and dashboard first)",
        restore,
        restore_arguments,
    ),
]
