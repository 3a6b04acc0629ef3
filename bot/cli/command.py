"""What a command is, and the output helpers every command shares."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
