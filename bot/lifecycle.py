"""An appeal's life after it is first posted: closing it (with a thank-you when found) and the
periodic housekeeping job that re-appeals long-running cases and purges old personal data.

The pieces live in small modules, one concept each: :mod:`bot.withdrawal` (taking posts down),
:mod:`bot.reappeals` (posting again), :mod:`bot.approval` (the comms officer's gate) and
:mod:`bot.retention` (forgetting a found person). This module ties them to the item store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from . import events
from .items import Item
from .queue import PRIORITY_APPEAL, PlannedPost, enqueue, get_item, store_item
from .settings import Settings
from .states import PostStatus
from .withdrawal import withdraw_item

THANKS_SUFFIX = "#thanks"
THANKS_TITLE = "Found: thank-you update"


@dataclass(frozen=True)
class Closure:
    """What closing an appeal did."""

    affected: int  # posts cancelled or sent for deletion
    thanks: list[int]  # queue ids of the thank-you update, if one was queued


def close_appeal(
    db: sqlite_utils.Database,
    settings: Settings,
    item_id: str,
    reason: str,
    now: datetime,
    *,
    found: bool,
) -> Closure:
    """Withdraw an appeal everywhere; when the person was found, queue the thank-you update.

    ``found`` is False for a withdrawal (family's wish, police request): no thank-you then, as
    the public must not be told the person was found when they were not.
    """
    if found:
        db.execute(
            "UPDATE items SET status = 'found' WHERE id = ? AND kind = 'appeal'"
            " AND closed_at IS NULL",
            [item_id],
        )
    affected = withdraw_item(db, item_id, reason, now)
    thanks = queue_found_thanks(db, settings, item_id, now) if found else []
    return Closure(affected, thanks)


def withdraw_thanks(db: sqlite_utils.Database, item_id: str, reason: str, now: datetime) -> int:
    """Take an appeal's "found" thank-you down, waiting or published. Returns posts affected.

    For whenever the site stops saying the person was found: the appeal reopened, or changed
    from found to withdrawn (which can mean an outcome no one should be thanked for).
    """
    thanks_id = item_id + THANKS_SUFFIX
    if not db.execute("SELECT 1 FROM items WHERE id = ?", [thanks_id]).fetchone():
        return 0
    return withdraw_item(db, thanks_id, reason, now)


def reopen_appeal(db: sqlite_utils.Database, item_id: str, reason: str, now: datetime) -> int:
    """A closed appeal is open again on the site (a CMS mistake put right): tell the comms team.

    Nothing is posted again by the bot: whether the appeal goes back out is a person's decision.
    A thank-you update saying the person was found is taken down (cancelled if still waiting,
    deleted if published), as the public must not be told so when they were not. Returns how
    many thank-you posts were affected.
    """
    affected = withdraw_thanks(db, item_id, f"appeal reopened: {reason}", now)
    events.record(
        db,
        "reopen",
        "held",
        f"{reason}: not posted again; add it by hand if it should go out",
        item_id=item_id,
        now=now,
    )
    return affected


def thanks_text(template: str, item: Item) -> str:
    """FOUND_THANKS_TEMPLATE with {title} and {link} filled in, and nothing else touched.

    Literal replacement, not str.format: a brace elsewhere in the charity's text must not break
    the update, and no other field of the item (summary, photo) can ever get in.
    """
    return template.replace("{title}", item.title).replace("{link}", item.link or "").strip()


def queue_found_thanks(
    db: sqlite_utils.Database, settings: Settings, item_id: str, now: datetime
) -> list[int]:
    """Queue FOUND_THANKS' update once on each platform where the appeal was published.

    It is its own item (``<id>#thanks``), so it is not taken down with the appeal, and it never
    carries the photo; the name and link only if the template asks for them. A platform where
    the appeal never went out gets no thanks: nobody there shared it.
    """
    if not settings.found_thanks:
        return []
    item = get_item(db, item_id)
    if item.kind != "appeal":
        return []
    published = [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT platform FROM posts WHERE item_id = ? AND sent_at IS NOT NULL"
            " ORDER BY platform",
            [item_id],
        ).fetchall()
        if row[0] in settings.platforms
    ]
    if not published:
        return []
    update = Item(id=item_id + THANKS_SUFFIX, kind="news", title=THANKS_TITLE)
    store_item(db, update, now, source="thanks")
    text = thanks_text(settings.found_thanks_template, item)
    link = item.link if "{link}" in settings.found_thanks_template else None
    status = PostStatus.DRAFT if settings.require_approval else PostStatus.QUEUED
    planned = [
        PlannedPost(
            platform=platform,
            text=text,
            scheduled_at=now,
            priority=PRIORITY_APPEAL,
            link=link,
            status=status,
        )
        for platform in published
    ]
    ids = enqueue(db, update.id, planned, now)
    if ids:
        events.record(
            db,
            "thanks",
            str(status),
            f"found: thank-you update on {', '.join(published)}",
            item_id=update.id,
            now=now,
        )
    return ids


def housekeeping(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict[str, int]:
    """The daemon's hourly lifecycle job: queue due re-appeals, purge expired personal data."""
    from .reappeals import queue_reappeals
    from .retention import purge_expired

    return {
        "reappeals": len(queue_reappeals(db, settings, now)),
        "purged": len(purge_expired(db, settings, now)),
    }
