"""What the dashboard's buttons do to the queue: approve, edit, reject/cancel, reschedule, send.

Approving, editing and rejecting are :mod:`bot.posts.approval`'s, shared with the CLI; this
module adds the dashboard's own (rescheduling, cancelling a failed post, sending now) and writes
who pressed the button into the operators' log. Status changes go through
:func:`bot.posts.queue.transition`; changes that keep the status (a new time) run inside ``BEGIN
IMMEDIATE`` and only while the post is still waiting, so they never race a daemon claiming the
same post."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlite_utils

from bot.core import events
from bot.core.clock import to_iso, utcnow
from bot.core.db import immediate
from bot.core.errors import AppealBotError
from bot.core.settings import Settings
from bot.platforms.base import Publisher
from bot.posts import approval
from bot.posts.queue import Post, get_post, transition
from bot.posts.states import PostStatus
from bot.sending.publishing import run_slot
from bot.web.preview import clean_text

S = PostStatus
# Statuses whose text a person may still change (bot.posts.approval.edit's rule).
EDITABLE = (S.DRAFT, S.QUEUED, S.FAILED)
RESCHEDULABLE = (S.DRAFT, S.QUEUED, S.FAILED)


class ActionRefused(AppealBotError):
    """The post cannot take this action now (e.g. it was sent meanwhile); the message says why."""


def _by(db: sqlite_utils.Database, post: Post, verb: str, user: str, now: datetime) -> None:
    """Who did it: bot.posts.approval logs what changed and leaves the person to the caller."""
    events.record_post(db, post, "dashboard", verb, f"{verb} by {user}", now)


def approve(db: sqlite_utils.Database, post_id: int, user: str, now: datetime) -> None:
    """A draft goes into the queue at its scheduled time."""
    post = get_post(db, post_id)
    if post.status != S.DRAFT or not approval.approve(db, str(post_id), now):
        raise ActionRefused(f"post {post_id} is {post.status}, not a draft: nothing to approve")
    _by(db, post, "approved", user, now)


def cancel(db: sqlite_utils.Database, post_id: int, user: str, now: datetime) -> None:
    """Reject a draft or cancel a queued or failed post; a published one needs a withdrawal."""
    post = get_post(db, post_id)
    if post.status in (S.DRAFT, S.QUEUED):
        done = bool(approval.reject(db, str(post_id), f"cancelled by {user}", now))
    else:
        done = transition(db, post_id, S.CANCELLED, next_attempt_at=None)
    if not done:
        raise ActionRefused(
            f"post {post_id} is {post.status}: only drafts, queued and failed posts can be"
            " cancelled (withdraw the appeal to take a published post down)"
        )
    _by(db, post, "cancelled", user, now)


def edit_text(db: sqlite_utils.Database, post_id: int, text: str, user: str, now: datetime) -> None:
    """New text for one post, checked against its platform's limit by bot.posts.approval."""
    text = clean_text(text)
    post = get_post(db, post_id)
    if post.status not in EDITABLE:
        raise ActionRefused(f"post {post_id} is {post.status}: too late to edit")
    if not approval.edit(db, str(post_id), text, now):
        raise ActionRefused(f"post {post_id} changed meanwhile: reload and try again")
    _by(db, post, "edited", user, now)


def reschedule(
    db: sqlite_utils.Database, post_id: int, when: datetime, user: str, now: datetime
) -> None:
    """Move a post to a new time; a failed one goes back into the queue for that time."""
    post = get_post(db, post_id)
    if post.status == S.FAILED:
        if not transition(
            db, post_id, S.QUEUED, scheduled_at=to_iso(when), next_attempt_at=None, attempts=0
        ):
            raise ActionRefused(f"post {post_id} changed meanwhile: reload and try again")
    else:
        with immediate(db):
            changed = db.execute(
                "UPDATE posts SET scheduled_at = ?, next_attempt_at = NULL"
                " WHERE id = ? AND status IN (?, ?)",
                [to_iso(when), post_id, str(S.DRAFT), str(S.QUEUED)],
            ).rowcount
        if not changed:
            raise ActionRefused(f"post {post_id} is {post.status}: too late to reschedule")
    events.record_post(
        db, post, "dashboard", "rescheduled", f"rescheduled by {user} for {to_iso(when)}", now
    )


def send_now(
    db: sqlite_utils.Database,
    post_id: int,
    publishers: Mapping[str, Publisher],
    settings: Settings,
    user: str,
    now: datetime,
) -> str:
    """Make a queued post due now and run the sender for its platform, as the daemon would.

    Daily limits and the failure policy apply as in a slot. Anything else already due on that
    platform goes too, ahead of this post if it ranks higher (urgent first): the dashboard never
    jumps the queue's order. Returns the post's status afterwards.
    """
    post = get_post(db, post_id)
    publisher = publishers.get(post.platform)
    if publisher is None:
        raise ActionRefused(f"{post.platform} is not enabled in this dashboard")
    if post.status == S.DRAFT:
        approve(db, post_id, user, now)
    elif post.status != S.QUEUED:
        raise ActionRefused(f"post {post_id} is {post.status}: only queued posts can be sent")
    reschedule(db, post_id, now, user, now)
    report = run_slot(db, {post.platform: publisher}, settings, limit=None, clock=utcnow)
    status = get_post(db, post_id).status
    if status == S.QUEUED and post.platform in report.skipped:
        raise ActionRefused(f"not sent: {report.skipped[post.platform]}")
    return str(status)
