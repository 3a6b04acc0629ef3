"""``log``: the operators' log."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import (
    Command,
    check_paging,
    empty_page,
    existing_db,
    paging_arguments,
    stream_json,
)
from bot.core.settings import KNOWN_PLATFORMS

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument("--platform", choices=list(KNOWN_PLATFORMS), help="only this platform")
    parser.add_argument(
        "--status", help="only this outcome: sent, failed, retry, cancelled, deleted, …"
    )
    parser.add_argument("--since", help="only since: 24h, 7d, 30m or a date like 2026-11-20")
    paging_arguments(parser, 200)


def show_log(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core import events
    from bot.core.clock import local_text, local_times_in, parse_since, utcnow
    from bot.core.display import table
    from bot.core.errors import AppealBotError
    from bot.shares.stats import latest_shares

    if args.status is not None and args.status not in events.OUTCOMES:
        raise AppealBotError(f"--status {args.status!r}: use one of {', '.join(events.OUTCOMES)}")
    check_paging(args)
    now = utcnow()
    db = existing_db(settings)
    rows = events.list_events(
        db,
        platform=args.platform,
        outcome=args.status,
        since=parse_since(args.since, now, settings.timezone) if args.since else None,
        limit=args.limit,
        offset=args.offset,
    )
    # Beside each sent post: how often it has been shared so far (its latest reading).
    shares = latest_shares(db, [r["post_id"] for r in rows if r["post_id"] is not None])
    for row in rows:
        row["shares"] = shares.get(row["post_id"]) if row["outcome"] == "sent" else None
    if args.json:
        stream_json(rows, args.pretty)
        return 0
    if not rows and (line := empty_page(args)):
        print(line)
        return 0
    for row in rows:
        row["when"] = local_text(row["at"], settings.timezone)
        row["detail"] = local_times_in(row["detail"] or "", settings.timezone)
    print(
        table(
            rows,
            [
                ("when", f"time ({settings.timezone.key})", 16),
                ("platform", "platform", 8),
                ("post_id", "post", 5),
                ("action", "action", 10),
                ("outcome", "outcome", 10),
                ("shares", "shares", 6),
                ("detail", "detail", 90),
            ],
        )
    )
    return 0


COMMANDS = [
    Command(
        "log",
        "the operators' log: every send, failure, retry and deletion, newest first",
        show_log,
        arguments,
    )
]
