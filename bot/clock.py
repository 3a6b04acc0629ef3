"""Time in one place: UTC everywhere inside, ISO-8601 text in the database, local only on display.

Functions that decide anything take ``now`` as an argument so tests can freeze it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Fixed-width UTC text, so string order in SQLite is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def local_text(text: str | None, zone: tzinfo) -> str:
    """A stored time as the comms team reads it: local, to the minute."""
    if not text:
        return "-"
    return from_iso(text).astimezone(zone).strftime("%Y-%m-%d %H:%M")


# The times the bot writes into log details ("next try 2026-11-25T14:11:37.136451Z").
_STORED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def local_times_in(text: str, zone: tzinfo) -> str:
    """``text`` with each stored UTC time in it shown as the comms team reads times: local."""
    return _STORED_TIME.sub(lambda match: local_text(match.group(), zone), text)
