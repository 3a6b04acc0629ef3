"""Posting slots in the charity's time zone. Pure functions of ``now``, the slots and the zone.

A slot is identified by its local date and time (``2026-03-29T09:00 Europe/London``), so a slot
run twice (a coalesced misfire and a catch-up, two processes) is recognised and sent once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo


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
