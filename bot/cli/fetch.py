"""``fetch``: poll the feeds now."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command, emit_json

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be queued, storing nothing (the feeds are still fetched)",
    )


def fetch(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import utcnow
    from bot.core.display import shorten_url, table
    from bot.core.errors import AppealBotError
    from bot.core.watch import check_alerts_now
    from bot.polling import WouldQueue, poll_feeds, preview_poll
    from bot.runtime import start_runtime

    with start_runtime(settings, with_feeds=True) as runtime:
        db = runtime.db()
        if not (runtime.settings.appeals_feed_urls or runtime.settings.news_feed_urls):
            raise AppealBotError("no feeds configured: set APPEALS_FEED_URL or NEWS_FEED_URL")
        would: list[WouldQueue] = []
        if args.dry_run:
            reports, would = preview_poll(db, runtime.settings, utcnow())
        else:
            reports = poll_feeds(db, runtime.settings, utcnow())
            check_alerts_now(db, runtime.settings, utcnow())
    rows = [r.__dict__ for r in reports]
    if args.json:
        emit_json(
            {"feeds": rows, "would_queue": [w.__dict__ for w in would]} if args.dry_run else rows
        )
    else:
        rows = [{**row, "url": shorten_url(row["url"], 60)} for row in rows]
        print(
            table(
                rows,
                [
                    ("kind", "kind", 6),
                    ("url", "feed", 60),
                    ("outcome", "outcome", 12),
                    ("new", "new", 4),
                    ("updated", "updated", 7),
                    ("closed", "closed", 6),
                    ("old", "old", 4),
                    ("error", "error", 60),
                ],
            )
        )
        for row in rows:
            if row["notice"]:
                print(f"note: {row['url']} {row['notice']}")
        if args.dry_run:
            print(f"\nDry run: nothing was stored. Would queue {len(would)} post(s):")
            for post in would:
                print(f"  {post.platform:<9} {post.status:<7} {post.title}  [{post.item_id}]")
    return 1 if any(r.outcome == "error" for r in reports) else 0


COMMANDS = [Command("fetch", "poll the feeds now and queue new items", fetch, arguments)]
