"""``withdraw``: take an appeal down everywhere; ``withdrawals``: what was taken down."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command, emit_json, existing_db

if TYPE_CHECKING:
    from bot.core.settings import Settings


def withdraw_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("item_id", metavar="APPEAL_ID", help="the appeal's id (see `queue`)")
    parser.add_argument("--reason", required=True, help="why, e.g. 'found safe and well'")
    parser.add_argument(
        "--found",
        action="store_true",
        help="the person was found: also queue the FOUND_THANKS update if it is on",
    )


def withdraw(settings: Settings, args: argparse.Namespace) -> int:
    from bot.appeals.lifecycle import close_appeal
    from bot.appeals.withdrawal import process_deletions
    from bot.core.clock import utcnow
    from bot.core.display import plural
    from bot.runtime import start_runtime

    now = utcnow()
    with start_runtime(settings, with_feeds=False) as runtime:
        db = runtime.db()
        closure = close_appeal(
            db, runtime.settings, args.item_id, args.reason, now, found=args.found
        )
        affected = closure.affected
        deleted = process_deletions(db, runtime.publishers, now)
        pending = db.execute(
            "SELECT COUNT(*) FROM posts WHERE item_id = ? AND status = 'deleting'", [args.item_id]
        ).fetchone()[0]
    print(
        f"withdrew {args.item_id}: {plural(affected, 'post')} taken down or cancelled,"
        f" {deleted} deleted now"
        + (f", {plural(pending, 'deletion')} pending (retried automatically)" if pending else "")
    )
    if args.found:
        print(_thanks_line(runtime.settings, closure.thanks))
    return 0


def _thanks_line(settings: Settings, thanks: list[int]) -> str:
    """What ``--found`` did about the thank-you: the user asked for it, so silence would
    read as "queued" when FOUND_THANKS is off."""
    from bot.core.display import plural

    if thanks:
        return f"thank-you update queued ({plural(len(thanks), 'post')})"
    if not settings.found_thanks:
        return "no thank-you update: FOUND_THANKS is off"
    return "no thank-you update: the appeal was never published, or was thanked already"


def withdrawals_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument("--limit", type=int, default=200, help="at most this many appeals")


def withdrawals(settings: Settings, args: argparse.Namespace) -> int:
    from bot.appeals.withdrawal import list_withdrawals
    from bot.core.clock import local_text, local_times_in
    from bot.core.display import table

    report = list_withdrawals(existing_db(settings), settings.platforms, args.limit)
    if args.json:
        emit_json([w.as_dict() for w in report])
        return 0
    if not report:
        print("no appeal has been withdrawn")
        return 0
    rows = [
        {
            "when": local_text(w.closed_at, settings.timezone),
            "item_id": w.item_id,
            "reason": w.reason,
            "platform": p.platform,
            "state": p.state + (f" ({p.pending})" if p.pending else ""),
            "next_try": local_text(p.next_attempt_at, settings.timezone)
            if p.pending and p.next_attempt_at
            else "",
            "last_error": local_times_in(p.last_error or "", settings.timezone),
        }
        for w in report
        for p in w.platforms
    ]
    print(
        table(
            rows,
            [
                ("when", f"withdrawn ({settings.timezone.key})", 16),
                ("item_id", "appeal", 24),
                ("reason", "why", 40),
                ("platform", "platform", 8),
                ("state", "posts", 16),
                ("next_try", "next try", 16),
                ("last_error", "last error", 60),
            ],
        )
    )
    return 0


COMMANDS = [
    Command(
        "withdraw",
        "withdraw an appeal everywhere: cancel queued posts, delete published",
        withdraw,
        withdraw_arguments,
    ),
    Command(
        "withdrawals",
        "withdrawn appeals: when, why, and per platform deleted or pending with the last error",
        withdrawals,
        withdrawals_arguments,
    ),
]
