"""``metrics``: read share counts now; ``stats``: how far each appeal travelled."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from bot.cli.command import (
    Command,
    check_paging,
    emit_json,
    empty_page,
    existing_db,
    paging_arguments,
    stream_json_object,
)

if TYPE_CHECKING:
    import sqlite_utils

    from bot.core.settings import Settings


def metrics_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--all",
        action="store_true",
        help="read every sent post now, due or not (read limits still apply)",
    )
    parser.add_argument("--json", action="store_true", help="print what was read as JSON")


def metrics(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import utcnow
    from bot.core.errors import AppealBotError
    from bot.runtime import start_runtime
    from bot.shares.metrics import poll_metrics

    with start_runtime(settings, with_feeds=False) as runtime:
        if runtime.sandbox is not None and not runtime.sandbox.joined:
            # Fresh fakes know no post: every reading would wrongly say "deleted remotely".
            raise AppealBotError(
                "metrics: no sandbox is running (start `run_bot.py run` first); the sandbox's"
                " X and Facebook live as long as the process serving them, and `run` and `demo`"
                " take readings as they go"
            )
        report = poll_metrics(
            runtime.db(), runtime.publishers, runtime.settings, utcnow(), everything=args.all
        )
    if args.json:
        emit_json({**dataclasses.asdict(report), "summary": report.summary()})
    else:
        print(report.summary())
    return 1 if report.stopped else 0


def stats_arguments(parser: argparse.ArgumentParser) -> None:
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON")
    output.add_argument("--csv", action="store_true", help="print CSV, one line per appeal")
    output.add_argument(
        "--plot", metavar="FILE.png", help="draw shares over time into a PNG file instead"
    )
    parser.add_argument("--appeal", metavar="ID", help="only this appeal (table and plot)")
    parser.add_argument(
        "--top", type=int, default=5, metavar="N", help="the top N appeals (default 5)"
    )
    parser.add_argument(
        "--weekly", action="store_true", help="with --plot: shares gained per week, a bar chart"
    )
    paging_arguments(parser, None)


def stats(settings: Settings, args: argparse.Namespace) -> int:
    import sys

    from bot.core.clock import utcnow
    from bot.shares.stats import json_rows, report_csv, report_head, stats_report, stats_text

    check_paging(args)
    now = utcnow()
    db = existing_db(settings)
    if args.appeal is not None:
        _require_item(db, args.appeal)
    if args.plot:
        from bot.shares.plots import write_plot

        path = write_plot(
            db, settings, now, args.plot, appeal=args.appeal, top=args.top, weekly=args.weekly
        )
        print(f"wrote {path}")
        return 0
    report = stats_report(
        db, now, top=args.top, item_id=args.appeal, limit=args.limit, offset=args.offset
    )
    if args.json:
        stream_json_object(report_head(report), "appeals", json_rows(report), args.pretty)
    elif args.csv:
        sys.stdout.write(report_csv(report))
    elif not report.appeals and (line := empty_page(args)):
        print(line)
    else:
        print(stats_text(report, settings.timezone))
    return 0


def _require_item(db: sqlite_utils.Database, item_id: str) -> None:
    """An unknown id is a typo, not an appeal with no shares: say so, as ``--plot`` does."""
    from bot.core.errors import NotFound

    if not db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone():
        raise NotFound(f"no appeal or news item {item_id} (see `queue --all`)")


COMMANDS = [
    Command(
        "metrics",
        "read the share counts that are due now (--all: every sent post)",
        metrics,
        metrics_arguments,
    ),
    Command(
        "stats",
        "shares per appeal and platform, the week's top appeals; --json, --csv or --plot a PNG",
        stats,
        stats_arguments,
    ),
]
