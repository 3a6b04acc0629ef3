"""The slot planner as it was before buckets (bot.posts.schedule), kept as the tests' oracle.

Each post waiting for a slot is its own heap entry and is offered every slot in turn, so it
costs posts x slots; it is simple enough to trust, and :func:`bot.posts.schedule.plan` must
give exactly its answer on any input (tests/posts/test_schedule.py).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from bot.posts.schedule import (
    DAY,
    HORIZON,
    PRIORITY_URGENT,
    How,
    Placement,
    PlatformState,
    Rules,
    Waiting,
    _draft_note,
    local_label,
    slot_key,
    slot_times,
)

_URGENT, _PIN, _SLOT = 0, 1, 2


def reference_plan(
    posts: Iterable[Waiting],
    platforms: Mapping[str, PlatformState],
    rules: Rules,
    now: datetime,
) -> dict[int, Placement]:
    """A placement for every post, keyed by post id. Deterministic; see the module docstring."""
    groups: dict[str, list[Waiting]] = defaultdict(list)
    for post in posts:
        groups[post.platform].append(post)
    slots = slot_times(rules, now - rules.catch_up - DAY, now + HORIZON)
    placements: dict[int, Placement] = {}
    for name in sorted(groups):
        planner = _ReferencePlatformPlan(
            name, platforms.get(name, PlatformState()), rules, now, slots
        )
        placements.update(planner.place(groups[name]))
    return placements


class _ReferencePlatformPlan:
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
        self.heap: list[tuple[datetime, int, int, datetime, int, int]] = []
        self.posts: dict[int, Waiting] = {}
        self.notes: dict[int, str] = {}

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
            at, _, kind, _, post_id, index = heapq.heappop(self.heap)
            post = self.posts[post_id]
            placed = self._try(post, at, kind, index)
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
        heapq.heappush(self.heap, (at, post.priority, kind, post.ready_at, post.id, index))

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

    def _push_slot(self, post: Waiting, ready: datetime, from_index: int) -> None:
        """Offer the post to the first slot from ``from_index`` it can still make."""
        not_before = self._not_before(post)
        index = max(
            from_index,
            bisect_left(self.slots, ready),
            bisect_left(self.slots, not_before - self.rules.catch_up),
        )
        full = self.full[post.target]
        while index in full:
            index += 1
        if index < len(self.slots):
            self._push(max(self.slots[index], not_before), _SLOT, post, index)

    def _used(self, at: datetime) -> int:
        """Posts out in the 24 hours up to ``at``, as :func:`bot.posts.queue.budget_used` counts."""
        return bisect_right(self.sent, at) - bisect_left(self.sent, at - DAY)

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
            key = self.keys[index]
            room = self.rules.per_slot - self.slot_used.get((key, post.target), 0)
            if room > 0 and within_limit:
                self.slot_used[(key, post.target)] = self.slot_used.get((key, post.target), 0) + 1
                if room == 1:
                    self.full[post.target].add(index)
                insort(self.sent, at)
                return "slot", key
            if room <= 0:
                self.full[post.target].add(index)
            if room > 0:
                # The day's limit may free up while the slot is still open: then it goes late.
                frees_at = self._frees_at(at, limit)
                if frees_at <= self.slots[index] + self.rules.catch_up:
                    self._push(frees_at, _SLOT, post, index)
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
