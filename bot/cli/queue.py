"""``queue``: list the posts; ``add``: queue an appeal or news post by hand."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

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
    from sqlite_utils import Database

    from bot.core.settings import Settings


def queue_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument(
        "--status", help="only these statuses, comma-separated (queued,sent,failed,…)"
    )
    parser.add_argument("--platform", choices=list(KNOWN_PLATFORMS), help="only this platform")
    parser.add_argument(
        "--all",
        dest="everything",
        action="store_true",
        help="include sent, cancelled and deleted posts",
    )
    paging_arguments(parser, None)


def _queue_rows(
    db: Database, settings: Settings, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    from bot.core.clock import local_text, utcnow
    from bot.sending.plan import current_plan, goes_out
    from bot.sending.publishing import SENT_WITHOUT_PHOTO

    now = utcnow()
    placements = current_plan(db, settings, now)
    for row in rows:
        row["when"] = local_text(row["scheduled_at"], settings.timezone)
        row.update(goes_out(row, placements, settings.timezone, now))
        row["page"] = row["target"] or ("main" if row["platform"] == "facebook" else "")
        row["note"] = row["last_error"] or (
            f"{SENT_WITHOUT_PHOTO}: {row['degraded']}" if row.get("degraded") else None
        )
        if row.get("photo_problem") and row["status"] in ("draft", "queued"):
            row["note"] = f"photo will not go: {row['photo_problem']}"
    return rows


def queue(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.display import table
    from bot.core.errors import AppealBotError
    from bot.posts.queue import list_posts
    from bot.posts.states import PostStatus

    statuses = tuple(s.strip() for s in (args.status or "").split(",") if s.strip()) or None
    for status in statuses or ():
        if status not in set(PostStatus):
            raise AppealBotError(
                f"--status {status!r}: use {', '.join(PostStatus)} (comma-separated)"
            )
    if statuses is None and not args.everything:
        statuses = ("draft", "queued", "sending", "failed", "deleting")
    check_paging(args)
    db = existing_db(settings)
    found = list_posts(db, statuses, args.platform, limit=args.limit, offset=args.offset)
    rows = _queue_rows(db, settings, found)
    if args.json:
        stream_json(rows, args.pretty)
        return 0
    if not rows:
        print(empty_page(args) or "the queue is empty")
        return 0
    print(
        table(
            rows,
            [
                ("id", "id", 6),
                ("item_id", "appeal", 24),
                ("title", "title", 30),
                ("status", "status", 9),
                ("platform", "platform", 8),
                ("page", "page", 10),
                ("kind", "kind", 6),
                ("goes_out_text", f"goes out ({settings.timezone.key})", 34),
                ("attempts", "tries", 5),
                ("text", "text", 70),
                ("note", "last error or note", 40),
            ],
        )
    )
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kind", choices=["appeal", "news"], default="appeal", help="appeal (default) or news"
    )
    parser.add_argument(
        "--title", required=True, help="headline, e.g. 'Sam Jones, 15, missing from Leeds'"
    )
    parser.add_argument("--text", help="the fuller text (shortened for X as needed)")
    parser.add_argument("--link", help="link to the appeal page")
    parser.add_argument("--image", help="photo URL")
    parser.add_argument("--alt", help="alt text of the photo (default: 'Photo of <title>')")
    parser.add_argument("--platforms", help="comma-separated, default: all of PLATFORMS")
    parser.add_argument(
        "--at",
        help="pin to this minute: 14:00 or '2026-11-25 14:00' in TIMEZONE, outside the slots"
        " (default: the next slot with room)",
    )
    parser.add_argument("--urgent", action="store_true", help="urgent appeal: goes first")
    parser.add_argument("--region", help="region, for regional hashtags and Facebook pages")
    card = parser.add_argument_group(
        "appeal card facts", "shown on the appeal's card; default: read from the title and text"
    )
    card.add_argument("--name", help="the person's name")
    card.add_argument("--age", help="their age")
    card.add_argument("--last-seen", help="where they were last seen")
    card.add_argument("--last-seen-date", help="when they were last seen")
    card.add_argument("--description", help="height, build, clothing")
    card.add_argument("--reference", help="case reference")


def add(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import parse_local_time, utcnow
    from bot.core.db import open_db
    from bot.core.errors import AppealBotError
    from bot.core.settings import KNOWN_PLATFORMS
    from bot.posts.manual import ManualPost, add_manual, add_warnings
    from bot.sending.plan import planned_lines

    now = utcnow()
    platforms = tuple(p.strip() for p in args.platforms.split(",")) if args.platforms else None
    for platform in platforms or ():
        if platform not in KNOWN_PLATFORMS:
            raise AppealBotError(
                f"--platforms: {platform!r} is not a platform name; use"
                f" {', '.join(KNOWN_PLATFORMS)}"
            )
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
        facts={
            "name": args.name,
            "age": args.age,
            "place": args.last_seen,
            "when": args.last_seen_date,
            "description": args.description,
            "reference": args.reference,
        },
    )
    db = open_db(settings.database_path)
    try:
        item_id, ids = add_manual(db, settings, post, now)
    except ValueError as error:
        raise AppealBotError(str(error)) from None
    print(f"queued {item_id} as queue entries {', '.join(map(str, ids))}")
    print("\n".join(planned_lines(db, settings, ids, now)))
    # The dashboard's warnings, in the same words (the daemon checks the photo within minutes).
    for warning in add_warnings(post, now):
        print(f"note: {warning}")
    return 0


COMMANDS = [
    Command("queue", "list the queue", queue, queue_arguments),
    Command("add", "queue an appeal or news post by hand", add, add_arguments),
]
