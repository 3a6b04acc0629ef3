"""Is the bot healthy? One answer for any monitoring system (``run_bot.py health``, ``/healthz``).

Healthy means all three of:

- **daemon**: a ``run_bot.py run`` holds the database's daemon lock (:func:`daemon_running`);
- **polling**: with feeds configured, one was polled within two FEED_POLL_MINUTES plus a
  minute (a daemon that holds the lock but no longer polls is stuck);
- **platforms**: no enabled platform is paused (expired credentials, a missing permission).

The answer holds no personal data and no error text (which can quote an appeal): only states,
times and platform names, so ``/healthz`` can be open to the monitoring system without sign-in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from bot.core.clock import from_iso, to_iso
from bot.core.lock import daemon_running
from bot.core.settings import Settings

POLL_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class Check:
    """One of the three checks: whether it passed, and a line saying why."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class Health:
    checked_at: str
    daemon: Check
    polling: Check
    platforms: Check
    last_poll_at: str | None
    paused: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.daemon.ok and self.polling.ok and self.platforms.ok

    def as_dict(self) -> dict[str, Any]:
        """``{ok, checked_at, daemon: {ok, detail}, polling: {…}, platforms: {…}, last_poll_at,
        paused: [platform, …]}``"""
        return {"ok": self.ok, **asdict(self), "paused": list(self.paused)}

    def lines(self) -> list[str]:
        return [
            f"{'healthy' if self.ok else 'NOT HEALTHY'} at {self.checked_at}",
            *(
                f"  {name}: {'ok' if check.ok else 'FAIL'} - {check.detail}"
                for name, check in (
                    ("daemon", self.daemon),
                    ("polling", self.polling),
                    ("platforms", self.platforms),
                )
            ),
        ]


def judge(
    settings: Settings,
    now: datetime,
    holder: str | None,
    last_poll: datetime | None,
    paused: tuple[str, ...],
) -> Health:
    """The verdict from what was read (pure): the daemon lock's holder, the newest poll of a
    configured feed, and the enabled platforms that are paused."""
    daemon = Check(True, f"running ({holder})") if holder else Check(False, "no daemon running")
    feeds = (*settings.appeals_feed_urls, *settings.news_feed_urls)
    allowed = timedelta(minutes=2 * settings.feed_poll_minutes) + POLL_SLACK
    if not feeds:
        polling = Check(True, "no feeds configured")
    elif last_poll is None:
        polling = Check(False, "no feed polled yet")
    elif now - last_poll > allowed:
        minutes = int((now - last_poll).total_seconds() // 60)
        polling = Check(
            False, f"last poll {minutes} min ago (FEED_POLL_MINUTES={settings.feed_poll_minutes})"
        )
    else:
        polling = Check(True, f"last poll {to_iso(last_poll)}")
    platforms = (
        Check(False, f"paused: {', '.join(paused)} (see run_bot.py status)")
        if paused
        else Check(True, f"none paused ({', '.join(settings.platforms)})")
    )
    return Health(
        to_iso(now), daemon, polling, platforms, to_iso(last_poll) if last_poll else None, paused
    )


def check_health(db: sqlite_utils.Database, settings: Settings, now: datetime) -> Health:
    """Read the three facts (the daemon lock, the feeds, the platforms table) and judge them."""
    feeds = [*settings.appeals_feed_urls, *settings.news_feed_urls]
    last_poll = None
    if feeds:
        row = db.execute(
            f"SELECT MAX(last_polled_at) FROM feeds WHERE url IN ({','.join('?' * len(feeds))})",
            feeds,
        ).fetchone()
        last_poll = from_iso(row[0]) if row and row[0] else None
    paused = tuple(
        row[0]
        for row in db.execute(
            f"SELECT name FROM platforms WHERE paused_reason IS NOT NULL AND name IN"
            f" ({','.join('?' * len(settings.platforms))}) ORDER BY name",
            list(settings.platforms),
        ).fetchall()
    )
    return judge(settings, now, daemon_running(settings.database_path), last_poll, paused)
