"""Sign-in throttling: after too many failed sign-ins, a user name or a client address waits.

Five wrong passwords for one name, or twenty from one address (any names), within 15 minutes
lock that name or address until the oldest of those failures is 15 minutes old. While locked,
the password is not even checked, so guessing on gains nothing and the answer does not tell a
right password from a wrong one. Counts live in memory: the dashboard is one process (waitress
threads), and a restart only forgets them.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

PER_NAME = 5
PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)


class LoginThrottle:
    """Failed sign-ins per name and per address over the last ``window``; thread-safe."""

    def __init__(
        self, per_name: int = PER_NAME, per_address: int = PER_ADDRESS, window: timedelta = WINDOW
    ) -> None:
        self.limits = {"name": per_name, "address": per_address}
        self.window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> list[tuple[str, str]]:
        return [("name", name.lower()), ("address", address)]

    def _prune(self, now: datetime) -> None:
        for key in list(self._failures):
            times = self._failures[key]
            while times and times[0] <= now - self.window:
                times.popleft()
            if not times:
                del self._failures[key]

    def wait(self, name: str, address: str, now: datetime) -> timedelta | None:
        """How long this name or address must still wait, or None if it may try now."""
        with self._lock:
            self._prune(now)
            waits = [
                self._failures[key][0] + self.window - now
                for key in self._keys(name, address)
                if len(self._failures.get(key, ())) >= self.limits[key[0]]
            ]
        return max(waits) if waits else None

    def failed(self, name: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in self._keys(name, address):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(("name", name.lower()), None)
