"""The schedule: the one place that decides when each waiting post goes out. Pure.

:func:`plan` maps the waiting posts, each platform's state (paused, rate-limit hold, what went
out in the last 24 hours and in the slots still open) and the rules (``POST_SLOTS`` in
``TIMEZONE``, ``POSTS_PER_SLOT``, the daily limits, ``URGENT_BUDGET_SHARE``,
``SLOT_CATCH_UP_MINUTES``) to a :class:`Placement` per post: a concrete time (aware, UTC) or the
reason it has none. The sender sends what the plan says is due; ``queue``, ``schedule``, the
dashboard and every command that queues or moves a post show the same plan.

The rules, in the order they apply:

- A draft waits for approval; a post on a paused platform waits for its credentials. No time.
- Nothing goes out on a platform before its rate-limit hold ends, nor before a post's own retry
  time after a transient failure.
- An urgent appeal goes at once, outside the slots.
- A pinned post (``add --at``, the dashboard's reschedule, ``approve``/``edit --at``) goes at its
  minute, outside the slots. A pin missed by more than the catch-up window (the bot was
  stopped), or refused by the daily limit, falls back to the next slot with room, with a note.
- Any other post takes the first slot at or after it was queued (or approved) that has room:
  at most ``POSTS_PER_SLOT`` posts per platform and page, urgent first, then appeals, then
  news, then the oldest first. A slot stays open for ``SLOT_CATCH_UP_MINUTES`` (at least its
  own minute, :data:`SLOT_MINUTE`) after its time,
  so a slot cut short by a stop, missed while the host slept, or held by a retry or a rate
  limit is finished late rather than a day later.
- Daily limits are X's own rolling 24 hours, counted from what really went out: at most the
  platform's limit a day, and past ``1 - URGENT_BUDGET_SHARE`` of it only urgent appeals.

Times are placed in time order, so each post is checked against every post placed before it
(limits are never exceeded by a later decision); the same inputs always give the same plan.
Posts waiting for the same slot wait in one line that moves on together, so 1,400 posts behind
full slots plan in about 18 ms, not the 275 ms of offering each post each slot in turn (the
tests hold the plan to that simpler planner's exact answer).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.settings import KNOWN_PLATFORMS, Settings

PRIORITY_URGENT = 0
DAY = timedelta(hours=24)
# How far ahead a post is looked for a slot; a queue that needs more is too long to be useful.
HORIZON = timedelta(days=60)
# A slot is named to the minute and its job fires a moment into that minute (never exactly on
# it), so its window is at least the minute: with SLOT_CATCH_UP_MINUTES=0 a window of no time
# at all would send no slot's posts ever, not just catch none up.
SLOT_MINUTE = timedelta(minutes=1)

How = Literal["urgent", "pinned", "slot", "waiting"]


@dataclass(frozen=True)
class Waiting:
    """A post the plan places: queued, or a draft waiting for approval.

    ``ready_at`` is when it joined the queue (or was approved, or the ``scheduled_at`` a person
    gave it): it never takes a slot before that. Times are aware datetimes.
    """

    id: int
    platform: str
    target: str
    priority: int
    ready_at: datetime
    draft: bool = False
    retry_at: datetime | None = None
    pinned_at: datetime | None = None


@dataclass(frozen=True)
class PlatformState:
    """What the plan needs to know of a platform's recent past, read from the database.

    ``sent_times``: when posts went out (or are going out) in the 24 hours before now.
    ``slot_used``: posts already sent in a slot, by (slot key, page), for slots still open.
    """

    paused: str | None = None
    hold_until: datetime | None = None
    sent_times: tuple[datetime, ...] = ()
    slot_used: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    """The settings the plan follows (see bot.core.settings for each one's meaning)."""

    slots: tuple[time, ...]
    zone: ZoneInfo
    per_slot: int
    daily_limits: Mapping[str, int]
    urgent_share: float
    catch_up: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            slots=settings.post_slots,
            zone=settings.timezone,
            per_slot=settings.posts_per_slot,
            daily_limits={name: settings.daily_limit(name) for name in KNOWN_PLATFORMS},
            urgent_share=settings.urgent_budget_share,
            catch_up=catch_up_window(settings),
        )

    def daily_limit(self, platform: str) -> int:
        return self.daily_limits.get(platform, 0)

    def normal_limit(self, platform: str) -> int:
        return normal_budget(self.daily_limit(platform), self.urgent_share)


