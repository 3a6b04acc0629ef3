"""Collect the commands, parse the command line and run one, turning errors into one line."""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from bot.cli import (
    alerts,
    backup,
    card,
    daemon,
    demo,
    fetch,
    health,
    log,
    post,
    queue,
    review,
    schedule,
    shares,
    status,
    users,
    web,
)
from bot.cli import withdraw as withdraw_commands
from bot.cli.command import Command
from bot.core.errors import AppealBotError, ConfigError

# The order --help lists them in: the flow first, then the comms team's, then the rest.
ORDER = (
    "run",
    "fetch",
    "post",
    "queue",
    "schedule",
    "add",
    "log",
    "status",
    "check-credentials",
    "withdraw",
    "withdrawals",
    "approve",
    "edit",
    "reject",
    "retry",
    "card",
    "demo",
    "metrics",
    "stats",
    "web",
    "users",
    "health",
    "backup",
    "restore",
    "alert-test",
)
_MODULES = (
    daemon,
    fetch,
    post,
    queue,
    schedule,
    log,
    status,
    withdraw_commands,
    review,
    card,
    demo,
    shares,
    web,
    health,
    backup,
    alerts,
)
_ALL = {command.name: command for module in (*_MODULES, users) for command in module.COMMANDS}
# Every command, by name, in --help's order (then any not placed in ORDER, by name).
COMMANDS: dict[str, Command] = {
    name: _ALL[name]
    for name in sorted(_ALL, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
}


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other error of the bot."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="run_bot.py",
        description="appeal-bot: share a missing-persons charity's appeals on X and Facebook.",
    )
    parser.add_argument(
        "--env-file", help="settings file to read (default .env, if there is one); must exist"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS.values():
        command.arguments(sub.add_parser(command.name, help=command.help, description=command.help))
    return parser


def _env_file(given: str | None) -> str:
    """The default ``.env`` is optional, but a file named with --env-file must be there: a typo
    would otherwise run the bot on defaults (the sandbox, the wrong database) without a word."""
    if given is None:
        return ".env"
    if not Path(given).exists():
        raise ConfigError("--env-file", f"{given} does not exist")
    if Path(given).is_dir():
        raise ConfigError("--env-file", f"{given} is a folder, not a settings file")
    return given


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code. A closed pipe (``queue | head``) ends it quietly with
    141, as Unix tools do (128 + SIGPIPE), never with a traceback."""
    _open_closed_streams()
    try:
        return _main(argv)
    except BrokenPipeError:
        _silence_stdout()
        return 141


def _open_closed_streams() -> None:
    """A standard stream started closed (``>&-``, ``2>&-``, ``<&-``) is None in Python:
    point it at /dev/null, so output is dropped and stdin reads as empty, the exit code (what a
    monitor reads from ``health``) stays the command's, and nothing crashes writing to None."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
    if sys.stderr is None:  # else print(file=None) would put errors among stdout's JSON
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (tests capture it): nothing will flush to the closed pipe


def _warn_misspelt(in_file: Iterable[str]) -> None:
    from bot.core.setting_names import misspelt

    for line in misspelt(in_file, os.environ):
        print(line, file=sys.stderr)


def _main(argv: Sequence[str] | None) -> int:
    from bot.core.logs import configure_logging
    from bot.core.settings import load_settings, read_env_file

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, or a usage error already said in one line
        sys.stdout.flush()
        return done.code if isinstance(done.code, int) else 2
    command = COMMANDS[args.command or "run"]
    try:
        in_file = read_env_file(_env_file(args.env_file))  # read once, for both
        settings = load_settings(file_values=in_file)
        _warn_misspelt(in_file)
        configure_logging(settings.log_level, settings.secrets())
        code = command.run(settings, args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at the interpreter's exit
        return code
    except AppealBotError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except sqlite3.OperationalError as error:
        from bot.core.db import BUSY_TIMEOUT_MS, is_busy

        if is_busy(error):
            print(
                "error: the database is locked by another process"
                f" (waited {BUSY_TIMEOUT_MS // 1000} s); try again",
                file=sys.stderr,
            )
        else:
            print(f"error: database: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
