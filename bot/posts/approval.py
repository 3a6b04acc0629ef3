"""The comms officer's gate (REQUIRE_APPROVAL=1): feed items wait as ``draft`` until approved.

``approve`` (draft → queued), ``edit`` (a waiting post's text) and ``reject`` (→ cancelled) take
a queue id, or an item id meaning all of that item's waiting posts. Every change goes through
:func:`bot.posts.queue.transition` and into the operators' log, with who-did-what left to the
caller."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.core import events
from bot.core.clock import to_iso
from bot.core.db import immediate
from bot.core.errors import AppealBotError, NotFound
from bot.posts.compose import MEASURES
from bot.posts.queue import get_post, transition
from bot.posts.states import PostStatus

S = PostStatus


def is_queue_number(ref: str) -> bool:
    """Whether ``ref`` (stripped) is written as a queue id: ASCII digits only. str.isdigit()
    alone also takes "²" and "①", which int() refuses."""
    ref = ref.strip()
    return ref.isascii() and ref.isdigit()


def resolve(db: sqlite_utils.Database, ref: str) -> list[int]:
    """The queue ids ``ref`` names: a queue id (a number) or an item id (all its posts).

    A number that is a queue id wins; prefix ``item:`` to mean an item whose id is a number.
    A feed may itself give an id beginning ``item:``: when nothing answers to the rest, the
    whole ``ref`` is tried as an item id (``item:item:5`` always means the item ``item:5``).

    Raises NotFound when no post answers to ``ref``.
    """
    ref = ref.strip()
    if ref.startswith("item:"):
        candidates = [ref[len("item:") :], ref]
    else:
        if (
            is_queue_number(ref)
            and db.execute("SELECT 1 FROM posts WHERE id = ?", [int(ref)]).fetchone()
        ):
            return [int(ref)]
        candidates = [ref]
    for item_id in candidates:
        rows = db.execute(
            "SELECT id FROM posts WHERE item_id = ? ORDER BY id", [item_id]
        ).fetchall()
        if rows:
            return [row[0] for row in rows]
    raise NotFound(f"no queue entry or item {ref}")


def _waiting(
    db: sqlite_utils.Database, ref: str, statuses: tuple[str, ...], verb: str
) -> list[int]:
    ids = resolve(db, ref)
    marks = ",".join("?" for _ in statuses)
    found = [
        row[0]
        for row in db.execute(
            f"SELECT id FROM posts WHERE id IN ({','.join('?' for _ in ids)})"
            f" AND status IN ({marks}) ORDER BY id",
            [*ids, *statuses],
        ).fetchall()
    ]
    if not found:
        states = ", ".join(str(get_post(db, i).status) for i in ids)
        raise AppealBotError(f"nothing to {verb} for {ref}: its posts are {states}")
    return found


def approve(
    db: sqlite_utils.Database, ref: str, now: datetime, at: datetime | None = None
) -> list[int]:
    """Draft → queued: the posts take the next slot after now (urgent ones go at once), or,
    with ``at``, are pinned to that minute (see :func:`pin`)."""
    approved = []
    for post_id in _waiting(db, ref, (S.DRAFT,), "approve"):
        post = get_post(db, post_id)
        # Approved now: it joins the queue now, never an earlier slot still being caught up.
        ready = max(post.scheduled_at, to_iso(now))
        if transition(db, post_id, S.QUEUED, scheduled_at=ready):
            events.record_post(db, get_post(db, post_id), "approve", "queued", "approved", now)
            approved.append(post_id)
    if at is not None:
        pin(db, approved, at, now)
    return approved


def pin(db: sqlite_utils.Database, ids: list[int], at: datetime, now: datetime) -> list[int]:
    """Pin waiting (draft or queued) posts to the minute ``at`` (aware): each goes out then,
    outside the regular slots, still within the daily limits (bot/posts/schedule.py says what
    happens when it cannot). Returns the ids pinned; a post sent meanwhile is left alone."""
    minute = at.replace(second=0, microsecond=0)
    pinned = []
    with immediate(db):
        for post_id in ids:
            changed = db.execute(
                "UPDATE posts SET pinned_at = ?, scheduled_at = ? WHERE id = ?"
                " AND status IN ('draft', 'queued')",
                [to_iso(minute), to_iso(minute), post_id],
            ).rowcount
            if changed:
                pinned.append(post_id)
    for post_id in pinned:
        events.record_post(
            db, get_post(db, post_id), "pin", "pinned", f"pinned to {to_iso(minute)}", now
        )
    return pinned


def reject(db: sqlite_utils.Database, ref: str, reason: str, now: datetime) -> list[int]:
    """Draft (or queued) → cancelled: the post never goes out."""
    rejected = []
    for post_id in _waiting(db, ref, (S.DRAFT, S.QUEUED), "reject"):
        if transition(db, post_id, S.CANCELLED, last_error=f"rejected: {reason}"):
            events.record_post(db, get_post(db, post_id), "reject", "cancelled", reason, now)
            rejected.append(post_id)
    return rejected


def retry(db: sqlite_utils.Database, ref: str, now: datetime) -> list[int]:
    """Failed → queued, with a fresh count of tries: after the comms team fixed what the
    platform refused (usually with ``edit`` first), or when a transient fault outlasted the
    retries. It goes out in the next slot; an appeal withdrawn meanwhile is never retried."""
    retried = []
    for post_id in _waiting(db, ref, (S.FAILED,), "retry"):
        post = get_post(db, post_id)
        closed = db.execute("SELECT closed_at FROM items WHERE id = ?", [post.item_id]).fetchone()
        if closed and closed[0]:
            continue
        if transition(
            db, post_id, S.QUEUED, attempts=0, next_attempt_at=None, scheduled_at=post.scheduled_at
        ):
            events.record_post(
                db, post, "retry", "queued", f"retry asked for: {post.last_error}", now
            )
            retried.append(post_id)
    if not retried:
        raise AppealBotError(f"nothing to retry for {ref}: its appeal was withdrawn")
    return retried


def length_limit(platform: str) -> int:
    """The most characters ``platform`` takes, as :func:`platform_length` counts them."""
    return MEASURES.get(platform, MEASURES["facebook"])[1]


def platform_length(platform: str, text: str) -> int:
    """The length ``platform`` gives ``text``: X's weighted length (links 23, emoji and CJK 2),
    Facebook's UTF-16 units, Bluesky's graphemes, Mastodon's graphemes with links as 23. The
    dashboard's live counter shows exactly this number."""
    return MEASURES.get(platform, MEASURES["facebook"])[0](text)


