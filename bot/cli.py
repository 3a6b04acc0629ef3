"""The command line: ``python run_bot.py COMMAND``. Each command parses its arguments and calls
the library; errors are one line on stderr and a non-zero exit code (2 for bad settings)."""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from bot.appeals.withdrawal import list_withdrawals, process_deletions
from bot.core import events
from bot.core.clock import local_text, local_times_in, parse_local_time, parse_since, utcnow
from bot.core.db import BUSY_TIMEOUT_MS, is_busy
from bot.core.display import plural, table
from bot.core.errors import AppealBotError, ConfigError, NotFound, PublishError
from bot.core.logs import configure_logging
from bot.core.settings import Settings, check_port, load_settings
from bot.polling import poll_feeds
from bot.posts.manual import ManualPost, add_manual
from bot.posts.queue import list_posts
from bot.posts.slots import goes_out
from bot.posts.states import PostStatus
from bot.runtime import start_runtime
from bot.scheduler import Daemon, install_stop_signals
from bot.sending.publishing import reconcile_stale, run_slot
from bot.shares.stats import latest_shares
from bot.status import gather_status

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger("appeal_bot")


# --- argument helpers ------------------------------------------------------------------------
def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


# --- commands --------------------------------------------------------------------------------
def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    stop = threading.Event()
    restore = install_stop_signals(stop)
    try:
        with start_runtime(settings) as runtime:
            if runtime.sandbox:
                log.info(
                    "sandbox mode: X at %s, Facebook at %s",
                    runtime.settings.x_api_base_url,
                    runtime.settings.facebook_graph_url,
                )
            Daemon(runtime.settings, runtime.publishers, stop=stop).run()
    finally:
        restore()
    return 0


def cmd_fetch(settings: Settings, args: argparse.Namespace) -> int:
    with start_runtime(settings, with_feeds=True) as runtime:
        db = runtime.db()
        if not (runtime.settings.appeals_feed_urls or runtime.settings.news_feed_urls):
            raise AppealBotError("no feeds configured: set APPEALS_FEED_URL or NEWS_FEED_URL")
        reports = poll_feeds(db, runtime.settings, utcnow())
    rows = [r.__dict__ for r in reports]
    if args.json:
        emit_json(rows)
    else:
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


def cmd_post(settings: Settings, args: argparse.Namespace) -> int:
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


