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
from bot.core.clock import to_iso
from bot.core.errors import AppealBotError
from bot.core.settings import Settings
from bot.platforms.base import Publisher
from bot.posts import approval
from bot.posts.queue import Post, get_post, transition
from bot.posts.states import PostStatus
from bot.sending.due import NamedReport, send_named
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
    """Pin a post to a new minute (it goes then, outside the slots, within the daily limits);
    a failed one goes back into the queue for that time."""
    post = get_post(db, post_id)
    if post.status == S.FAILED:
        if not transition(db, post_id, S.QUEUED, next_attempt_at=None, attempts=0):
            raise ActionRefused(f"post {post_id} changed meanwhile: reload and try again")
    elif post.status not in (S.DRAFT, S.QUEUED):
        raise ActionRefused(f"post {post_id} is {post.status}: too late to reschedule")
    if not approval.pin(db, [post_id], when, now):
        raise ActionRefused(f"post {post_id} changed meanwhile: reload and try again")
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
) -> NamedReport:
    """Send exactly this post now (approving a draft first), never any other.

    Daily limits, a pause or a rate limit and the failure policy apply; the report says whether
    it went and, if not, why.
    """
    post = get_post(db, post_id)
    if post.platform not in publishers:
        raise ActionRefused(f"{post.platform} is not enabled in this dashboard")
    if post.status == S.DRAFT:
        approve(db, post_id, user, now)
    elif post.status != S.QUEUED:
        raise ActionRefused(f"post {post_id} is {post.status}: only queued posts can be sent")
    events.record_post(db, post, "dashboard", "queued", f"send now by {user}", now)
    return send_named(db, publishers, settings, [post_id])
