"""Time in one place: UTC everywhere inside, ISO-8601 text in the database, local only on display.

Functions that decide anything take ``now`` as an argument so tests can freeze it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from bot.core.errors import AppealBotError

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@lru_cache(maxsize=256)
def to_iso(moment: datetime) -> str:
    """Fixed-width UTC text, so string order in SQLite is time order.

    Cached: a poll stores every new entry and its posts at the same ``now`` (equal moments,
    even in different zones, give the same text).
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one")
    moment = moment.astimezone(UTC)
    if moment.year < 1000:
        return moment.strftime(_ISO_FORMAT)  # strftime's year is not zero-padded: kept as it was
    # The same text as strftime(_ISO_FORMAT) ("...+00:00" cut to "Z"), in a third of the time:
    # a first poll of a big feed writes thousands of distinct dates, which the cache misses.
    return moment.isoformat(timespec="microseconds")[:26] + "Z"


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, _ISO_FORMAT).replace(tzinfo=UTC)


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


def parse_since(text: str, now: datetime, zone: tzinfo) -> datetime:
    """``24h``, ``7d``, ``30m`` or a date/time like ``2026-11-20`` or ``2026-11-20T09:00``,
    read in ``zone`` (TIMEZONE) unless it carries an offset."""
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AppealBotError(f"--since {text!r}: use 24h, 7d or a date like 2026-11-20") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def parse_local_time(text: str, zone: tzinfo, now: datetime) -> datetime:
    """``14:00`` (the next one), ``2026-11-25 14:00`` (in TIMEZONE) or an ISO time with offset."""
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", text):
            hour, minute = map(int, text.split(":"))
            local = now.astimezone(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
            return local if local > now else local + timedelta(days=1)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AppealBotError(f"--at {text!r}: use 14:00 or 2026-11-25 14:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
