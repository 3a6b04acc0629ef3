"""Posts the comms team adds by hand (``run_bot.py add``): they become items like feed entries,
so they share the queue, the slots, the log and withdrawal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from bot.core import events
from bot.core.settings import Settings
from bot.feeds.items import Item, Kind
from bot.posts.facts import given_facts
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.posts.regions import resolve_region

# A title longer than this is most likely a paste gone wrong: it starts every post and is the
# photo's description when none is given (X's alt text stops at 1,000 characters).
LONG_TITLE = 120
# Checks a photo's address; returns what is wrong with it in words, or None when it is usable.
PhotoCheck = Callable[[str], "str | None"]


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
    # Card facts typed by a person (name, age, place, when, description, reference): they win
    # over what is read from the title and text (bot.posts.facts).
    facts: dict[str, str | None] = field(default_factory=dict)


def add_warnings(
    post: ManualPost, now: datetime, check_photo: PhotoCheck | None = None
) -> list[str]:
    """What a person should know before adding ``post``, in words; nothing here stops it.

    A long title, a time already past (it goes out in the next slot), a photo with no
    description, and (when ``check_photo`` is given: it fetches) a photo that cannot be fetched
    or is not an image. The CLI and the dashboard both show these.
    """
    warnings = []
    title = post.title.strip()
    if len(title) > LONG_TITLE:
        warnings.append(
            f"The title is {len(title)} characters long (most are under {LONG_TITLE}): it starts"
            " every post and is read out as the photo's description."
        )
    if post.at is not None and post.at < now:
        warnings.append("That time has already passed: it goes out in the next posting slot.")
    if post.image_url and not (post.image_alt or "").strip():
        warnings.append(
            "The photo has no description (alt text): screen readers will hear"
            f" “Photo of {title[:60]}{'…' if len(title) > 60 else ''}”."
        )
    if post.image_url and check_photo is not None:
        problem = check_photo(post.image_url)
        if problem:
            warnings.append(f"The photo cannot be used: {problem}.")
    return warnings


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
        region=resolve_region(settings, post.region),
        facts=tuple(given_facts(post.facts).items()) if post.kind == "appeal" else (),
    )
    store_item(db, item, now, source="manual")
    # A time to come is pinned (it goes at that minute); one already past takes the next slot.
    pin = post.at if post.at is not None and post.at >= now else None
    planned = plan_posts(
        item, settings, now, platforms=post.platforms, scheduled_at=post.at, pinned_at=pin
    )
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
