"""Per-platform health in the ``platforms`` table: paused (bad credentials), held back (rate
limited: posting and share-count reads each have their own limit), last success and last error.
Shown by ``status``; read before every send and every metrics run.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.core.clock import from_iso, to_iso


@dataclass(frozen=True)
class PlatformHealth:
    name: str
    paused_reason: str | None
    paused_at: str | None
    hold_until: str | None
    last_success_at: str | None
    last_error: str | None
    last_error_at: str | None
    reads_hold_until: str | None = None

    def held(self, now: datetime) -> bool:
        return bool(self.hold_until) and from_iso(self.hold_until or "") > now

    def reads_held(self, now: datetime) -> bool:
        return bool(self.reads_hold_until) and from_iso(self.reads_hold_until or "") > now


def _ensure(db: sqlite_utils.Database, name: str) -> None:
    db.execute("INSERT OR IGNORE INTO platforms (name) VALUES (?)", [name])


def get_health(db: sqlite_utils.Database, name: str) -> PlatformHealth:
    """The platform's health; a read only, so ``status`` works while another process writes."""
    row: dict[str, Any] = next(db.query("SELECT * FROM platforms WHERE name = ?", [name]), {})
    # Only the fields this code knows: a column a newer version adds must not break it.
    known: dict[str, Any] = {f.name: row.get(f.name) for f in fields(PlatformHealth)}
    known["name"] = name
    return PlatformHealth(**known)


def pause(db: sqlite_utils.Database, name: str, reason: str, now: datetime) -> None:
    _ensure(db, name)
    db.execute(
        "UPDATE platforms SET paused_reason = ?, paused_at = ?, last_error = ?, last_error_at = ?"
        " WHERE name = ?",
        [reason, to_iso(now), reason, to_iso(now), name],
    )


def resume(db: sqlite_utils.Database, name: str) -> None:
    _ensure(db, name)
    db.execute("UPDATE platforms SET paused_reason = NULL, paused_at = NULL WHERE name = ?", [name])


def hold(db: sqlite_utils.Database, name: str, until: datetime) -> None:
    """Send nothing more on this platform before ``until`` (a rate limit's reset).

    Only ever lengthens a hold: two jobs hitting different limits at once keep the later reset.
    """
    _ensure(db, name)
    db.execute(
        "UPDATE platforms SET hold_until = MAX(COALESCE(hold_until, ''), ?) WHERE name = ?",
        [to_iso(until), name],
    )


def hold_reads(db: sqlite_utils.Database, name: str, until: datetime) -> None:
    """Read no share counts on this platform before ``until`` (its read limit's reset).

    Apart from :func:`hold`: X counts reads and posts against different limits, so a refused
    read must not stop an appeal going out. Only ever lengthens a hold.
    """
    _ensure(db, name)
    db.execute(
        "UPDATE platforms SET reads_hold_until = MAX(COALESCE(reads_hold_until, ''), ?)"
        " WHERE name = ?",
        [to_iso(until), name],
    )


def record_success(db: sqlite_utils.Database, name: str, now: datetime) -> None:
    _ensure(db, name)
    db.execute("UPDATE platforms SET last_success_at = ? WHERE name = ?", [to_iso(now), name])


def record_error(db: sqlite_utils.Database, name: str, error: str, now: datetime) -> None:
    _ensure(db, name)
    db.execute(
        "UPDATE platforms SET last_error = ?, last_error_at = ? WHERE name = ?",
        [error, to_iso(now), name],
    )
