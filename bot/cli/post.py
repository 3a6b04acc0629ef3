"""``post``: send what is due now; ``check-credentials``: ask each platform who we are."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command

if TYPE_CHECKING:
    from bot.core.settings import Settings


def post_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--all",
        action="store_true",
        help="send everything queued now, ignoring slots and times (daily limits still apply)",
    )


def post(settings: Settings, args: argparse.Namespace) -> int:
    import threading

    from bot.appeals.withdrawal import process_deletions
    from bot.core.clock import utcnow
    from bot.runtime import start_runtime
    from bot.scheduler import install_stop_signals
    from bot.sending.publishing import reconcile_stale, run_slot

    stop = threading.Event()
    restore = install_stop_signals(stop)
    try:
        with start_runtime(settings) as runtime:
            db = runtime.db()
            reconcile_stale(db)
            process_deletions(db, runtime.publishers, utcnow())
            limit = None if args.all else runtime.settings.posts_per_slot
            report = run_slot(
                db,
                runtime.publishers,
                runtime.settings,
                limit=limit,
                due_only=not args.all,
                stop=stop,
            )
    finally:
        restore()
    print("\n".join(report.summary_lines()))
    return 1 if report.failed else 0


def check_credentials(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.errors import PublishError
    from bot.runtime import start_runtime

    failures = 0
    with start_runtime(settings, with_feeds=False) as runtime:
        for name, publisher in runtime.publishers.items():
            mode = "live" if publisher.live else "sandbox"
            try:
                account = publisher.check_credentials()
            except PublishError as error:
                failures += 1
                print(f"{name} ({mode}): NOT working: {error.message}")
            else:
                print(f"{name} ({mode}): working, signed in as {account}")
    return 1 if failures else 0


COMMANDS = [
    Command("post", "send the posts that are due now", post, post_arguments),
    Command("check-credentials", "check each platform's credentials work", check_credentials),
]
