"""``withdraw``: take an appeal down everywhere; ``withdrawals``: what was taken down."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import (
    Command,
    check_paging,
    emit_json,
    empty_page,
    existing_db,
    paging_arguments,
    stream_json,
)

if TYPE_CHECKING:
    from bot.core.settings import Settings


def withdraw_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "item_id", metavar="APPEAL_ID", help="the appeal's id (the `appeal` column of `queue`)"
    )
    parser.add_argument("--reason", required=True, help="why, e.g. 'found safe and well'")
    parser.add_argument(
        "--found",
        action="store_true",
        help="the person was found: also queue the FOUND_THANKS update if it is on",
    )
    parser.add_argument("--json", action="store_true", help="print what was done as JSON")


def withdraw(settings: Settings, args: argparse.Namespace) -> int:
    from bot.appeals.lifecycle import close_appeal
    from bot.appeals.withdrawal import process_deletions
    from bot.core.clock import local_text, utcnow
    from bot.core.display import plural
    from bot.core.errors import AppealBotError, NotFound
    from bot.runtime import start_runtime

    if not args.reason.strip():
        raise AppealBotError(
            "--reason: say why, e.g. 'found safe and well'; it goes in the operators' log"
        )
    now = utcnow()
    db = existing_db(settings)
    before = db.execute(
        "SELECT closed_at, close_reason, title FROM items WHERE id = ?", [args.item_id]
    ).fetchone()
    if before is None:
        raise NotFound(f"no appeal or news item {args.item_id} (see the appeal column of `queue`)")
    closed_at, closed_why, title = before
    with start_runtime(settings, with_feeds=False) as runtime:
        db = runtime.db()
        closure = close_appeal(
            db, runtime.settings, args.item_id, args.reason, now, found=args.found
        )
        deleted = process_deletions(db, runtime.publishers, now)
        pending = db.execute(
            "SELECT COUNT(*) FROM posts WHERE item_id = ? AND status = 'deleting'", [args.item_id]
        ).fetchone()[0]
    if args.json:
        emit_json(
            {
                "item_id": args.item_id,
                "title": title,
                "already_withdrawn_at": closed_at,
                "already_withdrawn_reason": closed_why,
                "affected": closure.affected,
                "deleted_now": deleted,
                "pending": pending,
                "thanks": closure.thanks,
            }
        )
        return 0
    if closed_at and not (closure.affected or deleted or pending):
        when = local_text(closed_at, settings.timezone)
        print(
            f"{args.item_id} ({title}) was already withdrawn on {when} {settings.timezone.key}"
            f" ({closed_why}); nothing more to take down"
        )
        return 0
    print(
        f"withdrew {args.item_id} ({title}): {plural(closure.affected, 'post')} taken down or"
        f" cancelled, {deleted} deleted now"
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
    paging_arguments(parser, 200)


def withdrawals(settings: Settings, args: argparse.Namespace) -> int:
    from bot.appeals.withdrawal import list_withdrawals
    from bot.core.clock import local_text, local_times_in
    from bot.core.display import table

    check_paging(args)
    report = list_withdrawals(existing_db(settings), settings.platforms, args.limit, args.offset)
    if args.json:
        stream_json((w.as_dict() for w in report), args.pretty)
        return 0
    if not report:
        print(empty_page(args) or "no appeal has been withdrawn")
        return 0
    rows = [
        {
            "when": local_text(w.closed_at, settings.timezone),
            "item_id": w.item_id,
            "title": w.title,
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
                ("title", "title", 30),
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
