"""The comms officer's gate: ``approve``, ``edit``, ``reject`` and ``retry`` a waiting post."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command, existing_db

if TYPE_CHECKING:
    from bot.core.settings import Settings


def _post_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "id", metavar="ID", help="a queue id (see `queue`), or an item id for all its posts"
    )


def _at(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at",
        help="also pin to this minute: 14:00 or '2026-11-25 14:00' in TIMEZONE, outside the slots",
    )


def approve_arguments(parser: argparse.ArgumentParser) -> None:
    _post_id(parser)
    _at(parser)


def approve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import parse_local_time, utcnow
    from bot.posts import approval
    from bot.sending.plan import planned_lines

    now, db = utcnow(), existing_db(settings)
    at = parse_local_time(args.at, settings.timezone, now) if args.at else None
    ids = approval.approve(db, args.id, now, at=at)
    print(f"approved queue entries {', '.join(map(str, ids))}")
    print("\n".join(planned_lines(db, settings, ids, now)))
    return 0


def edit_arguments(parser: argparse.ArgumentParser) -> None:
    _post_id(parser)
    parser.add_argument("--text", required=True, help="the new text of the post")
    _at(parser)


def edit(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import parse_local_time, utcnow
    from bot.posts import approval
    from bot.sending.plan import planned_lines

    now, db = utcnow(), existing_db(settings)
    at = parse_local_time(args.at, settings.timezone, now) if args.at else None
    ids = approval.edit(db, args.id, args.text, now, at=at)
    print(f"edited queue entries {', '.join(map(str, ids))}")
    print("\n".join(planned_lines(db, settings, ids, now)))
    return 0


def reject_arguments(parser: argparse.ArgumentParser) -> None:
    _post_id(parser)
    parser.add_argument("--reason", default="rejected by the comms team", help="why, for the log")


def reject(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import utcnow
    from bot.posts import approval

    ids = approval.reject(existing_db(settings), args.id, args.reason, utcnow())
    print(f"rejected queue entries {', '.join(map(str, ids))}: they will not be posted")
    return 0


def retry(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import utcnow
    from bot.posts import approval

    ids = approval.retry(existing_db(settings), args.id, utcnow())
    print(f"queued again: {', '.join(map(str, ids))}; they go out in the next slot")
    return 0


COMMANDS = [
    Command(
        "approve",
        "approve a draft post (or all of an item's drafts) for posting",
        approve,
        approve_arguments,
    ),
    Command(
        "edit", "change the text of a draft or queued post before it goes out", edit, edit_arguments
    ),
    Command(
        "reject", "drop a draft or queued post: it will not be posted", reject, reject_arguments
    ),
    Command(
        "retry",
        "queue a failed post again (after `edit`, or once the fault is fixed)",
        retry,
        _post_id,
    ),
]