@dataclass(frozen=True)
class Placement:
    """When one post goes out. ``at`` is aware UTC, or None with ``note`` saying why not.

    ``how``: urgent (at once), pinned (a person's minute), slot (``slot`` is its key, local
    ``YYYY-MM-DDTHH:MM``; ``at`` is later than the slot's time when it is caught up or held),
    or waiting (no time). ``note`` also says when a pinned time could not be kept.
    ``order`` is the sending order among posts due at once.
    """

    post_id: int
    platform: str
    target: str
    at: datetime | None
    how: How
    slot: str | None = None
    note: str = ""
    order: int = 0

    def due(self, now: datetime) -> bool:
        return self.at is not None and self.at <= now


def catch_up_window(settings: Settings) -> timedelta:
    """How long after its time a slot's posts still go: ``SLOT_CATCH_UP_MINUTES``, and at
    least the slot's own minute (:data:`SLOT_MINUTE`)."""
    return max(timedelta(minutes=settings.slot_catch_up_minutes), SLOT_MINUTE)


def normal_budget(daily_limit: int, urgent_share: float) -> int:
    """How many of a day's posts non-urgent posts may use: the rest is URGENT_BUDGET_SHARE's.

    Rounded down (an urgent appeal gets at least its share), and computed in whole hundredths
    so 10 × (1 − 0.3) is 7, not 6 from floating-point noise.
    """
    return (daily_limit * round((1 - urgent_share) * 10_000)) // 10_000


