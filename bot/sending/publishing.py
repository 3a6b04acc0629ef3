"""Sending queued posts through the publishers, applying the failure policy in one place.

A post is marked ``sending`` (claimed) before the API call and ``sent`` with its remote id after,
so a crash between the two leaves evidence: :func:`reconcile_stale` finds such posts on start
and looks them up on the platform before anything is sent again.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import sqlite_utils

from bot.core import events
from bot.core.clock import Clock, from_iso, to_iso, utcnow
from bot.core.db import immediate
from bot.core.display import per_platform, plural
from bot.core.errors import (
    AuthExpired,
    OutcomeUnknown,
    PhotoUnreachable,
    PhotoUnusable,
    PublishError,
    RateLimited,
    RemoteGone,
)
from bot.core.settings import Settings
from bot.platforms.base import PostRequest, Published, Publisher
from bot.posts.queue import (
    PRIORITY_URGENT,
    Post,
    budget_used,
    claim_next,
    get_post,
    process_owner,
    transition,
)
from bot.posts.schedule import normal_budget
from bot.posts.states import PostStatus
from bot.sending import health
from bot.sending.card_attach import CardMaker
from bot.sending.policy import decide

S = PostStatus
log = logging.getLogger("appeal_bot")
# Tries with a photo that could not be downloaded (timeout, 5xx) before posting without it.
PHOTO_TRIES = 2
# How a post that went out without its photo is marked everywhere people look.
SENT_WITHOUT_PHOTO = "sent without photo"


@dataclass
class SlotReport:
    """What one run of the sender did, per platform."""

    sent: dict[str, int] = field(default_factory=dict)
    retried: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    # Sent without their photo (counted in ``sent`` too): post id → why.
    degraded: dict[int, str] = field(default_factory=dict)

    def total_sent(self) -> int:
        return sum(self.sent.values())

    def tally(self, db: sqlite_utils.Database, name: str, post_id: int, outcome: str) -> None:
        """Count one :func:`send_post` outcome on platform ``name``."""
        if outcome in ("sent", "duplicate"):
            self.sent[name] = self.sent.get(name, 0) + 1
            degraded = get_post(db, post_id).degraded
            if degraded:
                self.degraded[post_id] = degraded
        elif outcome == "failed":
            self.failed[name] = self.failed.get(name, 0) + 1
        elif outcome != "cancelled":
            self.retried[name] = self.retried.get(name, 0) + 1

    def summary_lines(self) -> list[str]:
        """What happened, in words: sent, failed (and where to see why), waiting, skipped.

        "sent 0" alone would hide a run where every post failed.
        """
        total = self.total_sent()
        if total:
            lines = [f"sent {plural(total, 'post')}: {per_platform(self.sent)}"]
        else:
            quiet = not (self.failed or self.retried or self.skipped)
            lines = ["sent nothing: no post was due" if quiet else "sent nothing"]
        if self.failed:
            failed = plural(sum(self.failed.values()), "post")
            lines.append(
                f"{failed} failed: {per_platform(self.failed)};"
                " see why with `run_bot.py log --status failed`"
            )
        if self.retried:
            waiting = plural(sum(self.retried.values()), "post")
            lines.append(
                f"{waiting} to try again later: {per_platform(self.retried)};"
                " `run_bot.py log` says why"
            )
        lines += [
            f"post {post_id}: {SENT_WITHOUT_PHOTO}: {why}" for post_id, why in self.degraded.items()
        ]
        lines += [f"{platform}: skipped, {why}" for platform, why in self.skipped.items()]
        return lines

    def summary(self) -> str:
        """The summary on one line, for the operators' log."""
        return "; ".join(self.summary_lines())


def request_for(post: Post) -> PostRequest:
    return PostRequest(
        post_id=post.id,
        text=post.text,
        link=post.link,
        image_url=post.image_url,
        alt_text=post.alt_text,
        target=post.target or None,
        marker=post.link or post.text[:60],
        not_before=from_iso(post.created_at),
    )


