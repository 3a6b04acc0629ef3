"""Sending by the plan: what is due now, and exactly the posts a person names.

:func:`send_due` sends the posts :func:`bot.sending.plan.current_plan` says are due (the
daemon's slot jobs and its urgent tick, ``run_bot.py post``), so a post goes out at the time
people were shown. :func:`send_named` sends the posts a person picked (``post ID …``, the
dashboard's "Send now"), never others, and says for each what happened. Both claim through
:func:`bot.posts.queue.claim`, which checks the daily limits and the slot's room in the same
transaction, so a second process or job can never push a slot or a day over its limit.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlite_utils

from bot.core.clock import Clock, local_text, utcnow
from bot.core.errors import AppealBotError
from bot.core.settings import Settings
from bot.platforms.base import Publisher
from bot.posts.approval import is_queue_number, resolve
from bot.posts.queue import PRIORITY_URGENT, SlotRoom, budget_used, claim, get_post, process_owner
from bot.posts.schedule import normal_budget
from bot.posts.states import PostStatus
from bot.sending import health
from bot.sending.card_attach import CardMaker
from bot.sending.plan import current_plan, may_be_due_now
from bot.sending.publishing import (
    SENT_WITHOUT_PHOTO,
    SlotReport,
    send_post,
    stops_platform,
    try_resume,
)

S = PostStatus


def _limits(settings: Settings, platform: str) -> tuple[int, int]:
    """The platform's daily limit, and how much of it non-urgent posts may use."""
    daily = settings.daily_limit(platform)
    return daily, normal_budget(daily, settings.urgent_budget_share)


def _resume_paused(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    clock: Clock,
    interval: timedelta | None,
) -> dict[str, str]:
    """Try each paused platform's credentials; returns the ones still paused, with why."""
    still: dict[str, str] = {}
    for name, publisher in publishers.items():
        reason = health.get_health(db, name).paused_reason
        if reason and not try_resume(db, publisher, clock(), interval):
            still[name] = reason
    return still


def send_due(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    settings: Settings,
    *,
    clock: Clock = utcnow,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
    resume_check_interval: timedelta | None = None,
) -> SlotReport:
    """Send every post the plan says is due now, in the plan's order, on ``publishers``.

    A stop request is honoured between two posts (nothing is left in ``sending``); a platform
    that pauses or is rate limited mid-run sends nothing more this run.
    """
    report = SlotReport()
    paused = _resume_paused(db, publishers, clock, resume_check_interval)
    report.skipped.update({name: f"paused: {why}" for name, why in paused.items()})
    now = clock()
    live = [name for name in publishers if name not in paused]
    placements = (
        current_plan(db, settings, now, platforms=live)
        if may_be_due_now(db, settings, now, platforms=live)
        else {}
    )
    rank = {name: n for n, name in enumerate(publishers)}  # PLATFORMS' order on a tie
    due = sorted(
        (p for p in placements.values() if p.due(now)),
        key=lambda p: (p.at, p.order, rank[p.platform]),
    )
    owner, stopped = process_owner(), set()
    cards = CardMaker.from_settings(settings) if due else None
    for placement in due:
        if stop is not None and stop.is_set():
            break
        name = placement.platform
        if name in stopped:
            continue
        slot = SlotRoom(placement.slot, settings.posts_per_slot) if placement.slot else None
        daily, normal = _limits(settings, name)
        post, _ = claim(
            db, placement.post_id, clock(), owner, daily_limit=daily, normal_limit=normal, slot=slot
        )
        if post is None:
            continue  # changed meanwhile (sent by another job, withdrawn, edited)
        outcome = send_post(db, publishers[name], post, clock(), rng, cards)
        report.tally(db, name, post.id, outcome)
        if outcome not in ("sent", "duplicate", "failed", "cancelled") and stops_platform(
            db, name, outcome, clock
        ):
            stopped.add(name)
    for name in live:
        note = _limit_note(db, settings, name, clock())
        if note and name not in report.skipped:
            report.skipped[name] = note
    return report


def _limit_note(
    db: sqlite_utils.Database, settings: Settings, name: str, now: datetime
) -> str | None:
    """Why posts still queued on ``name`` wait for a daily limit, if they do."""
    daily, normal = _limits(settings, name)
    used = budget_used(db, name, now)
    waiting = db.execute(
        "SELECT MIN(priority) , MAX(priority) FROM posts WHERE platform = ? AND status = 'queued'",
        [name],
    ).fetchone()
    if waiting[0] is None:
        return None
    if used >= daily:
        return f"daily limit of {daily} reached"
    if used >= normal and waiting[1] != PRIORITY_URGENT:
        return (
            f"normal posts stop at {normal} of {daily} a day; the rest is kept for urgent appeals"
        )
    return None


