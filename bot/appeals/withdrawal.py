"""Withdrawal: when a person is found, their appeal comes down from the queue and every platform.

:func:`withdraw_item` is instant and local: queued posts are cancelled and published ones marked
``deleting``. :func:`process_deletions` then deletes them on the platforms, retrying with backoff
until each is gone, across restarts (the ``deleting`` status is the durable to-do list). A
platform paused for refused credentials is still tried: the first delete that works resumes it.

:func:`record_feed_presence` is the WITHDRAW_WHEN_MISSING_FROM_FEED trigger, and
:func:`list_withdrawals` the report behind ``run_bot.py withdrawals``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.core import events
from bot.core.clock import to_iso
from bot.core.errors import AuthExpired, NotFound, PublishError, RateLimited, RemoteGone
from bot.platforms.base import Publisher
from bot.posts.card_files import delete_cards
from bot.posts.queue import Post, get_post, transition
from bot.posts.states import PostStatus
from bot.sending import health
from bot.sending.policy import backoff
from bot.sending.publishing import find_own, is_stale_claim

S = PostStatus
# How a withdrawal because the appeal left the feed begins its reason: the dashboard tells those
# ("withdrawn") from appeals a person closed (bot.appeals.overview).
LEFT_FEED_REASON = "missing from the feed"


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
    # The appeal's cards show the person: they go with the posts, not RETENTION_DAYS later.
    delete_cards(db, item_id)
    affected = 0
    posts = db.execute(
        "SELECT id, status, platform, claimed_by, claimed_at FROM posts WHERE item_id = ?"
        " ORDER BY id",
        [item_id],
    ).fetchall()
    for post_id, status, platform, owner, claimed_at in posts:
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
        elif (
            status == S.SENDING
            and is_stale_claim(owner, claimed_at, now)
            and transition(
                db,
                post_id,
                S.DELETING,
                claimed_by_was=owner,
                claimed_by=None,
                needs_reconcile=1,
                next_attempt_at=None,
            )
        ):
            # Stranded mid-send (its process died, or saving "sent" failed): it may be out.
            # process_deletions looks for it on the platform and deletes what it finds.
            events.record(
                db,
                "withdraw",
                "pending",
                f"checking the platform for a post whose sending was cut short: {reason}",
                now=now,
                **where,
            )
            affected += 1
        # A post in ``sending`` now is handled when its send completes (publishing._mark_sent).
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
            if not post.remote_id and post.needs_reconcile:
                post = _look_up(db, publisher, post, now)
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
        if not transition(
            db, post.id, S.DELETED, deleted_at=to_iso(now), next_attempt_at=None, last_error=None
        ):
            continue  # another process finished this deletion first: it logged it
        events.record_post(
            db, post, "delete", "deleted", post.remote_url or post.remote_id or "", now
        )
        _resume_if_paused(db, post.platform, now)
        done += 1
    return done


def _look_up(db: sqlite_utils.Database, publisher: Publisher, post: Post, now: datetime) -> Post:
    """A post whose sending was cut short, as found on the platform (its own post only).

    Raises ``PublishError`` when the platform cannot be asked now: the deletion is retried.
    """
    found, why = find_own(db, publisher, post)
    if found is None:
        db.execute("UPDATE posts SET needs_reconcile = 0 WHERE id = ?", [post.id])
        events.record_post(db, post, "delete", "ok", f"{why}: it never went out", now)
        return post
    db.execute(
        "UPDATE posts SET remote_id = ?, remote_url = ?, needs_reconcile = 0 WHERE id = ?",
        [found.remote_id, found.url, post.id],
    )
    return get_post(db, post.id)


def _resume_if_paused(db: sqlite_utils.Database, platform: str, now: datetime) -> None:
    """A delete that worked proves the credentials work again: resume posting on the platform."""
    health.record_success(db, platform, now)
    if health.get_health(db, platform).paused_reason:
        health.resume(db, platform)
        events.record(
            db,
            "credentials",
            "resumed",
            "a deletion went through, so the credentials work again",
            platform=platform,
            now=now,
        )


# --- withdrawn when missing from the feed -----------------------------------------------------


def record_feed_presence(
    db: sqlite_utils.Database,
    feed_url: str,
    present_ids: Iterable[str],
    threshold: int,
    now: datetime,
) -> list[str]:
    """Count one complete, well-formed poll of an appeals feed; withdraw what stayed away.

    The caller must only pass a poll that fetched and fully parsed a non-empty feed: a failed,
    truncated, malformed or empty fetch (or a 304) is no evidence that an appeal was taken down,
    and counting it could take a missing person's appeal down by mistake. Each open appeal of
    this feed that is absent gets one more ``missing_polls``; one that is present goes back to
    0; at ``threshold`` polls in a row it is withdrawn. Returns the ids withdrawn.
    """
    present = set(present_ids)
    if threshold <= 0 or not present:
        return []
    rows = db.execute(
        "SELECT id, missing_polls FROM items WHERE feed_url = ? AND kind = 'appeal'"
        " AND source = 'feed' AND closed_at IS NULL AND purged_at IS NULL",
        [feed_url],
    ).fetchall()
    withdrawn: list[str] = []
    for item_id, missing in rows:
        if item_id in present:
            if missing:
                db.execute("UPDATE items SET missing_polls = 0 WHERE id = ?", [item_id])
            continue
        missing += 1
        db.execute("UPDATE items SET missing_polls = ? WHERE id = ?", [missing, item_id])
        if missing >= threshold:
            reason = f"{LEFT_FEED_REASON} for {missing} complete polls in a row"
            withdraw_item(db, item_id, reason, now)
            withdrawn.append(item_id)
    return withdrawn


# --- the withdrawals report ------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformTakedown:
    """Where one platform stands for a withdrawn appeal."""

    platform: str
    state: str  # "deleted", "pending", "cancelled" (never published) or "nothing posted"
    deleted: int = 0
    pending: int = 0
    cancelled: int = 0
    last_error: str | None = None
    next_attempt_at: str | None = None


@dataclass(frozen=True)
class Withdrawal:
    """One withdrawn appeal: when, why and how far the takedown has got on each platform."""

    item_id: str
    title: str
    closed_at: str
    reason: str
    status: str | None
    purged_at: str | None
    platforms: list[PlatformTakedown] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return all(p.pending == 0 for p in self.platforms)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "done": self.done}


def list_withdrawals(
    db: sqlite_utils.Database, platforms: Iterable[str] = (), limit: int = 200, offset: int = 0
) -> list[Withdrawal]:
    """Every closed item, newest first, with per-platform deleted / pending and the last error.

    ``platforms`` are listed even when nothing was posted there, so a reader sees the whole set.
    """
    items = db.execute(
        "SELECT id, title, closed_at, close_reason, status, purged_at FROM items"
        " WHERE closed_at IS NOT NULL ORDER BY closed_at DESC, id LIMIT ? OFFSET ?",
        [limit, offset],
    ).fetchall()
    report: list[Withdrawal] = []
    for item_id, title, closed_at, reason, status, purged_at in items:
        rows = db.execute(
            "SELECT platform, status, last_error, next_attempt_at FROM posts"
            " WHERE item_id = ? ORDER BY id",
            [item_id],
        ).fetchall()
        names = list(dict.fromkeys([*platforms, *(r[0] for r in rows)]))
        takedowns = []
        for name in names:
            mine = [r for r in rows if r[0] == name]
            deleted = sum(1 for r in mine if r[1] == S.DELETED)
            pending = [r for r in mine if r[1] == S.DELETING]
            cancelled = sum(1 for r in mine if r[1] == S.CANCELLED)
            if pending:
                state = "pending"
            elif deleted:
                state = "deleted"
            elif cancelled:
                state = "cancelled"
            else:
                state = "nothing posted"
            takedowns.append(
                PlatformTakedown(
                    platform=name,
                    state=state,
                    deleted=deleted,
                    pending=len(pending),
                    cancelled=cancelled,
                    last_error=next((r[2] for r in pending if r[2]), None),
                    next_attempt_at=min((r[3] for r in pending if r[3]), default=None),
                )
            )
        report.append(
            Withdrawal(item_id, title, closed_at, reason or "", status, purged_at, takedowns)
        )
    return report