def _reconcile_request(db: sqlite_utils.Database, post: Post) -> PostRequest:
    """The request to look ``post`` up by: with the remote ids our other posts own there."""
    taken = db.execute(
        "SELECT remote_id FROM posts WHERE platform = ? AND remote_id IS NOT NULL AND id != ?",
        [post.platform, post.id],
    ).fetchall()
    return replace(request_for(post), taken=frozenset(row[0] for row in taken))


def _owner_of(db: sqlite_utils.Database, post: Post, remote_id: str) -> int | None:
    """Which other post of ours already owns ``remote_id`` on ``post``'s platform, if any."""
    row = db.execute(
        "SELECT id FROM posts WHERE platform = ? AND remote_id = ? AND id != ?",
        [post.platform, remote_id, post.id],
    ).fetchone()
    return row[0] if row else None


def find_own(
    db: sqlite_utils.Database, publisher: Publisher, post: Post
) -> tuple[Published | None, str]:
    """The remote post that is ``post`` after a crash, or None and why it was not taken.

    Never a remote id another of our posts owns, whatever the publisher answered: recording it
    twice would let one appeal's withdrawal delete another's post.
    """
    found = publisher.find_published(_reconcile_request(db, post))
    if found is None:
        return None, f"no post with this text on {post.platform}"
    owner = _owner_of(db, post, found.remote_id)
    if owner is not None:
        log.warning(
            "post %s: %s post %s is post %s's; not taken as this one",
            post.id,
            post.platform,
            found.remote_id,
            owner,
        )
        return None, f"the matching {post.platform} post is post {owner}'s"
    return found, ""


def _item_closed(db: sqlite_utils.Database, item_id: str) -> bool:
    row = db.execute("SELECT closed_at FROM items WHERE id = ?", [item_id]).fetchone()
    return bool(row and row[0])


def _mark_sent(
    db: sqlite_utils.Database,
    post: Post,
    remote_id: str | None,
    url: str | None,
    now: datetime,
    degraded: str | None = None,
) -> None:
    """Record ``post`` as sent as ``remote_id``; callers have made sure no other post owns it
    unless the platform just created it, and then the platform's word wins: the other record
    is stale (a fake or sandbox restarted over the same database reuses its ids)."""
    owner = _owner_of(db, post, remote_id) if remote_id else None
    if owner is not None:
        db.execute("UPDATE posts SET remote_id = NULL WHERE id = ?", [owner])
        events.record(
            db,
            "send",
            "error",
            f"{post.platform} gave post {post.id} the id {remote_id} this post had recorded;"
            " that record was stale and is cleared",
            post_id=owner,
            platform=post.platform,
            now=now,
        )
    transition(
        db,
        post.id,
        S.SENT,
        degraded=degraded,
        remote_id=remote_id,
        remote_url=url,
        sent_at=to_iso(now),
        claimed_by=None,
        needs_reconcile=0,
        last_error=None,
    )
    health.record_success(db, post.platform, now)
    if _item_closed(db, post.item_id):
        # Withdrawn while the call was in flight: it must come straight back down.
        transition(db, post.id, S.DELETING)


