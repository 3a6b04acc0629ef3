"""``demo``: the whole flow on the sandbox."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", default="demo-output", help="folder for the demo's database and files"
    )


def demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(settings, output=args.output)


COMMANDS = [Command("demo", "run the sandbox demonstration end to end", demo, arguments)]
