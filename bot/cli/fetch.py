"""``fetch``: poll the feeds now."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command, emit_json

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON array")


def fetch(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import utcnow
    from bot.core.display import shorten_url, table
    from bot.core.errors import AppealBotError
    from bot.core.watch import check_alerts_now
    from bot.polling import poll_feeds
    from bot.runtime import start_runtime

    with start_runtime(settings, with_feeds=True) as runtime:
        db = runtime.db()
        if not (runtime.settings.appeals_feed_urls or runtime.settings.news_feed_urls):
            raise AppealBotError("no feeds configured: set APPEALS_FEED_URL or NEWS_FEED_URL")
        reports = poll_feeds(db, runtime.settings, utcnow())
        check_alerts_now(db, runtime.settings, utcnow())
    rows = [r.__dict__ for r in reports]
    if args.json:
        emit_json(rows)
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
                    ("error", "error", 60),
                ],
            )
        )
    return 1 if any(r.outcome == "error" for r in reports) else 0


COMMANDS = [Command("fetch", "poll the feeds now and queue new items", fetch, arguments)]