def send_post(
    db: sqlite_utils.Database,
    publisher: Publisher,
    post: Post,
    now: datetime,
    rng: random.Random | None = None,
    cards: CardMaker | None = None,
) -> str:
    """Publish one claimed post and record the outcome. Returns the event outcome word.

    With ``cards`` (APPEAL_CARDS=1), an appeal's photo goes as its card.
    """
    rng = rng or random.Random()
    request = request_for(post)
    degraded: str | None = None
    try:
        if post.needs_reconcile:
            found, why = find_own(db, publisher, post)
            if found is not None:
                _mark_sent(db, post, found.remote_id, found.url, now)
                detail = f"already on {post.platform}: {found.url}"
                events.record_post(db, post, "reconcile", "sent", detail, now)
                _take_down_if_withdrawn(db, publisher, post.id, now)
                return "sent"
            # Not found, or not surely ours: treated as not sent. Sending again is safe, as the
            # platform refuses a duplicate of a post that did go out.
            detail = f"{why}: treated as not sent, sending it now"
            events.record_post(db, post, "reconcile", "retry", detail, now)
        if _item_closed(db, post.item_id):
            # Withdrawn after this post was queued again (a failed try in flight, a pause, a
            # restart): a found person's appeal must never go out.
            transition(db, post.id, S.QUEUED, claimed_by=None)
            transition(db, post.id, S.CANCELLED, last_error="withdrawn", next_attempt_at=None)
            events.record_post(db, post, "send", "cancelled", "appeal withdrawn: not sent", now)
            return "cancelled"
        try:
            if cards is not None:
                request = cards.attach(db, post, request, now)
            published = publisher.publish(request)
        except (PhotoUnusable, PhotoUnreachable) as error:
            # An appeal out on time without its photo beats an appeal held back by a dead link;
            # a photo host that failed for now gets one retry first.
            if isinstance(error, PhotoUnreachable) and post.attempts < PHOTO_TRIES:
                raise
            published = publisher.publish(
                replace(request, image_url=None, image=None, alt_text=None)
            )
            degraded = photo_dropped(error)
    except PublishError as error:
        return _handle_error(db, post, error, now, rng, publisher)
    except Exception as error:
        # A bug or a library surprise must not strand the post in ``sending`` until a restart.
        # Whether it went out is unknown, so it is looked for before any resend.
        log.exception("unexpected error sending post %s", post.id)
        unknown = OutcomeUnknown(post.platform, f"unexpected {type(error).__name__}: {error}")
        return _handle_error(db, post, unknown, now, rng, publisher)
    _mark_sent(db, post, published.remote_id, published.url, now, degraded)
    detail = published.url + (f" ({SENT_WITHOUT_PHOTO}: {degraded})" if degraded else "")
    events.record_post(db, post, "send", "sent", detail, now)
    _take_down_if_withdrawn(db, publisher, post.id, now)
    return "sent"


def _take_down_if_withdrawn(
    db: sqlite_utils.Database, publisher: Publisher, post_id: int, now: datetime
) -> None:
    """A post whose appeal was withdrawn while it was being sent comes down at once, with the
    same client, not at the deletions job's next run: a found person's photo must not stay up.
    If this delete fails, the post stays ``deleting`` and the deletions job retries it."""
    post = get_post(db, post_id)
    if post.status != S.DELETING or not post.remote_id:
        return
    try:
        publisher.delete(post.remote_id, post.target or None)
    except RemoteGone:
        pass
    except PublishError as error:
        log.warning("post %s: deleting at once failed (%s); retried shortly", post.id, error)
        return
    if transition(db, post.id, S.DELETED, deleted_at=to_iso(now), next_attempt_at=None):
        detail = f"withdrawn while it was being sent: {post.remote_url or post.remote_id}"
        events.record_post(db, post, "delete", "deleted", detail, now)


def photo_dropped(error: PublishError) -> str:
    """Why a post went without its photo, in the words stored in ``posts.degraded``."""
    return error.message