def slot_key(moment: datetime, zone: ZoneInfo) -> str:
    """A slot's name: its local date and time, e.g. ``2026-03-29T09:00``."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def latest_slot(now: datetime, slots: tuple[time, ...], zone: ZoneInfo) -> datetime | None:
    """The most recent slot at or before ``now`` (today or yesterday), aware, in ``zone``."""
    local = now.astimezone(zone)
    for days_back in (0, 1):
        day = local.date() - timedelta(days=days_back)
        for slot in sorted(slots, reverse=True):
            candidate = datetime.combine(day, slot, tzinfo=zone)
            if candidate <= local:
                return candidate
    return None


def next_slot(now: datetime, slots: tuple[time, ...], zone: ZoneInfo) -> datetime:
    """The first slot after ``now``, aware, in ``zone``. Raises ValueError with no slots."""
    local = now.astimezone(zone)
    for days_ahead in (0, 1):
        day = local.date() + timedelta(days=days_ahead)
        for slot in sorted(slots):
            candidate = datetime.combine(day, slot, tzinfo=zone)
            if candidate > local:
                return candidate
    raise ValueError("no posting slots configured")


def slot_times(rules: Rules, start: datetime, end: datetime) -> list[datetime]:
    """Every slot from ``start`` to ``end`` inclusive, as aware UTC datetimes, in order.

    Built from local dates, so a slot keeps its wall-clock time across a summer-time change; a
    slot that falls in the hour skipped in spring goes out an hour later, and one in the hour
    repeated in autumn goes out the first time round.
    """
    if not rules.slots:
        return []
    times: set[datetime] = set()
    day = start.astimezone(rules.zone).date() - timedelta(days=1)
    last = end.astimezone(rules.zone).date() + timedelta(days=1)
    while day <= last:
        for slot in rules.slots:
            local = datetime.combine(day, slot, tzinfo=rules.zone)
            moment = local.astimezone(UTC)
            if start <= moment <= end:
                times.add(moment)
        day += timedelta(days=1)
    return sorted(times)


def slot_open(rules: Rules, now: datetime, within: timedelta = timedelta(0)) -> bool:
    """Whether a slot's window is open at ``now`` or opens within ``within`` of it: a slot no
    more than ``SLOT_CATCH_UP_MINUTES`` before ``now``, or up to ``within`` after it."""
    return bool(slot_times(rules, now - rules.catch_up, now + within))


def may_be_due(
    posts: Iterable[Waiting],
    rules: Rules,
    now: datetime,
    within: timedelta = timedelta(0),
    platforms: Mapping[str, PlatformState] | None = None,
) -> bool:
    """False only when :func:`plan` would place no post at ``now + within`` or earlier: the
    urgent check's way (``within`` 0) to skip planning a long queue every 15 s when nothing can
    go, and the photo check's to find what is due soon.

    Every time the plan gives is ``now`` or later (no post goes before now), and holds, retries
    and daily limits only make times later. So a slot's post can be placed that early only if
    a slot's window is open by then, an urgent appeal only if it is ready by then, a pinned
    post only if its minute has come by then and was no more than the catch-up window ago
    (missed by more, it takes a slot). ``posts`` need hold only the urgent and pinned ones;
    others cannot make it True. Given the ``platforms``' states (as :func:`plan` takes them),
    a post is also ruled out while its platform is paused or held, its retry time is later,
    or its daily limit is used up by posts already out until then.
    """
    if slot_open(rules, now, within):
        return True
    until = now + within
    return any(
        not post.draft
        and (
            (post.priority == PRIORITY_URGENT and post.ready_at <= until)
            or (post.pinned_at is not None and now - rules.catch_up <= post.pinned_at <= until)
        )
        and (post.retry_at is None or post.retry_at <= until)
        and (platforms is None or _may_go(post, platforms.get(post.platform), rules, until))
        for post in posts
    )


def _may_go(post: Waiting, state: PlatformState | None, rules: Rules, until: datetime) -> bool:
    """Whether the platform's state lets ``post`` go at ``until`` or earlier. Sends already out
    never leave the 24 hours before a moment sooner than they leave the 24 before ``until``."""
    if state is None:
        return True
    if state.paused or (state.hold_until is not None and state.hold_until > until):
        return False
    urgent = post.priority == PRIORITY_URGENT
    limit = rules.daily_limit(post.platform) if urgent else rules.normal_limit(post.platform)
    return sum(1 for sent in state.sent_times if sent >= until - DAY) < limit


# Heap entry kinds; also the tie-break after time and priority (urgent, then pinned, then slot).
_URGENT, _PIN, _SLOT = 0, 1, 2

_Entry = tuple[datetime, int, int, datetime, int, int]


def plan(
    posts: Iterable[Waiting],
    platforms: Mapping[str, PlatformState],
    rules: Rules,
    now: datetime,
) -> dict[int, Placement]:
    """A placement for every post, keyed by post id. Deterministic; see the module docstring.

    Costs about (posts + slots) x log(posts): posts waiting for the same slot wait together
    (:class:`_Line`), so a queue of thousands behind full slots is not offered each slot post
    by post.
    """
    groups: dict[str, list[Waiting]] = defaultdict(list)
    for post in posts:
        groups[post.platform].append(post)
    slots = slot_times(rules, now - rules.catch_up - DAY, now + HORIZON)
    placements: dict[int, Placement] = {}
    for name in sorted(groups):
        planner = _PlatformPlan(name, platforms.get(name, PlatformState()), rules, now, slots)
        placements.update(planner.place(groups[name]))
    return placements


@dataclass
class _Line:
    """A page's posts waiting for the same slot at the same moment, best first.

    Every member could take the slot at ``at`` (its ready time and its own earliest time are at
    or before the slot's), so the slot treats them alike: when it is full, or the day's limit
    stops the first non-urgent member, every member meets the same fate, and the line moves on
    whole instead of post by post. One heap entry (``entry``) stands for the first member.
    """

    at: datetime
    index: int
    members: list[tuple[int, datetime, int]] = field(default_factory=list)  # priority, ready, id
    entry: _Entry | None = None


class _PlatformPlan:
    """One platform's placements: platforms share nothing, so each is planned on its own."""

    def __init__(
        self,
        name: str,
        state: PlatformState,
        rules: Rules,
        now: datetime,
        slots: list[datetime],
    ) -> None:
        self.name, self.state, self.rules, self.now, self.slots = name, state, rules, now, slots
        self.keys = [slot_key(moment, rules.zone) for moment in slots]
        self.limits = (rules.daily_limit(name), rules.normal_limit(name))
        # Slots already full, per page: a post passed on skips them without trying each.
        self.full: dict[str, set[int]] = defaultdict(set)
        self.floor = max(now, state.hold_until or now)
        self.sent = sorted(state.sent_times)
        self.slot_used: dict[tuple[str, str], int] = dict(state.slot_used)
        self.heap: list[_Entry] = []
        self.posts: dict[int, Waiting] = {}
        self.notes: dict[int, str] = {}
        # A post has one live heap entry: its own (``live``) or, in a line, the line's.
        self.live: dict[int, _Entry] = {}
        self.lines: dict[str, _Line] = {}
        self.in_line: dict[int, str] = {}

    def place(self, posts: list[Waiting]) -> dict[int, Placement]:
        done: dict[int, Placement] = {}
        for post in posts:
            if post.draft:
                done[post.id] = self._waiting(post, _draft_note(post, self.rules.zone))
            elif self.state.paused:
                done[post.id] = self._waiting(post, f"{self.name} is paused: {self.state.paused}")
            else:
                self.posts[post.id] = post
                self._push_first(post)
        order = 0
        while self.heap:
            entry = heapq.heappop(self.heap)
            at, _, kind, _, post_id, index = entry
            post = self.posts[post_id]
            target = self.in_line.get(post_id)
            if target is not None:
                line = self.lines[target]
                if entry != line.entry:
                    continue  # stood for a line's first member before another took its place
                placed = self._try_line(line, post)
            elif self.live.get(post_id) == entry:
                del self.live[post_id]
                placed = self._try(post, at, kind, index)
            else:
                continue
            if placed is not None:
                done[post_id] = Placement(
                    post_id=post_id,
                    platform=self.name,
                    target=post.target,
                    at=at,
                    how=placed[0],
                    slot=placed[1],
                    note=self.notes.get(post_id, ""),
                    order=order,
                )
                order += 1
        for post_id, post in self.posts.items():
            if post_id not in done:
                why = (
                    self.notes.get(post_id) or f"no slot with room in the next {HORIZON.days} days"
                )
                done[post_id] = self._waiting(post, why)
        return done

    def _waiting(self, post: Waiting, note: str) -> Placement:
        return Placement(post.id, self.name, post.target, None, "waiting", note=note)

    def _not_before(self, post: Waiting) -> datetime:
        return max(self.floor, post.retry_at or self.floor)

    def _push(self, at: datetime, kind: int, post: Waiting, index: int = -1) -> None:
        entry = (at, post.priority, kind, post.ready_at, post.id, index)
        self.live[post.id] = entry
        heapq.heappush(self.heap, entry)

    def _offer(self, at: datetime, post: Waiting, index: int) -> None:
        """Offer the post slot ``index`` at ``at``: in the page's line if it waits for the same
        slot at the same moment and could take it (see :class:`_Line`), else on its own."""
        slot = self.slots[index]
        if post.ready_at > slot or self._not_before(post) > slot:
            self._push(at, _SLOT, post, index)
            return
        line = self.lines.get(post.target)
        if line is None or not line.members:
            line = self.lines[post.target] = _Line(at, index)
        if (line.at, line.index) != (at, index):
            self._push(at, _SLOT, post, index)
            return
        heapq.heappush(line.members, (post.priority, post.ready_at, post.id))
        self.in_line[post.id] = post.target
        self._stand_for(line)

    def _stand_for(self, line: _Line) -> None:
        """Keep one heap entry for the line's first member, as its own entry would be."""
        if not line.members:
            line.entry = None
            return
        priority, ready, post_id = line.members[0]
        entry = (line.at, priority, _SLOT, ready, post_id, line.index)
        if entry != line.entry:
            line.entry = entry
            heapq.heappush(self.heap, entry)

    def _push_first(self, post: Waiting) -> None:
        not_before = self._not_before(post)
        if post.pinned_at is not None:
            if self.now - post.pinned_at <= self.rules.catch_up:
                self._push(max(post.pinned_at, not_before), _PIN, post)
                return
            self.notes[post.id] = (
                f"pinned time {local_label(post.pinned_at, self.rules.zone)} passed while the bot"
                " was stopped; it takes the next slot"
            )
            self._push_slot(post, post.pinned_at, 0)
        elif post.priority == PRIORITY_URGENT:
            self._push(max(post.ready_at, not_before), _URGENT, post)
        else:
            self._push_slot(post, post.ready_at, 0)

    def _next_open(self, target: str, index: int) -> int:
        full = self.full[target]
        while index in full:
            index += 1
        return index

    def _push_slot(self, post: Waiting, ready: datetime, from_index: int) -> None:
        """Offer the post to the first slot from ``from_index`` it can still make."""
        not_before = self._not_before(post)
        index = max(
            from_index,
            bisect_left(self.slots, ready),
            bisect_left(self.slots, not_before - self.rules.catch_up),
        )
        index = self._next_open(post.target, index)
        if index < len(self.slots):
            self._offer(max(self.slots[index], not_before), post, index)

    def _used(self, at: datetime) -> int:
        """Posts out in the 24 hours up to ``at``, as :func:`bot.posts.queue.budget_used` counts."""
        return bisect_right(self.sent, at) - bisect_left(self.sent, at - DAY)

    def _try_line(self, line: _Line, post: Waiting) -> tuple[How, str | None] | None:
        """The line's first member's turn at its slot; when it cannot go, neither can the rest,
        and the line moves on whole, as each member would on its own (:meth:`_try`)."""
        heapq.heappop(line.members)
        del self.in_line[post.id]
        line.entry = None
        at, index = line.at, line.index
        if post.priority == PRIORITY_URGENT:
            # A pinned urgent appeal that fell back to a slot: its limit is not the others'.
            placed = self._try(post, at, _SLOT, index)
            self._stand_for(line)
            return placed
        limit = self.limits[1]
        if limit <= 0:
            for member in [post.id] + [member[2] for member in line.members]:
                self.notes[member] = f"{self._limit_words(False)} is 0: it cannot go out"
            self._clear(line)
            return None
        room = self._room(index, post.target)
        if room > 0 and self._used(at) < limit:
            self._stand_for(line)
            return self._take(index, post.target, at)
        heapq.heappush(line.members, (post.priority, post.ready_at, post.id))
        self.in_line[post.id] = post.target
        if room > 0:
            frees_at = self._frees_at(at, limit)
            if frees_at <= self.slots[index] + self.rules.catch_up:
                line.at = frees_at
                self._stand_for(line)
                return None
        following = self._next_open(post.target, index + 1)
        if following >= len(self.slots):
            self._clear(line)
            return None
        line.at, line.index = self.slots[following], following
        self._stand_for(line)
        return None

    def _room(self, index: int, target: str) -> int:
        """Places left for ``target``'s posts in slot ``index``; a slot with none is marked full,
        so posts passed on skip it."""
        room = self.rules.per_slot - self.slot_used.get((self.keys[index], target), 0)
        if room <= 0:
            self.full[target].add(index)
        return room

    def _take(self, index: int, target: str, at: datetime) -> tuple[How, str]:
        """Give a place in slot ``index`` to one of ``target``'s posts, going at ``at``."""
        key = self.keys[index]
        used = self.slot_used[(key, target)] = self.slot_used.get((key, target), 0) + 1
        if used >= self.rules.per_slot:
            self.full[target].add(index)
        insort(self.sent, at)
        return "slot", key

    def _clear(self, line: _Line) -> None:
        """No slot is left for the line's members: they stay waiting."""
        for _, _, post_id in line.members:
            self.in_line.pop(post_id, None)
        line.members.clear()
        line.entry = None

    def _try(
        self, post: Waiting, at: datetime, kind: int, index: int
    ) -> tuple[How, str | None] | None:
        """Place the post at ``at`` if every limit allows; else offer it the next chance."""
        urgent = post.priority == PRIORITY_URGENT
        limit = self.limits[0] if urgent else self.limits[1]
        if limit <= 0:
            self.notes[post.id] = f"{self._limit_words(urgent)} is 0: it cannot go out"
            return None
        within_limit = self._used(at) < limit
        if kind == _SLOT:
            room = self._room(index, post.target)
            if room > 0 and within_limit:
                return self._take(index, post.target, at)
            if room > 0:
                # The day's limit may free up while the slot is still open: then it goes late.
                frees_at = self._frees_at(at, limit)
                if frees_at <= self.slots[index] + self.rules.catch_up:
                    self._offer(frees_at, post, index)
                    return None
            self._push_slot(post, post.ready_at, index + 1)
            return None
        if within_limit:
            insort(self.sent, at)
            return ("urgent" if kind == _URGENT else "pinned"), None
        if kind == _PIN:
            pinned = local_label(at, self.rules.zone)
            self.notes[post.id] = (
                f"pinned time {pinned} not kept: {self._limit_words(urgent)} reached then;"
                " it takes the next slot with room"
            )
            self._push_slot(post, at, 0)
            return None
        self.notes[post.id] = f"daily limit of {limit} reached; goes when it frees up"
        self._push(self._frees_at(at, limit), _URGENT, post)
        return None

    def _frees_at(self, at: datetime, limit: int) -> datetime:
        """When fewer than ``limit`` posts are out in the 24 hours before: the moment enough of
        those out at ``at`` turn 24 hours old."""
        window = self.sent[bisect_left(self.sent, at - DAY) :]
        return window[len(window) - limit] + DAY + timedelta(seconds=1)

    def _limit_words(self, urgent: bool) -> str:
        daily = self.rules.daily_limit(self.name)
        if urgent:
            return f"the daily limit of {daily}"
        normal = self.rules.normal_limit(self.name)
        return f"the {normal} of {daily} daily posts open to non-urgent posts"


def local_label(moment: datetime, zone: ZoneInfo) -> str:
    """A time as people read it: local, to the minute, with the zone's name (``09:00 BST``)."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def iso_local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """A time for JSON: ISO 8601 in ``zone`` with its offset (``2026-03-29T09:00:00+01:00``)."""
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None


def when_text(placement: Placement, zone: ZoneInfo, now: datetime) -> str:
    """When the post goes out, in words for the comms team, with any note on the plan."""
    if placement.at is None:
        return placement.note
    at = "now" if placement.at <= now else local_label(placement.at, zone)
    if placement.how == "slot" and placement.slot:
        slot_time = placement.slot[-5:]
        late = placement.at.astimezone(zone).strftime("%Y-%m-%dT%H:%M") != placement.slot
        how = f"catching up the {slot_time} slot" if late else "slot"
    else:
        how = placement.how
    text = f"{at} ({how})"
    return f"{text}; {placement.note}" if placement.note else text


def _draft_note(post: Waiting, zone: ZoneInfo) -> str:
    if post.pinned_at is not None:
        return f"waits for approval; pinned to {local_label(post.pinned_at, zone)}"
    return "waits for approval"