@dataclass(frozen=True)
class Outcome:
    """What happened to one named post: ``sent`` or not, and the link or the reason."""

    post_id: int
    platform: str
    sent: bool
    detail: str

    def line(self) -> str:
        where = f"post {self.post_id} ({self.platform})"
        return f"{where}: {'sent' if self.sent else 'not sent'}: {self.detail}"


@dataclass
class NamedReport:
    """What :func:`send_named` did, one :class:`Outcome` per post, in the order asked."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def sent(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.sent]

    @property
    def not_sent(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.sent]

    def lines(self) -> list[str]:
        head = f"sent {len(self.sent)} of {len(self.outcomes)}"
        return [head, *(o.line() for o in self.outcomes)]


def named_posts(db: sqlite_utils.Database, refs: Iterable[str]) -> list[int]:
    """The queue ids ``refs`` name: a queue id is that post; an appeal's (or news item's) id
    is its posts still waiting to go (queued or draft). Raises NotFound for an unknown ref."""
    ids: list[int] = []
    for ref in refs:
        found = resolve(db, ref)
        if len(found) > 1 or not is_queue_number(ref):
            waiting = [i for i in found if get_post(db, i).status in (S.QUEUED, S.DRAFT)]
            if not waiting:
                raise AppealBotError(f"{ref}: none of its posts is waiting to go out")
            found = waiting
        ids += [i for i in found if i not in ids]
    return ids


def send_named(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    settings: Settings,
    ids: Iterable[int],
    *,
    clock: Clock = utcnow,
    rng: random.Random | None = None,
) -> NamedReport:
    """Send exactly these queued posts now, outside the slots, within the daily limits.

    Nothing else goes. A post that cannot go (a draft, already sent, its platform paused or
    rate limited, the day's limit reached) is reported with the reason and left as it was.
    """
    report = NamedReport()
    owner = process_owner()
    cards = CardMaker.from_settings(settings)
    for post_id in ids:
        post = get_post(db, post_id)
        report.outcomes.append(
            _send_one(db, publishers, settings, post.id, post.platform, owner, clock, rng, cards)
        )
    return report


def _send_one(
    db: sqlite_utils.Database,
    publishers: Mapping[str, Publisher],
    settings: Settings,
    post_id: int,
    name: str,
    owner: str,
    clock: Clock,
    rng: random.Random | None,
    cards: CardMaker | None,
) -> Outcome:
    def refused(why: str) -> Outcome:
        return Outcome(post_id, name, False, why)

    publisher = publishers.get(name)
    if publisher is None:
        return refused(f"{name} is not enabled here")
    status = get_post(db, post_id).status
    if status == S.DRAFT:
        return refused("it is a draft: approve it first")
    if status != S.QUEUED:
        return refused(f"it is {status}, not waiting to go out")
    state = health.get_health(db, name)
    if state.paused_reason and not try_resume(db, publisher, clock()):
        return refused(f"{name} is paused: {state.paused_reason}")
    if state.held(clock()):
        until = local_text(state.hold_until or "", settings.timezone)
        return refused(f"{name} asked us to wait (rate limit) until {until}")
    daily, normal = _limits(settings, name)
    post, why = claim(
        db, post_id, clock(), owner, daily_limit=daily, normal_limit=normal, wait_for_retry=False
    )
    if post is None:
        return refused(why)
    outcome = send_post(db, publisher, post, clock(), rng, cards)
    after = get_post(db, post_id)
    if outcome in ("sent", "duplicate"):
        detail = after.remote_url or "already on the platform"
        if after.degraded:
            detail += f" ({SENT_WITHOUT_PHOTO}: {after.degraded})"
        return Outcome(post_id, name, True, detail)
    if outcome == "cancelled":
        return refused("its appeal was withdrawn")
    if outcome == "failed":
        return refused(f"failed: {after.last_error}")
    if outcome == "paused":
        return refused(f"{name} refused our credentials and is paused: {after.last_error or ''}")
    retry = db.execute("SELECT next_attempt_at FROM posts WHERE id = ?", [post_id]).fetchone()[0]
    when = local_text(retry, settings.timezone) if retry else "later"
    return refused(f"{after.last_error}; it tries again at {when}")