def _handle_error(
    db: sqlite_utils.Database,
    post: Post,
    error: PublishError,
    now: datetime,
    rng: random.Random,
    publisher: Publisher,
) -> str:
    decision = decide(error, post.attempts, now, rng)
    health.record_error(db, post.platform, error.message, now)
    if decision.action == "duplicate":
        remote_id, url = getattr(error, "remote_id", None), None
        note = ""
        if remote_id is not None and (owner := _owner_of(db, post, remote_id)) is not None:
            # The platform's copy is another of our posts (a re-appeal worded as the first):
            # that post owns it and its withdrawal deletes it.
            remote_id, note = None, f"; the post there is post {owner}'s"
        elif remote_id is None:
            # A withdrawal can only delete a post whose id it knows: find the one already there.
            try:
                found, _ = find_own(db, publisher, post)
            except PublishError:
                found = None
            if found is not None:
                remote_id, url = found.remote_id, found.url
        _mark_sent(db, post, remote_id, url, now)
        detail = f"already posted, not re-sent: {error.message}{note}"
        events.record_post(db, post, "send", "duplicate", detail, now=now)
        return "duplicate"
    if decision.action == "pause":
        # The post did not go out: give the attempt back and wait for working credentials.
        transition(db, post.id, S.QUEUED, attempts=max(0, post.attempts - 1), claimed_by=None)
        health.pause(db, post.platform, decision.reason, now)
        events.record_post(
            db, post, "send", "paused", f"{post.platform} paused: {decision.reason}", now
        )
        return "paused"
    if decision.action in ("retry", "reconcile"):
        retry_at = decision.retry_at or now
        transition(
            db,
            post.id,
            S.QUEUED,
            next_attempt_at=to_iso(retry_at),
            needs_reconcile=int(decision.action == "reconcile" or post.needs_reconcile),
            last_error=error.message,
            claimed_by=None,
        )
        if isinstance(error, RateLimited):
            health.hold(db, post.platform, retry_at)
        events.record_post(
            db, post, "send", "retry", f"{error.message}; next try {to_iso(retry_at)}", now=now
        )
        return "retry"
    transition(db, post.id, S.FAILED, last_error=decision.reason, claimed_by=None)
    events.record_post(db, post, "send", "failed", decision.reason, now=now)
    return "failed"


# The daemon's frequent ticks check a paused platform's credentials at most this often: the
# urgent job runs every 15 s, and a check a tick would spend hundreds of calls an hour on a
# revoked token. A person running ``post`` gets a check every time.
RESUME_CHECK_INTERVAL = timedelta(minutes=1)


def try_resume(
    db: sqlite_utils.Database,
    publisher: Publisher,
    now: datetime,
    min_interval: timedelta | None = None,
) -> bool:
    """A paused platform resumes as soon as its cheapest authenticated call works again."""
    last_refusal = health.get_health(db, publisher.platform).last_error_at
    if min_interval and last_refusal and now - from_iso(last_refusal) < min_interval:
        return False
    try:
        account = publisher.check_credentials()
    except AuthExpired as error:
        health.record_error(db, publisher.platform, error.message, now)
        return False
    except PublishError:
        return False
    health.resume(db, publisher.platform)
    events.record(
        db,
        "credentials",
        "resumed",
        f"credentials work again ({account})",
        platform=publisher.platform,
        now=now,
    )
    return True


def stops_platform(db: sqlite_utils.Database, name: str, outcome: str, clock: Clock) -> bool:
    """Whether an outcome ends sending on this platform for now: paused, or rate limited."""
    return outcome == "paused" or health.get_health(db, name).held(clock())


