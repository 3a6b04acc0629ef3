"""Posts the comms team adds by hand (``run_bot.py add``): they become items like feed entries,
so they share the queue, the slots, the log and withdrawal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.core import events
from bot.core.settings import Settings
from bot.feeds.items import Item, Kind
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item


@dataclass(frozen=True)
class ManualPost:
    kind: Kind
    title: str
    text: str = ""
    link: str | None = None
    image_url: str | None = None
    image_alt: str | None = None
    platforms: tuple[str, ...] | None = None
    at: datetime | None = None
    urgent: bool = False
    region: str | None = None


def add_manual(
    db: sqlite_utils.Database, settings: Settings, post: ManualPost, now: datetime
) -> tuple[str, list[int]]:
    """Store the post as an item and queue it. Returns the item id and the queue ids."""
    if not post.title.strip():
        raise ValueError("a title is needed")
    for name, url in (("link", post.link), ("image", post.image_url)):
        if url and not url.startswith(("https://", "http://")):
            raise ValueError(
                f"the {name} must be a web address starting https:// (or http://), not {url!r}"
            )
    item = Item(
        id=f"manual-{uuid.uuid4().hex[:10]}",
        kind=post.kind,
        title=post.title.strip(),
        summary=post.text.strip(),
        link=post.link,
        image_url=post.image_url,
        image_alt=post.image_alt,
        published_at=now,
        status="missing" if post.kind == "appeal" else None,
        urgent=post.urgent and post.kind == "appeal",
        region=post.region.lower() if post.region else None,
    )
    store_item(db, item, now, source="manual")
    planned = plan_posts(item, settings, now, platforms=post.platforms, scheduled_at=post.at)
    ids = enqueue(db, item.id, planned, now)
    events.record(
        db,
        "add",
        "queued",
        f"{item.kind} {item.title!r} on {', '.join(p.platform for p in planned)}",
        item_id=item.id,
        now=now,
    )
    return item.id, ids
