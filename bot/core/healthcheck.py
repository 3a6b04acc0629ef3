"""Is the bot healthy? One answer for any monitoring system (``run_bot.py health``, ``/healthz``).

Healthy means all three of:

- **daemon**: a ``run_bot.py run`` holds the database's daemon lock (:func:`daemon_running`);
- **polling**: with feeds to poll, one was polled within two FEED_POLL_MINUTES plus a
  minute (a daemon that holds the lock but no longer polls is stuck), and none has failed
  ALERT_FEED_FAILURES polls in a row (a feed that cannot be read cannot say who was found,
  so their appeal would stay up). The feeds are those configured, or in the sandbox with
  none configured, the sample feeds it polls instead (:func:`polls_sample_feeds`);
- **platforms**: no enabled platform is paused (expired credentials, a missing permission).

The answer holds no personal data and no error text (which can quote an appeal): only states,
times and platform names, so ``/healthz`` can be open to the monitoring system without sign-in.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from bot.core.clock import from_iso, to_iso
from bot.core.lock import daemon_running
from bot.core.settings import SANDBOX_FEED_PATHS, Settings

POLL_SLACK = timedelta(minutes=1)
# A sample feed's URL in the feeds table: the sandbox's feed server is on port 8765, or on any
# free port when another program holds that one, so any port is the sandbox's.
_SAMPLE_FEED_URL = re.compile(
    r"http://127\.0\.0\.1:[0-9]+(?:"
    + "|".join(re.escape(path) for path in SANDBOX_FEED_PATHS.values())
    + ")"
)
_SAMPLES = " (the sandbox's sample feeds)"


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

    def public(self) -> Health:
        """The same verdict for anyone who can reach ``/healthz``: the daemon's host name and
        process id (the lock's holder) left out."""
        daemon = Check(True, "running") if self.daemon.ok else self.daemon
        return replace(self, daemon=daemon)

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


def polls_sample_feeds(settings: Settings) -> bool:
    """True when the bot polls the sandbox's sample feeds: in the sandbox with no
    APPEALS_FEED_URL or NEWS_FEED_URL (see :meth:`bot.sandbox.Sandbox.configure`)."""
    return settings.sandbox and not (settings.appeals_feed_urls or settings.news_feed_urls)


def judge(
    settings: Settings,
    now: datetime,
    holder: str | None,
    last_poll: datetime | None,
    paused: tuple[str, ...],
    failing: int = 0,
) -> Health:
    """The verdict from what was read (pure): the daemon lock's holder, the newest poll of a
    feed the bot polls (configured, or the sandbox's samples), the enabled platforms that
    are paused, and how many of those feeds failed ALERT_FEED_FAILURES polls in a row."""
    daemon = Check(True, f"running ({holder})") if holder else Check(False, "no daemon running")
    feeds = (*settings.appeals_feed_urls, *settings.news_feed_urls)
    samples = polls_sample_feeds(settings)
    which = _SAMPLES if samples else ""
    allowed = timedelta(minutes=2 * settings.feed_poll_minutes) + POLL_SLACK
    if not (feeds or samples):
        polling = Check(True, "no feeds configured")
    elif last_poll is None:
        polling = Check(False, f"no feed polled yet{which}")
    elif now - last_poll > allowed:
        minutes = int((now - last_poll).total_seconds() // 60)
        polling = Check(
            False,
            f"last poll {minutes} min ago (FEED_POLL_MINUTES={settings.feed_poll_minutes}){which}",
        )
    elif failing:
        polling = Check(
            False,
            f"{failing} {'feed' if failing == 1 else 'feeds'} failed"
            f" {settings.alert_feed_failures} or more polls in a row (see run_bot.py status)"
            f"{which}",
        )
    else:
        polling = Check(True, f"last poll {to_iso(last_poll)}{which}")
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
    polls: list[tuple[str, str | None, int]] = []
    if feeds:
        polls = db.execute(
            "SELECT url, last_polled_at, failures_in_a_row FROM feeds"
            f" WHERE url IN ({','.join('?' * len(feeds))})",
            feeds,
        ).fetchall()
    elif polls_sample_feeds(settings):
        polls = [
            row
            for row in db.execute(
                "SELECT url, last_polled_at, failures_in_a_row FROM feeds"
                " WHERE url LIKE 'http://127.0.0.1:%'"
            ).fetchall()
            if _SAMPLE_FEED_URL.fullmatch(row[0])
        ]
    newest = max((at for _, at, _ in polls if at), default=None)
    failing = sum(1 for *_, failures in polls if failures >= settings.alert_feed_failures)
    last_poll = from_iso(newest) if newest else None
    paused = tuple(
        row[0]
        for row in db.execute(
            f"SELECT name FROM platforms WHERE paused_reason IS NOT NULL AND name IN"
            f" ({','.join('?' * len(settings.platforms))}) ORDER BY name",
            list(settings.platforms),
        ).fetchall()
    )
    holder = daemon_running(settings.database_path)
    return judge(settings, now, holder, last_poll, paused, failing)
