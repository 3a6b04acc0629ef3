"""Alerts to a person, through Apprise (e-mail, Slack, Teams, Telegram, webhooks …): operators do
not watch ``status``, so the bot tells them when a human must act.

Each alert has a *cause* (``paused:facebook``, ``feed:<url>`` …) kept in the ``alerts`` table: it
goes out once when the cause appears and again only after the cause was cleared and came back,
so a platform that stays paused all night sends one alert, not one a minute. Every title and
body is scrubbed of every configured secret before it leaves (the texts are built from the
bot's own messages, which never hold one, but an alert is the last place a leak could go).

What raises and clears the causes is :mod:`bot.core.watch`; this module only delivers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlite_utils

from bot.core import events
from bot.core.clock import to_iso

log = logging.getLogger("appeal_bot")
TITLE_PREFIX = "appeal-bot: "


@dataclass(frozen=True)
class Alert:
    """One message to a person. ``cause`` makes it once-only; ``body`` says the fix in words."""

    cause: str
    title: str
    body: str


class Notifier(Protocol):
    """Delivers one message; True when at least one destination took it."""

    def notify(self, title: str, body: str) -> bool: ...


class AppriseNotifier:
    """Sends through Apprise to every URL of ALERT_URLS (``secrets`` are scrubbed first)."""

    def __init__(self, urls: Sequence[str], secrets: Iterable[str] = ()) -> None:
        self.urls = tuple(urls)
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def notify(self, title: str, body: str) -> bool:
        import apprise

        sender = apprise.Apprise()
        for url in self.urls:
            sender.add(url)
        return bool(sender.notify(title=self.scrub(title), body=self.scrub(body)))


def notifier_for(urls: Sequence[str], secrets: Iterable[str]) -> Notifier | None:
    """The notifier for ALERT_URLS, or None when none is set (alerts off)."""
    return AppriseNotifier(urls, secrets) if urls else None


def is_open(db: sqlite_utils.Database, cause: str) -> bool:
    row = db.execute("SELECT cleared_at FROM alerts WHERE cause = ?", [cause]).fetchone()
    return row is not None and row[0] is None


def open_causes(db: sqlite_utils.Database, prefix: str) -> list[str]:
    """The causes raised and not cleared that start with ``prefix`` (``"paused:"``)."""
    return [
        row[0]
        for row in db.execute(
            "SELECT cause FROM alerts WHERE cleared_at IS NULL AND cause LIKE ? ESCAPE '\\'",
            [prefix.replace("%", "\\%").replace("_", "\\_") + "%"],
        )
    ]


def send(
    db: sqlite_utils.Database, notifier: Notifier, title: str, body: str, now: datetime
) -> bool:
    """Deliver one message now and log the outcome (``log`` shows alerts as action ``alert``)."""
    try:
        delivered = notifier.notify(TITLE_PREFIX + title, body)
    except Exception as error:  # a broken destination must never stop the bot's work
        log.warning("alert not delivered (%s)", type(error).__name__)
        delivered = False
    outcome = "sent" if delivered else "error"
    detail = title if delivered else f"{title} (not delivered: check ALERT_URLS)"
    events.record(db, "alert", outcome, detail, now=now)
    return delivered


def raise_once(
    db: sqlite_utils.Database, notifier: Notifier, alerts: Sequence[Alert], now: datetime
) -> list[Alert]:
    """Send the alerts whose cause is not already open, as one message when there are several
    (twenty posts failing in one outage is one alert), then mark their causes open.

    A message that could not be delivered leaves its causes unmarked, so the next check tries
    again (at most once a check). Returns the alerts sent.
    """
    fresh = [a for a in alerts if not is_open(db, a.cause)]
    if not fresh:
        return []
    if len(fresh) == 1:
        title, body = fresh[0].title, fresh[0].body
    else:
        title = f"{len(fresh)} things need attention"
        body = "\n\n".join(f"{a.title}\n{a.body}" for a in fresh)
    if not send(db, notifier, title, body, now):
        return []
    for alert in fresh:
        db.execute(
            "INSERT INTO alerts (cause, title, raised_at, cleared_at) VALUES (?, ?, ?, NULL)"
            " ON CONFLICT (cause) DO UPDATE SET title = excluded.title,"
            " raised_at = excluded.raised_at, cleared_at = NULL",
            [alert.cause, alert.title, to_iso(now)],
        )
    return fresh


def clear(
    db: sqlite_utils.Database,
    notifier: Notifier | None,
    cause: str,
    now: datetime,
    resolved: Alert | None = None,
) -> None:
    """Close an open cause; with ``resolved``, tell the person it is over (platform resumed)."""
    if not is_open(db, cause):
        return
    if resolved is not None and notifier is not None:
        send(db, notifier, resolved.title, resolved.body, now)
    db.execute("UPDATE alerts SET cleared_at = ? WHERE cause = ?", [to_iso(now), cause])
