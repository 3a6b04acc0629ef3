"""``card``: write an appeal's card to a file, for checking before it posts or for print."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command, existing_db

if TYPE_CHECKING:
    from bot.core.settings import Settings


def card_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "item_id", metavar="APPEAL_ID", help="the appeal's id (the `appeal` column of `queue`)"
    )
    parser.add_argument("--output", required=True, help="the file to write, e.g. card.png")
    parser.add_argument(
        "--platform",
        default="x",
        help="the card's shape: x or bluesky (16:9), facebook or mastodon (4:5); default x",
    )
    parser.add_argument("--pdf", action="store_true", help="write an A4 PDF poster instead")


def card(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.sending.card_attach import write_card

    output = Path(args.output)
    alt = write_card(
        existing_db(settings), settings, args.item_id, output, args.platform.lower(), args.pdf
    )
    print(f"wrote {output}")
    print(f"alt text: {alt}")
    return 0


COMMANDS = [
    Command("card", "write an appeal's card (or --pdf poster) to a file", card, card_arguments)
]