def check_text(platform: str, text: str) -> None:
    """Refuse a text the platform would refuse, before it waits hours for its slot."""
    if not text.strip():
        raise AppealBotError("the text is empty")
    length, limit = platform_length(platform, text), length_limit(platform)
    if length <= limit:
        return
    if platform == "x":
        raise AppealBotError(
            f"the text is {length} characters as X counts them (links 23, emoji 2);"
            f" X allows {limit}: shorten it by {length - limit}"
        )
    if platform in ("bluesky", "mastodon"):
        counted = "links 23" if platform == "mastodon" else "an emoji is one"
        raise AppealBotError(
            f"the text is {length} characters as {platform.title()} counts them ({counted});"
            f" {platform.title()} allows {limit}: shorten it by {length - limit}"
        )
    raise AppealBotError(f"the text is {length} characters; {platform} allows {limit}")


def edit(
    db: sqlite_utils.Database, ref: str, text: str, now: datetime, at: datetime | None = None
) -> list[int]:
    """Replace the text of waiting (draft, queued or failed) posts; marks them edited, so a
    later change in the feed no longer overwrites what a person wrote. Checks every post before
    changing any. With ``at``, also pins the draft and queued ones to that minute.
    """
    ids = _waiting(db, ref, (S.DRAFT, S.QUEUED, S.FAILED), "edit")
    for post_id in ids:
        check_text(get_post(db, post_id).platform, text)
    edited = []
    with immediate(db):
        for post_id in ids:
            cursor = db.execute(
                "UPDATE posts SET text = ?, edited = 1 WHERE id = ?"
                " AND status IN ('draft', 'queued', 'failed')",
                [text, post_id],
            )
            if cursor.rowcount:
                edited.append(post_id)
    for post_id in edited:
        events.record_post(db, get_post(db, post_id), "edit", "edited", "text changed by hand", now)
    if at is not None:
        pin(db, edited, at, now)
    return edited
