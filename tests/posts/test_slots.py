"""When a queued post goes out, as the `queue` table tells the comms team (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import to_iso
from bot.posts.slots import goes_out

LONDON = ZoneInfo("Europe/London")
SLOTS = (time(9, 0), time(18, 30))
NOW = datetime(2026, 11, 25, 13, 50, tzinfo=UTC)  # 13:50 in London (GMT)


def post(status: str = "queued", priority: int = 1, **fields: Any) -> dict[str, Any]:
    return {"status": status, "priority": priority, "scheduled_at": to_iso(NOW), **fields}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (post(), "2026-11-25 18:30"),  # the next slot today
        (post(scheduled_at=to_iso(NOW + timedelta(days=1))), "2026-11-26 18:30"),
        (post(scheduled_at=to_iso(NOW.replace(hour=18, minute=30))), "2026-11-25 18:30"),
        (post(next_attempt_at=to_iso(NOW.replace(hour=19))), "2026-11-26 09:00"),  # a retry
        (post(priority=0), "at once (urgent)"),
        (post(priority=0, scheduled_at=to_iso(NOW + timedelta(hours=1))), "2026-11-25 14:50"),
        (post(status="draft"), "after approval"),
        (post(status="sent", sent_at=to_iso(NOW - timedelta(hours=5))), "sent 2026-11-25 08:50"),
        (post(status="cancelled"), "-"),
    ],
)
def test_when_each_entry_goes_out(entry: dict[str, Any], expected: str) -> None:
    assert goes_out(entry, SLOTS, LONDON, NOW) == expected


def test_the_slot_is_local_time_across_the_change_to_summer_time() -> None:
    # Saturday 28 March 2026, 20:00 GMT: the next 09:00 is Sunday's, after the clocks go on.
    evening = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
    entry = {"status": "queued", "priority": 1, "scheduled_at": to_iso(evening)}
    assert goes_out(entry, SLOTS, LONDON, evening) == "2026-03-29 09:00"
