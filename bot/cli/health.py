"""``health``: whether the daemon runs, polls and posts, for a monitoring system (exit 0 or 1)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command, emit_json, existing_db

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def health(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import utcnow
    from bot.core.errors import NotFound
    from bot.core.healthcheck import check_health

    try:
        db = existing_db(settings)
    except NotFound as error:
        if not args.json:
            raise
        # A monitor reading JSON gets JSON, with the same one line, and the same exit code.
        emit_json({"ok": False, "error": str(error)})
        return 1
    found = check_health(db, settings, utcnow())
    if args.json:
        emit_json(found.as_dict())
    else:
        print("\n".join(found.lines()))
    return 0 if found.ok else 1


COMMANDS = [
    Command(
        "health",
        "exit 0 if the daemon runs, polled recently and no platform is paused; else 1",
        health,
        arguments,
    )
]