def run_slot(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    settings: Settings,
    *,
    limit: int | None = None,
    due_only: bool = True,
    clock: Clock = utcnow,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
    max_priority: int | None = None,
    resume_check_interval: timedelta | None = None,
) -> SlotReport:
    """Send queued posts in queue order, ignoring the slots: ``post --all`` (``due_only=False``)
    and tests. Up to ``limit`` posts per platform (None: no limit), within the daily limits.
    The daemon and ``post`` send by the plan instead (:mod:`bot.sending.due`).

    Posts are claimed one at a time, so a stop request between two posts leaves nothing in
    ``sending``.
    """
    report = SlotReport()
    owner = process_owner()
    cards = CardMaker.from_settings(settings)
    for name, publisher in publishers.items():
        now = clock()
        state = health.get_health(db, name)
        if state.paused_reason and not try_resume(db, publisher, now, resume_check_interval):
            report.skipped[name] = f"paused: {state.paused_reason}"
            continue
        if state.held(now):
            report.skipped[name] = f"rate limited until {state.hold_until}"
            continue
        sent = 0
        while limit is None or sent < limit:
            if stop is not None and stop.is_set():
                break
            now = clock()
            daily = settings.daily_limit(name)
            normal = normal_budget(daily, settings.urgent_budget_share)
            # The day's count once a send, in the claim's own transaction.
            with immediate(db):
                used = budget_used(db, name, now)
                if used >= daily:
                    report.skipped[name] = f"daily limit of {daily} reached"
                    break
                ceiling = max_priority
                if used >= normal:
                    # The rest of the day's allowance is kept for urgent appeals.
                    ceiling = PRIORITY_URGENT
                post = claim_next(
                    db,
                    name,
                    now,
                    owner,
                    due_only=due_only,
                    max_priority=ceiling,
                    daily_limit=daily,
                    normal_limit=normal,
                    used=used,
                )
            if post is None:
                if ceiling != max_priority:
                    report.skipped[name] = (
                        f"normal posts stop at {normal} of {daily} a day;"
                        " the rest is kept for urgent appeals"
                    )
                break
            outcome = send_post(db, publisher, post, now, rng, cards)
            report.tally(db, name, post.id, outcome)
            if outcome in ("sent", "duplicate"):
                sent += 1
            elif outcome not in ("failed", "cancelled") and stops_platform(
                db, name, outcome, clock
            ):
                break
    return report


def _pid_alive(owner: str | None) -> bool:
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != process_owner().rpartition(":")[0] or not (pid.isascii() and pid.isdigit()):
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Every network call of a send has a deadline (photo, upload, create: about a minute at most),
# so a claim held longer than this is stranded: the process hit an error writing the outcome
# (a full disk) or lost the thread. The daemon sweeps such claims every minute.
STALE_CLAIM_AGE = timedelta(minutes=5)


def is_stale_claim(
    owner: str | None,
    claimed_at: str | None,
    now: datetime,
    is_alive: Callable[[str | None], bool] = _pid_alive,
    max_age: timedelta | None = STALE_CLAIM_AGE,
) -> bool:
    """Whether a ``sending`` claim is no longer being worked on: its process is gone, or it is
    older than ``max_age`` (None: age alone never makes it stale)."""
    if not is_alive(owner):
        return True
    return bool(max_age and claimed_at and now - from_iso(claimed_at) > max_age)


def reconcile_stale(
    db: sqlite_utils.Database,
    is_alive: Callable[[str | None], bool] = _pid_alive,
    now: datetime | None = None,
    *,
    own_too: bool = True,
    max_age: timedelta | None = None,
) -> list[int]:
    """Posts left in ``sending`` by a process that died go back to the queue, flagged so the
    platform is searched for them before any resend. Returns their ids.

    ``own_too`` (at the daemon's start and stop) also takes this process's claims, as nothing
    of it is in flight then; the daemon's periodic sweep passes False and ``max_age`` instead,
    so a claim stranded in a live process (writing "sent" failed) is found within minutes.
    """
    now = now or utcnow()
    stale = [
        (row["id"], row["claimed_by"])
        for row in db.query("SELECT id, claimed_by, claimed_at FROM posts WHERE status = 'sending'")
        if is_stale_claim(row["claimed_by"], row["claimed_at"], now, is_alive, max_age)
        or (own_too and row["claimed_by"] == process_owner())
    ]
    recovered = []
    for post_id, owner in stale:
        post = get_post(db, post_id)
        if transition(
            db, post_id, S.QUEUED, claimed_by_was=owner, needs_reconcile=1, claimed_by=None
        ):
            recovered.append(post_id)
            events.record(
                db,
                "recover",
                "retry",
                "left in sending (its process stopped, or the outcome could not be saved);"
                " will check the platform before resending",
                post_id=post_id,
                item_id=post.item_id,
                platform=post.platform,
                now=now,
            )
    return recovered