def _queue_rows(settings: Settings, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = utcnow()
    for row in rows:
        row["when"] = local_text(row["scheduled_at"], settings.timezone)
        row["goes_out"] = goes_out(row, settings.post_slots, settings.timezone, now)
        row["page"] = row["target"] or ("main" if row["platform"] == "facebook" else "")
    return rows


def cmd_queue(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db

    statuses = tuple(s.strip() for s in (args.status or "").split(",") if s.strip()) or None
    for status in statuses or ():
        if status not in set(PostStatus):
            raise AppealBotError(
                f"--status {status!r}: use {', '.join(PostStatus)} (comma-separated)"
            )
    if statuses is None and not args.everything:
        statuses = ("draft", "queued", "sending", "failed", "deleting")
    rows = _queue_rows(
        settings, list_posts(open_db(settings.database_path), statuses, args.platform)
    )
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("the queue is empty")
        return 0
    print(
        table(
            rows,
            [
                ("id", "id", 6),
                ("status", "status", 9),
                ("platform", "platform", 8),
                ("page", "page", 10),
                ("kind", "kind", 6),
                ("goes_out", f"goes out, earliest ({settings.timezone.key})", 22),
                ("attempts", "tries", 5),
                ("text", "text", 70),
                ("last_error", "last error", 40),
            ],
        )
    )
    return 0


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db

    now = utcnow()
    platforms = tuple(p.strip() for p in args.platforms.split(",")) if args.platforms else None
    for platform in platforms or ():
        if platform not in settings.platforms:
            raise AppealBotError(
                f"--platforms: {platform!r} is not enabled"
                f" (PLATFORMS={','.join(settings.platforms)})"
            )
    post = ManualPost(
        kind=args.kind,
        title=args.title,
        text=args.text or "",
        link=args.link,
        image_url=args.image,
        image_alt=args.alt,
        platforms=platforms,
        at=parse_local_time(args.at, settings.timezone, now) if args.at else None,
        urgent=args.urgent,
        region=args.region,
    )
    try:
        item_id, ids = add_manual(open_db(settings.database_path), settings, post, now)
    except ValueError as error:
        raise AppealBotError(str(error)) from None
    print(f"queued {item_id} as queue entries {', '.join(map(str, ids))}")
    if post.at is not None and post.at < now:
        print(f"note: {args.at} is in the past: it goes out in the next slot")
    if post.image_url and not post.image_alt:
        print("note: no --alt: screen readers will hear the title as the photo's description")
    return 0


def cmd_log(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db

    if args.status is not None and args.status not in events.OUTCOMES:
        raise AppealBotError(f"--status {args.status!r}: use one of {', '.join(events.OUTCOMES)}")
    now = utcnow()
    db = open_db(settings.database_path)
    rows = events.list_events(
        db,
        platform=args.platform,
        outcome=args.status,
        since=parse_since(args.since, now, settings.timezone) if args.since else None,
        limit=args.limit,
    )
    # Beside each sent post: how often it has been shared so far (its latest reading).
    shares = latest_shares(db, [r["post_id"] for r in rows if r["post_id"] is not None])
    for row in rows:
        row["shares"] = shares.get(row["post_id"]) if row["outcome"] == "sent" else None
    if args.json:
        emit_json(rows)
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


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db

    now = utcnow()
    status = gather_status(open_db(settings.database_path), settings, now)
    if args.json:
        emit_json(status)
        return 0
    zone = settings.timezone
    print("Feeds")
    if not status["feeds"]:
        print("  none polled yet")
    else:
        for feed in status["feeds"]:
            feed["polled"] = local_text(feed["last_polled_at"], zone)
        print(
            table(
                status["feeds"],
                [
                    ("kind", "kind", 6),
                    ("url", "feed", 60),
                    ("polled", "last poll", 16),
                    ("entries", "entries", 7),
                    ("last_error", "last error", 60),
                ],
            )
        )
    print("\nPlatforms")
    for row in status["platforms"]:
        row["enabled_text"] = "yes" if row["enabled"] else "no"
        row["paused_text"] = (
            f"PAUSED: {row['paused_reason']}"
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
            status["platforms"],
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
    return 0


def cmd_check_credentials(settings: Settings, args: argparse.Namespace) -> int:
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


def cmd_withdraw(settings: Settings, args: argparse.Namespace) -> int:
    from bot.appeals.lifecycle import close_appeal

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
    if thanks:
        return f"thank-you update queued ({plural(len(thanks), 'post')})"
    if not settings.found_thanks:
        return "no thank-you update: FOUND_THANKS is off"
    return "no thank-you update: the appeal was never published, or was thanked already"


def cmd_withdrawals(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db

    report = list_withdrawals(open_db(settings.database_path), settings.platforms, args.limit)
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


def cmd_approve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db
    from bot.posts.approval import approve

    ids = approve(open_db(settings.database_path), args.id, utcnow())
    print(f"approved queue entries {', '.join(map(str, ids))}: they go out in the next slot")
    return 0


def cmd_edit(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db
    from bot.posts.approval import edit

    ids = edit(open_db(settings.database_path), args.id, args.text, utcnow())
    print(f"edited queue entries {', '.join(map(str, ids))}")
    return 0


def cmd_reject(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db
    from bot.posts.approval import reject

    ids = reject(open_db(settings.database_path), args.id, args.reason, utcnow())
    print(f"rejected queue entries {', '.join(map(str, ids))}: they will not be posted")
    return 0


def cmd_retry(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db
    from bot.posts.approval import retry

    ids = retry(open_db(settings.database_path), args.id, utcnow())
    print(f"queued again: {', '.join(map(str, ids))}; they go out in the next slot")
    return 0


def cmd_metrics(settings: Settings, args: argparse.Namespace) -> int:
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
    print(report.summary())
    return 1 if report.stopped else 0


def cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db
    from bot.shares.stats import report_csv, report_json, stats_report, stats_text

    now = utcnow()
    db = open_db(settings.database_path)
    if args.appeal is not None:
        _require_item(db, args.appeal)
    if args.plot:
        from bot.shares.plots import write_plot

        path = write_plot(
            db, settings, now, args.plot, appeal=args.appeal, top=args.top, weekly=args.weekly
        )
        print(f"wrote {path}")
        return 0
    report = stats_report(db, now, top=args.top, item_id=args.appeal)
    if args.json:
        emit_json(report_json(report))
    elif args.csv:
        sys.stdout.write(report_csv(report))
    else:
        print(stats_text(report, settings.timezone))
    return 0


def _require_item(db: sqlite_utils.Database, item_id: str) -> None:
    """An unknown id is a typo, not an appeal with no shares: say so, as ``--plot`` does."""
    if not db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone():
        raise NotFound(f"no appeal or news item {item_id} (see `queue --all`)")


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(settings, output=args.output)


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    from bot.web.serve import serve

    if args.port is not None:
        check_port("--port", args.port)
    return serve(settings, host=args.host, port=args.port, behind_proxy=args.proxy)


def _read_password(args: argparse.Namespace) -> str:
    """From stdin with --password-stdin (for scripts), else typed twice at a hidden prompt."""
    import getpass

    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    try:
        first = getpass.getpass("Password: ")
        again = getpass.getpass("Password again: ")
    except EOFError:
        raise AppealBotError("no password typed; nothing changed") from None
    if again != first:
        raise AppealBotError("the two passwords differ; nothing changed")
    return first


def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.db import open_db
    from bot.web import users

    db = open_db(settings.database_path)
    if args.action == "add":
        user = users.add_user(db, args.name, args.role, _read_password(args), utcnow())
        print(f"added {user.name} ({user.role})")
    elif args.action == "passwd":
        users.set_password(db, args.name, _read_password(args))
        print(f"password of {args.name} changed; their dashboard sessions are signed out")
    elif args.action == "remove":
        users.remove_user(db, args.name)
        print(f"removed {args.name}")
    else:
        rows = [
            {
                "name": u.name,
                "role": u.role,
                "created": local_text(u.created_at, settings.timezone),
                "last_login": local_text(u.last_login_at, settings.timezone),
            }
            for u in users.list_users(db)
        ]
        if not rows:
            print("no users yet: add one with `run_bot.py users add NAME --role comms`")
            return 0
        print(
            table(
                rows,
                [
                    ("name", "name", 40),
                    ("role", "role", 6),
                    ("created", "created", 16),
                    ("last_login", "last sign-in", 16),
                ],
            )
        )
    return 0


COMMANDS: dict[str, tuple[Callable[[Settings, argparse.Namespace], int], str]] = {
    "run": (cmd_run, "run the daemon: poll feeds, post at the slots, delete withdrawn appeals"),
    "fetch": (cmd_fetch, "poll the feeds now and queue new items"),
    "post": (cmd_post, "send the posts that are due now"),
    "queue": (cmd_queue, "list the queue"),
    "add": (cmd_add, "queue an appeal or news post by hand"),
    "log": (cmd_log, "the operators' log: every send, failure, retry and deletion, newest first"),
    "status": (cmd_status, "feeds (last poll, last error) and platforms (health, budget)"),
    "check-credentials": (cmd_check_credentials, "check each platform's credentials work"),
    "withdraw": (
        cmd_withdraw,
        "withdraw an appeal everywhere: cancel queued posts, delete published",
    ),
    "withdrawals": (
        cmd_withdrawals,
        "withdrawn appeals: when, why, and per platform deleted or pending with the last error",
    ),
    "approve": (cmd_approve, "approve a draft post (or all of an item's drafts) for posting"),
    "edit": (cmd_edit, "change the text of a draft or queued post before it goes out"),
    "reject": (cmd_reject, "drop a draft or queued post: it will not be posted"),
    "retry": (cmd_retry, "queue a failed post again (after `edit`, or once the fault is fixed)"),
    "demo": (cmd_demo, "run the sandbox demonstration end to end"),
    "metrics": (cmd_metrics, "read the share counts that are due now (--all: every sent post)"),
    "stats": (
        cmd_stats,
        "shares per appeal and platform, the week's top appeals; --json, --csv or --plot a PNG",
    ),
    "web": (cmd_web, "serve the comms team's dashboard (waitress) on WEB_HOST:WEB_PORT"),
    "users": (cmd_users, "dashboard accounts: users add|list|remove|passwd"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other error of the bot."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="run_bot.py",
        description="appeal-bot: share a missing-persons charity's appeals on X and Facebook.",
    )
    parser.add_argument(
        "--env-file", help="settings file to read (default .env, if there is one); must exist"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers = {
        name: sub.add_parser(name, help=text, description=text)
        for name, (_, text) in COMMANDS.items()
    }

    parsers["fetch"].add_argument("--json", action="store_true", help="print a JSON array")
    parsers["post"].add_argument(
        "--all",
        action="store_true",
        help="send everything queued now, ignoring slots and times (daily limits still apply)",
    )
    q = parsers["queue"]
    q.add_argument("--json", action="store_true", help="print a JSON array")
    q.add_argument("--status", help="only these statuses, comma-separated (queued,sent,failed,…)")
    q.add_argument("--platform", choices=["x", "facebook"], help="only this platform")
    q.add_argument(
        "--all",
        dest="everything",
        action="store_true",
        help="include sent, cancelled and deleted posts",
    )
    a = parsers["add"]
    a.add_argument(
        "--kind", choices=["appeal", "news"], default="appeal", help="appeal (default) or news"
    )
    a.add_argument(
        "--title", required=True, help="headline, e.g. 'Sam Jones, 15, missing from Leeds'"
    )
    a.add_argument("--text", help="the fuller text (shortened for X as needed)")
    a.add_argument("--link", help="link to the appeal page")
    a.add_argument("--image", help="photo URL")
    a.add_argument("--alt", help="alt text of the photo (default: 'Photo of <title>')")
    a.add_argument("--platforms", help="comma-separated, default: all of PLATFORMS")
    a.add_argument(
        "--at", help="when to post: 14:00 or '2026-11-25 14:00' in TIMEZONE (default: next slot)"
    )
    a.add_argument("--urgent", action="store_true", help="urgent appeal: goes first")
    a.add_argument("--region", help="region, for regional hashtags and Facebook pages")
    lg = parsers["log"]
    lg.add_argument("--json", action="store_true", help="print a JSON array")
    lg.add_argument("--platform", choices=["x", "facebook"], help="only this platform")
    lg.add_argument(
        "--status", help="only this outcome: sent, failed, retry, cancelled, deleted, …"
    )
    lg.add_argument("--since", help="only since: 24h, 7d, 30m or a date like 2026-11-20")
    lg.add_argument("--limit", type=int, default=200, help="at most this many rows (default 200)")
    parsers["status"].add_argument("--json", action="store_true", help="print JSON")
    w = parsers["withdraw"]
    w.add_argument("item_id", metavar="APPEAL_ID", help="the appeal's id (see `queue`)")
    w.add_argument("--reason", required=True, help="why, e.g. 'found safe and well'")
    w.add_argument(
        "--found",
        action="store_true",
        help="the person was found: also queue the FOUND_THANKS update if it is on",
    )
    wl = parsers["withdrawals"]
    wl.add_argument("--json", action="store_true", help="print a JSON array")
    wl.add_argument("--limit", type=int, default=200, help="at most this many appeals")
    for name in ("approve", "edit", "reject", "retry"):
        parsers[name].add_argument(
            "id", metavar="ID", help="a queue id (see `queue`), or an item id for all its posts"
        )
    parsers["edit"].add_argument("--text", required=True, help="the new text of the post")
    parsers["reject"].add_argument(
        "--reason", default="rejected by the comms team", help="why, for the log"
    )
    parsers["demo"].add_argument(
        "--output", default="demo-output", help="folder for the demo's database and files"
    )
    parsers["metrics"].add_argument(
        "--all",
        action="store_true",
        help="read every sent post now, due or not (read limits still apply)",
    )
    st = parsers["stats"]
    st_format = st.add_mutually_exclusive_group()
    st_format.add_argument("--json", action="store_true", help="print JSON")
    st_format.add_argument("--csv", action="store_true", help="print CSV, one line per appeal")
    st_format.add_argument(
        "--plot", metavar="FILE.png", help="draw shares over time into a PNG file instead"
    )
    st.add_argument("--appeal", metavar="ID", help="only this appeal (table and plot)")
    st.add_argument("--top", type=int, default=5, metavar="N", help="the top N appeals (default 5)")
    st.add_argument(
        "--weekly", action="store_true", help="with --plot: shares gained per week, a bar chart"
    )
    wb = parsers["web"]
    wb.add_argument("--host", help="address to listen on (default WEB_HOST, 127.0.0.1)")
    wb.add_argument("--port", type=int, help="port to listen on (default WEB_PORT, 8080)")
    wb.add_argument(
        "--proxy",
        action="store_true",
        help="behind one reverse proxy: trust its X-Forwarded-For/Proto/Host/Prefix headers",
    )
    us = parsers["users"].add_subparsers(dest="action", metavar="ACTION", required=True)
    ua = us.add_parser("add", help="add a user (password asked at a prompt)")
    ua.add_argument("name", metavar="NAME", help="user name")
    ua.add_argument(
        "--role",
        choices=["comms", "viewer"],
        required=True,
        help="comms: queue, approve, edit, withdraw; viewer: read only",
    )
    us.add_parser("list", help="list users and their roles")
    ur = us.add_parser("remove", help="remove a user and end their sessions")
    ur.add_argument("name", metavar="NAME", help="user name")
    up = us.add_parser("passwd", help="change a user's password and end their sessions")
    up.add_argument("name", metavar="NAME", help="user name")
    for sp in (ua, up):
        sp.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of stdin instead of a prompt",
        )
    return parser


def _env_file(given: str | None) -> str:
    """The default ``.env`` is optional, but a file named with --env-file must be there: a typo
    would otherwise run the bot on defaults (the sandbox, the wrong database) without a word."""
    if given is None:
        return ".env"
    if not Path(given).exists():
        raise ConfigError("--env-file", f"{given} does not exist")
    if Path(given).is_dir():
        raise ConfigError("--env-file", f"{given} is a folder, not a settings file")
    return given


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, or a usage error already said in one line
        return done.code if isinstance(done.code, int) else 2
    command = args.command or "run"
    try:
        settings = load_settings(env_file=_env_file(args.env_file))
        configure_logging(settings.log_level, settings.secrets())
        handler = COMMANDS[command][0]
        return handler(settings, args)
    except AppealBotError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except sqlite3.OperationalError as error:
        if is_busy(error):
            print(
                "error: the database is locked by another process"
                f" (waited {BUSY_TIMEOUT_MS // 1000} s); try again",
                file=sys.stderr,
            )
        else:
            print(f"error: database: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
