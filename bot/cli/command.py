"""What a command is, and the output helpers every command shares."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

    from bot.core.settings import Settings


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For commands that take none."""


@dataclass(frozen=True)
class Command:
    """One ``run_bot.py`` command: its name, one-line help, arguments and what it runs.

    ``run`` gets the loaded settings and the parsed arguments and returns the exit code.
    """

    name: str
    help: str
    run: Callable[[Settings, argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = no_arguments


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def existing_db(settings: Settings) -> sqlite_utils.Database:
    """The database, for a command that only reads it: never created here.

    Run from the wrong folder, a read-only command would otherwise make a new, empty database
    there and report an empty bot as if all were well.
    """
    from bot.core.db import open_db
    from bot.core.errors import NotFound

    path = Path(settings.database_path)
    if str(path) != ":memory:" and not path.exists():
        raise NotFound(
            f"no database at {path.resolve()} (DATABASE_PATH): nothing has run with these"
            " settings yet; run from the folder that holds your .env, or use --env-file"
        )
    return open_db(path)
