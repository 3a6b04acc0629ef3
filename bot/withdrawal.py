"""Withdrawal: when a person is found, their appeal comes down from the queue and every platform.

:func:`withdraw_item` is instant and local: queued posts are cancelled and published ones marked
``deleting``. :func:`process_deletions` then deletes them on the platforms, retrying with backoff
until each is gone, across restarts (the ``deleting`` status is the durable to-do list).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime

import sqlite_utils

from . import events, health
from .clock import to_iso
from .errors import AuthExpired, NotFound, PublishError, RateLimited, RemoteGone
from .platforms.base import Publisher
from .policy import backoff
from .queue import get_post, transition
from .states import PostStatus

S = PostStatus


def withdraw_item(db: sqlite_utils.Database, item_id: str, reason: str, now: datetime) -> int:
    """Close an item and take its posts down. Returns how many posts were affected."""
    row = db.execute("SELECT closed_at FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound(f"no appeal or news item {item_id}")
    if row[0] is None:
        db.execute(
            "UPDATE items SET closed_at = ?, close_reason = ? WHERE id = ?",
            [to_iso(now), reason, item_id],
        )
    affected = 0
    posts = db.execute(
        "SELECT id, status, platform FROM posts WHERE item_id = ? ORDER BY id", [item_id]
    ).fetchall()
    for post_id, status, platform in posts:
        where = {"post_id": post_id, "item_id": item_id, "platform": platform}
        if status in (S.QUEUED, S.DRAFT, S.FAILED) and transition(
            db, post_id, S.CANCELLED, last_error=f"withdrawn: {reason}", next_attempt_at=None
        ):
            events.record(db, "withdraw", "cancelled", reason, now=now, **where)
            affected += 1
        elif status == S.SENT and transition(db, post_id, S.DELETING, next_attempt_at=None):
            events.record(
                db,
                "withdraw",
                "pending",
                f"deleting the published post: {reason}",
                now=now,
                **where,
            )
            affected += 1
        # A post in ``sending`` is handled when its send completes (see publishing._mark_sent).
    return affected


def process_deletions(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    now: datetime,
    rng: random.Random | None = None,
) -> int:
    """Delete every due ``deleting`` post on its platform. Returns how many are now gone."""
    rng = rng or random.Random()
    done = 0
    rows = db.execute(
        "SELECT id FROM posts WHERE status = 'deleting'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id",
        [to_iso(now)],
    ).fetchall()
    for (post_id,) in rows:
        post = get_post(db, post_id)
        publisher = publishers.get(post.platform)
        if publisher is None:
            continue
        try:
            if not post.remote_id:
                raise RemoteGone(post.platform, "no remote id was recorded")
            publisher.delete(post.remote_id, post.target or None)
        except RemoteGone:
            pass  # already gone: that is what we wanted
        except PublishError as error:
            attempts = post.attempts + 1
            retry_at = now + backoff(attempts, rng)
            if isinstance(error, RateLimited) and error.retry_at and error.retry_at > retry_at:
                retry_at = error.retry_at
            db.execute(
                "UPDATE posts SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                [attempts, to_iso(retry_at), error.message, post.id],
            )
            health.record_error(db, post.platform, error.message, now)
            if isinstance(error, AuthExpired):
                health.pause(db, post.platform, error.message, now)
            events.record_post(
                db, post, "delete", "retry", f"{error.message}; next try {to_iso(retry_at)}", now
            )
            continue
        transition(
            db, post.id, S.DELETED, deleted_at=to_iso(now), next_attempt_at=None, last_error=None
        )
        events.record_post(
            db, post, "delete", "deleted", post.remote_url or post.remote_id or "", now
        )
        done += 1
    return done
