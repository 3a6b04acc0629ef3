"""``post``: send what is due now; ``check-credentials``: ask each platform who we are."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from bot.cli.command import Command, emit_json

if TYPE_CHECKING:
    from bot.core.settings import Settings


def post_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "ids",
        nargs="*",
        metavar="ID",
        help="send exactly these posts now: queue ids, or an appeal's id for its waiting posts",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="send everything queued now, ignoring slots and times (daily limits still apply)",
    )
    parser.add_argument("--json", action="store_true", help="print what was sent as JSON")


def post(settings: Settings, args: argparse.Namespace) -> int:
    import threading

    from bot.appeals.withdrawal import process_deletions
    from bot.core.clock import utcnow
    from bot.core.errors import AppealBotError
    from bot.core.watch import check_alerts_now
    from bot.runtime import start_runtime
    from bot.scheduler import install_stop_signals
    from bot.sending.due import named_posts, send_due, send_named
    from bot.sending.publishing import reconcile_stale, run_slot

    if args.ids and args.all:
        raise AppealBotError("post: give ids or --all, not both")
    stop = threading.Event()
    restore = install_stop_signals(stop)
    try:
        with start_runtime(settings) as runtime:
            db = runtime.db()
            reconcile_stale(db)
            process_deletions(db, runtime.publishers, utcnow())
            if args.ids:
                named = send_named(
                    db, runtime.publishers, runtime.settings, named_posts(db, args.ids)
                )
                if args.json:
                    emit_json([dataclasses.asdict(outcome) for outcome in named.outcomes])
                else:
                    print("\n".join(named.lines()))
                check_alerts_now(db, runtime.settings, utcnow())
                return 1 if named.not_sent else 0
            if args.all:
                report = run_slot(
                    db, runtime.publishers, runtime.settings, due_only=False, stop=stop
                )
            else:
                report = send_due(db, runtime.publishers, runtime.settings, stop=stop)
            check_alerts_now(db, runtime.settings, utcnow())
    finally:
        restore()
    if args.json:
        emit_json({**dataclasses.asdict(report), "summary": report.summary_lines()})
    else:
        print("\n".join(report.summary_lines()))
    return 1 if report.failed else 0


def json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON array")


def check_credentials(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.errors import PublishError
    from bot.runtime import start_runtime

    results = []
    with start_runtime(settings, with_feeds=False) as runtime:
        for name, publisher in runtime.publishers.items():
            mode = "live" if publisher.live else "sandbox"
            try:
                account = publisher.check_credentials()
            except PublishError as error:
                results.append(
                    {
                        "platform": name,
                        "mode": mode,
                        "working": False,
                        "account": None,
                        "error": error.message,
                        "missing": getattr(error, "missing", []),
                        "fix": getattr(error, "fix", ""),
                    }
                )
            else:
                results.append(
                    {
                        "platform": name,
                        "mode": mode,
                        "working": True,
                        "account": account,
                        "error": None,
                    }
                )
    if args.json:
        emit_json(results)
    for result in [] if args.json else results:
        if result["working"]:
            print(
                f"{result['platform']} ({result['mode']}): working, signed in as"
                f" {result['account']}"
            )
        else:
            print(f"{result['platform']} ({result['mode']}): NOT working: {result['error']}")
            if result["fix"]:
                print(f"  to fix: {result['fix']}")
    return 0 if all(result["working"] for result in results) else 1


COMMANDS = [
    Command(
        "post",
        "send what is due now by the schedule; with ids, exactly those posts",
        post,
        post_arguments,
    ),
    Command(
        "check-credentials",
        "check each platform's credentials work",
        check_credentials,
        json_argument,
    ),
]
