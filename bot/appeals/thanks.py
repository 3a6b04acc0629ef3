"""The "found" thank-you update: queued where the appeal was published, taken down when the
site takes the "found" back. Its own item (``<appeal id>#thanks``), so it outlives the appeal's
withdrawal."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.appeals.withdrawal import withdraw_item
from bot.core import events
from bot.core.settings import Settings
from bot.feeds.items import Item
from bot.posts.compose import fit_around
from bot.posts.queue import PRIORITY_APPEAL, PlannedPost, enqueue, get_item, store_item
from bot.posts.states import PostStatus
from bot.posts.tracking import tracked_link

THANKS_SUFFIX = "#thanks"
THANKS_TITLE = "Found: thank-you update"


def withdraw_thanks(db: sqlite_utils.Database, item_id: str, reason: str, now: datetime) -> int:
    """Take an appeal's "found" thank-you down, waiting or published. Returns posts affected.

    For whenever the site stops saying the person was found: the appeal reopened, or changed
    from found to withdrawn (which can mean an outcome no one should be thanked for).
    """
    thanks_id = item_id + THANKS_SUFFIX
    if not db.execute("SELECT 1 FROM items WHERE id = ?", [thanks_id]).fetchone():
        return 0
    return withdraw_item(db, thanks_id, reason, now)


def thanks_text(
    template: str, item: Item, platform: str = "facebook", link: str | None = None
) -> str:
    """FOUND_THANKS_TEMPLATE with {title} and {link} filled in, fitted to ``platform``.

    Literal replacement, not str.format: the charity's words stay exactly as written (a brace
    elsewhere, an empty link), and no other field of the item (summary, photo) can ever get in.
    On X a long name gives way, cut at a word, so the update always fits; the link stays whole.
    """
    shown_link = link or item.link or ""

    def fill(title: str) -> str:
        return template.replace("{title}", title).replace("{link}", shown_link).strip()

    return fit_around(fill, item.title, platform)


def queue_found_thanks(
    db: sqlite_utils.Database, settings: Settings, item_id: str, now: datetime
) -> list[int]:
    """Queue FOUND_THANKS' update once wherever the appeal was published.

    On each platform and page (a regional Facebook page too) that carried the appeal, as the
    people who shared it there are the ones to thank; a platform where it never went out gets
    none. It is its own item (``<id>#thanks``), so it is not taken down with the appeal, and it
    never carries the photo; the name and link only if the template asks for them, the link
    with the platform's tracking parameters, attributed to the appeal.
    """
    if not settings.found_thanks:
        return []
    item = get_item(db, item_id)
    purged = db.execute("SELECT purged_at FROM items WHERE id = ?", [item_id]).fetchone()[0]
    if item.kind != "appeal" or purged:
        return []  # a purged appeal's name and link are gone, and so is the time for thanks
    page_ids = {page.page_id for page in settings.facebook_pages}
    published = [
        (platform, target)
        for platform, target in db.execute(
            "SELECT DISTINCT platform, target FROM posts WHERE item_id = ? AND sent_at IS NOT NULL"
            " ORDER BY platform, target",
            [item_id],
        ).fetchall()
        # Only where the bot still posts: a regional page since removed from the settings
        # would refuse the update.
        if platform in settings.platforms and (not target or target in page_ids)
    ]
    if not published:
        return []
    update = Item(id=item_id + THANKS_SUFFIX, kind="news", title=THANKS_TITLE)
    round = _next_thanks_round(db, update.id)
    if round is None:
        return []  # thanked already, and the thank-you still stands
    store_item(db, update, now, source="thanks")
    # Found again after a "found" the site took back: the earlier thank-you was taken down
    # (its item closed with it), so this one is a new round on a reopened item.
    db.execute("UPDATE items SET closed_at = NULL, close_reason = NULL WHERE id = ?", [update.id])
    template = settings.found_thanks_template
    status = PostStatus.DRAFT if settings.require_approval else PostStatus.QUEUED
    planned = []
    for platform, target in published:
        link = None
        if item.link and "{link}" in template:
            link = tracked_link(item.link, platform, item_id, settings)
        planned.append(
            PlannedPost(
                platform=platform,
                target=target,
                text=thanks_text(template, item, platform, link),
                scheduled_at=now,
                priority=PRIORITY_APPEAL,
                link=link,
                round=round,
                status=status,
            )
        )
    ids = enqueue(db, update.id, planned, now)
    if ids:
        where = sorted({platform for platform, _ in published})
        regional = len(published) - len(where)
        extra = f" and {regional} regional page{'s' if regional > 1 else ''}" if regional else ""
        events.record(
            db,
            "thanks",
            str(status),
            f"found: thank-you update on {', '.join(where)}{extra}",
            item_id=update.id,
            now=now,
        )
    return ids


def _next_thanks_round(db: sqlite_utils.Database, thanks_id: str) -> int | None:
    """The round for a new thank-you update, or None while an earlier one is waiting or up.

    One being deleted counts as taken down: its deletion carries on, and a person found again
    meanwhile must still be thanked.
    """
    rows = db.execute("SELECT round, status FROM posts WHERE item_id = ?", [thanks_id]).fetchall()
    gone = (PostStatus.CANCELLED, PostStatus.DELETING, PostStatus.DELETED)
    if any(status not in gone for _, status in rows):
        return None
    return max((round for round, _ in rows), default=-1) + 1
