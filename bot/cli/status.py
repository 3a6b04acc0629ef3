"""``status``: feeds and platforms at a glance."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command, emit_json, existing_db

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def status(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import local_text, utcnow
    from bot.core.display import shorten_url, table
    from bot.status import gather_status

    now = utcnow()
    found = gather_status(existing_db(settings), settings, now)
    if args.json:
        emit_json(found)
        return 0
    zone = settings.timezone
    print("Feeds")
    if not found["feeds"]:
        print("  none polled yet")
    else:
        for feed in found["feeds"]:
            feed["polled"] = local_text(feed["last_polled_at"], zone)
            feed["url"] = shorten_url(feed["url"], 60)
        print(
            table(
                found["feeds"],
                [
                    ("kind", "kind", 6),
                    ("url", "feed", 60),
                    ("polled", "last poll", 16),
                    ("entries", "entries", 7),
                    ("last_error", "last error", 60),
                ],
            )
        )
        for feed in found["feeds"]:
            if feed["notice"]:
                print(f"  note: {feed['url']} {feed['notice']}")
    print("\nPlatforms")
    for row in found["platforms"]:
        row["enabled_text"] = "yes" if row["enabled"] else "no"
        row["paused_text"] = (
            f"NOT READY: {row['not_ready']}"
            if row["not_ready"]
            else f"PAUSED: {row['paused_reason']}"
            if row["paused"]
            else (
                f"rate limited until {local_text(row['rate_limited_until'], zone)}"
                if row["rate_limited_until"]
                else "ok"
            )
        )
        if row["reads_limited_until"]:
            until = local_text(row["reads_limited_until"], zone)
            row["paused_text"] += f"; share counts wait until {until}"
        row["budget"] = f"{row['sent_last_24h']}/{row['daily_limit']}"
        row["success"] = local_text(row["last_success_at"], zone)
        row["error"] = (
            f"{local_text(row['last_error_at'], zone)} {row['last_error']}"
            if row["last_error"]
            else "-"
        )
    print(
        table(
            found["platforms"],
            [
                ("platform", "platform", 8),
                ("enabled_text", "enabled", 7),
                ("mode", "mode", 7),
                ("paused_text", "state", 50),
                ("budget", "sent 24h", 8),
                ("queued", "queued", 6),
                ("success", "last success", 16),
                ("error", "last error", 60),
            ],
        )
    )
    if found["sandbox"]:
        print(f"\nSandbox (practice servers on 127.0.0.1) for {found['sandbox']['database']}")
        for server in found["sandbox"]["servers"]:
            print(f"  {server['kind']:<12} port {server['port']}: {SERVING[server['serving']]}")
    return 0


SERVING = {
    "this database": "serving this database",
    "another database": "held by another database's sandbox: each process on this database"
    " runs its own fake there, on another port (the log says which)",
    "nothing": "not running (the daemon or the dashboard starts it)",
}


COMMANDS = [
    Command(
        "status", "feeds (last poll, last error) and platforms (health, budget)", status, arguments
    )
]
