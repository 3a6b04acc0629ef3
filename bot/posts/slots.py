"""Posting slots in the charity's time zone. Pure functions of ``now``, the slots and the zone.

A slot is identified by its local date and time (``2026-03-29T09:00 Europe/London``), so a slot
run twice (a coalesced misfire and a catch-up, two processes) is recognised and sent once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from bot.core.clock import from_iso


def slot_key(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def latest_slot(now: datetime, slots: tuple[time, ...], zone: tzinfo) -> datetime | None:
    """The most recent slot at or before ``now`` (today or yesterday), as an aware datetime."""
    local = now.astimezone(zone)
    for days_back in (0, 1):
        day = local.date() - timedelta(days=days_back)
        candidates = [
            datetime.combine(day, slot, tzinfo=zone) for slot in sorted(slots, reverse=True)
        ]
        for candidate in candidates:
            if candidate <= local:
                return candidate
    return None


def next_slot(now: datetime, slots: tuple[time, ...], zone: tzinfo) -> datetime:
    local = now.astimezone(zone)
    for days_ahead in (0, 1):
        day = local.date() + timedelta(days=days_ahead)
        for slot in sorted(slots):
            candidate = datetime.combine(day, slot, tzinfo=zone)
            if candidate > local:
                return candidate
    raise ValueError("no posting slots configured")


def goes_out(post: dict[str, Any], slots: tuple[time, ...], zone: tzinfo, now: datetime) -> str:
    """When a queue entry is expected to go out, in words for the ``queue`` table.

    Pure. A queued post goes in the first slot at or after both now and its scheduled time (and
    its next retry, after a transient failure); an urgent appeal goes at once, outside the
    slots. It is the earliest: a busy queue may carry a post on to a later slot.
    """
    status = post["status"]
    if status == "draft":
        return "after approval"
    if status == "sending":
        return "now"
    if status == "sent" and post.get("sent_at"):
        return "sent " + _local(from_iso(post["sent_at"]), zone)
    if status != "queued":
        return "-"
    earliest = max(now, from_iso(post["scheduled_at"]))
    if post.get("next_attempt_at"):
        earliest = max(earliest, from_iso(post["next_attempt_at"]))
    if post.get("priority") == 0:
        return "at once (urgent)" if earliest <= now else _local(earliest, zone)
    if not slots:
        return "-"
    return _local(next_slot(earliest - timedelta(microseconds=1), slots, zone), zone)


def _local(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
