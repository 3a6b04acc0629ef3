"""Sign-in throttling that slows guessing down without letting anyone lock staff out.

Per address: twenty failed sign-ins from one address (any names) within 15 minutes lock that
address until the oldest of them is 15 minutes old. Per name: five failures for one name lock
it, but only for addresses that have failed recently themselves. Anyone who knows a comms
officer's user name could otherwise keep them out during an urgent appeal just by guessing
wrong (issue 11); with this rule the officer, from an address with no recent failures, still
gets in with the right password, while a guesser gets one try per fresh address per window.
While locked, the password is not even checked, so the answer does not tell a right password
from a wrong one.

Failures are kept in the database (``login_failures``), so a restart does not reset them and
the dashboard's threads (or processes) share them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from bot.core.clock import from_iso, to_iso
from bot.core.db import immediate

PER_NAME = 5
PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)


class LoginThrottle:
    """Failed sign-ins per name and per address over the last ``window``, in the database."""

    def __init__(
        self, per_name: int = PER_NAME, per_address: int = PER_ADDRESS, window: timedelta = WINDOW
    ) -> None:
        self.limits = {"name": per_name, "address": per_address}
        self.window = window

    def _failures(
        self, db: sqlite_utils.Database, kind: str, key: str, now: datetime
    ) -> list[datetime]:
        rows = db.execute(
            "SELECT at FROM login_failures WHERE kind = ? AND key = ? AND at > ? ORDER BY at",
            [kind, key, to_iso(now - self.window)],
        ).fetchall()
        return [from_iso(row[0]) for row in rows]

    def wait(
        self, db: sqlite_utils.Database, name: str, address: str, now: datetime
    ) -> timedelta | None:
        """How long this name from this address must still wait, or None if it may try now."""
        by_address = self._failures(db, "address", address, now)
        by_name = self._failures(db, "name", name.lower(), now)
        waits = []
        if len(by_address) >= self.limits["address"]:
            waits.append(by_address[0] + self.window - now)
        # A name's lock holds only where guessing came from: a clean address still passes.
        if by_address and len(by_name) >= self.limits["name"]:
            waits.append(by_name[0] + self.window - now)
        return max(waits) if waits else None

    def failed(self, db: sqlite_utils.Database, name: str, address: str, now: datetime) -> None:
        with immediate(db):
            db.execute("DELETE FROM login_failures WHERE at <= ?", [to_iso(now - self.window)])
            for kind, key in (("name", name.lower()), ("address", address)):
                db.execute(
                    "INSERT INTO login_failures (kind, key, at) VALUES (?, ?, ?)",
                    [kind, key, to_iso(now)],
                )

    def succeeded(self, db: sqlite_utils.Database, name: str) -> None:
        db.execute("DELETE FROM login_failures WHERE kind = 'name' AND key = ?", [name.lower()])
