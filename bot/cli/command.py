"""What a command is, and the output helpers every command shares."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
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


def emit_json(value: Any, pretty: bool = True) -> None:
    """``value`` as JSON on stdout; indented unless ``pretty`` is False."""
    print(json.dumps(value, indent=2 if pretty else None, default=str))


def paging_arguments(parser: argparse.ArgumentParser, default_limit: int | None) -> None:
    """``--limit``/``--offset`` for a listing, and ``--pretty`` for its ``--json``."""
    shown = "all" if default_limit is None else str(default_limit)
    parser.add_argument(
        "--limit", type=int, default=default_limit, help=f"at most this many rows ({shown})"
    )
    parser.add_argument("--offset", type=int, default=0, help="skip this many rows first (0)")
    parser.add_argument("--pretty", action="store_true", help="indent the --json output")


def stream_json(rows: Iterable[Any], pretty: bool = False) -> None:
    """A JSON array on stdout, one row at a time: a long listing is never held as one string.
    Compact (one row a line) unless ``pretty``."""
    if pretty:
        emit_json(list(rows))
        return
    _write_array(rows)
    sys.stdout.write("\n")


def stream_json_object(
    head: dict[str, Any], key: str, rows: Iterable[Any], pretty: bool = False
) -> None:
    """``head`` and, last, ``key`` holding ``rows``, as one JSON object on stdout, the rows
    streamed as :func:`stream_json` streams them (compact unless ``pretty``)."""
    if pretty:
        emit_json({**head, key: list(rows)})
        return
    fields = json.dumps(head, default=str)[1:-1]
    sys.stdout.write("{" + (fields + ", " if fields else "") + json.dumps(key) + ": ")
    _write_array(rows)
    sys.stdout.write("}\n")


def _write_array(rows: Iterable[Any]) -> None:
    write = sys.stdout.write
    first = True
    for row in rows:
        write(("[" if first else ",\n") + json.dumps(row, default=str))
        first = False
    write("[]" if first else "]")


SQLITE_MAX_INTEGER = 2**63 - 1  # a bigger --limit or --offset cannot reach the query


def check_paging(args: argparse.Namespace) -> None:
    """One line for a --limit or --offset SQLite cannot take (argparse takes any whole number),
    and for --pretty without --json (it indents JSON, nothing else)."""
    from bot.core.errors import AppealBotError

    for name in ("limit", "offset"):
        value = getattr(args, name, None)
        if value is not None and value < 0:
            raise AppealBotError(f"--{name} must be 0 or more, got {value}")
        if value is not None and value > SQLITE_MAX_INTEGER:
            raise AppealBotError(f"--{name} must be at most {SQLITE_MAX_INTEGER}, got {value}")
    if getattr(args, "pretty", False) and not getattr(args, "json", False):
        raise AppealBotError("--pretty indents --json output: add --json, or leave --pretty out")


def empty_page(args: argparse.Namespace) -> str | None:
    """The line for a listing with no row when paging is why (``--limit 0``, an ``--offset``
    past the last row), so an empty page is never reported as an empty history; else None."""
    paging = [f"--limit {args.limit}"] if args.limit == 0 else []
    if args.offset:
        paging.append(f"--offset {args.offset}")
    return f"no rows on this page ({' '.join(paging)})" if paging else None


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
