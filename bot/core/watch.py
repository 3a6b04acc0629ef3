"""What deserves a person's attention, read from the database, and the alerts it raises.

:func:`check_alerts` runs every minute in the daemon (and after ``post`` and ``fetch``). It reads
only the bot's own tables, so it works the same whichever process changed them:

- a platform paused (credentials or a permission): alert; resumed: a second, "resumed" alert;
- a post failed for good (in the last day): alert, once per post;
- a post sent without its photo (in the last day): alert, once per post;
- a feed failing ALERT_FEED_FAILURES polls in a row: alert; working again: "works again";
- a withdrawal whose deletions are still pending after :data:`WITHDRAWAL_GRACE` (a found person's
  photo may still be online): alert; all deleted: "deleted now";
- with ALERT_DAILY_SUMMARY, a summary of the last 24 hours once a day at that time.

Several new alerts found in one check go out as one message
(:func:`bot.core.alerts.raise_once`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from bot.core.alerts import Alert, Notifier, clear, notifier_for, open_causes, raise_once
from bot.core.clock import to_iso
from bot.core.settings import Settings

# A withdrawal still deleting after this long needs a person (the 15 minutes): a found
# person's photo must never stay online because of us.
WITHDRAWAL_GRACE = timedelta(minutes=15)
# Failures and dropped photos older than this are not alerted (e.g. when alerts are first set up).
RECENT = timedelta(days=1)
NAMES = {"x": "X", "facebook": "Facebook", "bluesky": "Bluesky", "mastodon": "Mastodon"}


def _name(platform: str) -> str:
    return NAMES.get(platform, platform)


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return list(db.query(sql, params))


def paused_platforms(db: sqlite_utils.Database) -> list[Alert]:
    return [
        Alert(
            f"paused:{row['name']}",
            f"{_name(row['name'])} is paused: nothing is being posted there",
            f"{row['paused_reason']}\nPosts wait in the queue and go out by themselves once"
            " this is fixed; `run_bot.py check-credentials` says when it works.",
        )
        for row in _rows(
            db, "SELECT name, paused_reason FROM platforms WHERE paused_reason IS NOT NULL", []
        )
    ]


def failed_posts(db: sqlite_utils.Database, now: datetime) -> list[Alert]:
    sql = (
        "SELECT p.id, p.platform, p.last_error, i.title FROM posts p"
        " JOIN items i ON i.id = p.item_id WHERE p.status = 'failed' AND EXISTS"
        " (SELECT 1 FROM events e WHERE e.post_id = p.id AND e.outcome = 'failed' AND e.at >= ?)"
    )
    return [
        Alert(
            f"failed:{row['id']}",
            f"Post {row['id']} failed on {_name(row['platform'])} for good",
            f"“{row['title']}” did not go out: {row['last_error']}\nEdit the post if the"
            f" platform's words say so, then retry it: `run_bot.py retry {row['id']}` or Retry"
            " on the dashboard's Queue.",
        )
        for row in _rows(db, sql, [to_iso(now - RECENT)])
    ]


def photos_dropped(db: sqlite_utils.Database, now: datetime) -> list[Alert]:
    sql = (
        "SELECT p.id, p.platform, p.degraded, i.title FROM posts p JOIN items i ON i.id ="
        " p.item_id WHERE p.degraded IS NOT NULL AND p.sent_at >= ?"
    )
    return [
        Alert(
            f"photo:{row['id']}",
            f"Post {row['id']} went out on {_name(row['platform'])} without its photo",
            f"“{row['title']}” was sent without photo: {row['degraded']}\nFix the photo on the"
            " appeal's page (a JPEG or PNG under 4 MB that opens in a browser) so later posts"
            " carry it.",
        )
        for row in _rows(db, sql, [to_iso(now - RECENT)])
    ]


def failing_feeds(db: sqlite_utils.Database, threshold: int) -> list[Alert]:
    sql = "SELECT url, last_error, failures_in_a_row FROM feeds WHERE failures_in_a_row >= ?"
    return [
        Alert(
            f"feed:{row['url']}",
            f"A feed has failed {row['failures_in_a_row']} polls in a row",
            f"{row['url']}: {row['last_error']}\nNew appeals on it are not picked up, and an"
            " appeal marked found there is not withdrawn by itself. Check that the address"
            " opens in a browser (APPEALS_FEED_URL or NEWS_FEED_URL) or ask the web team.",
        )
        for row in _rows(db, sql, [threshold])
    ]


def pending_withdrawals(db: sqlite_utils.Database, now: datetime) -> list[Alert]:
    sql = (
        "SELECT p.item_id, i.title, p.platform, p.remote_url, p.last_error FROM posts p"
        " JOIN items i ON i.id = p.item_id"
        " WHERE p.status = 'deleting' AND i.closed_at IS NOT NULL AND i.closed_at <= ?"
        " ORDER BY p.item_id, p.id"
    )
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(db, sql, [to_iso(now - WITHDRAWAL_GRACE)]):
        by_item[row["item_id"]].append(row)
    alerts = []
    for item_id, rows in by_item.items():
        where = ", ".join(sorted({_name(r["platform"]) for r in rows}))
        links = "\n".join(f"- {r['remote_url']}" for r in rows if r["remote_url"])
        why = next((r["last_error"] for r in rows if r["last_error"]), "no answer yet")
        alerts.append(
            Alert(
                f"withdrawal:{item_id}",
                f"A withdrawn appeal is still online on {where}",
                f"“{rows[0]['title']}” was withdrawn over {WITHDRAWAL_GRACE.seconds // 60}"
                f" minutes ago, but {len(rows)} post(s) could not be deleted yet ({why})."
                " A found person's photo may still be online: delete these by hand now (the bot"
                " keeps trying too):\n" + (links or "(no link known: look on the page)"),
            )
        )
    return alerts


def daily_summary(db: sqlite_utils.Database, settings: Settings, now: datetime) -> Alert | None:
    """The day's summary once the local time passes ALERT_DAILY_SUMMARY; None before or if off."""
    at = settings.alert_daily_summary
    if at is None:
        return None
    local = now.astimezone(settings.timezone)
    if local.time() < at:
        return None
    since = to_iso(now - timedelta(days=1))
    counts: dict[tuple[str, str], int] = {}
    for row in _rows(
        db,
        "SELECT platform, outcome, COUNT(*) AS n FROM events WHERE action = 'send' AND at >= ?"
        " AND outcome IN ('sent', 'failed', 'duplicate') GROUP BY platform, outcome",
        [since],
    ):
        counts[(row["platform"] or "", row["outcome"])] = row["n"]
    platforms = sorted({p for p, _ in counts})
    lines = [
        f"{_name(p)}: {counts.get((p, 'sent'), 0) + counts.get((p, 'duplicate'), 0)} sent,"
        f" {counts.get((p, 'failed'), 0)} failed"
        for p in platforms
    ] or ["nothing was sent"]
    dropped = _rows(
        db, "SELECT COUNT(*) AS n FROM posts WHERE degraded IS NOT NULL AND sent_at >= ?", [since]
    )[0]["n"]
    if dropped:
        lines.append(f"{dropped} sent without photo")
    lines += [a.title for a in paused_platforms(db)]
    lines += [a.title for a in failing_feeds(db, settings.alert_feed_failures)]
    lines += [a.title for a in pending_withdrawals(db, now)]
    queued = _rows(db, "SELECT COUNT(*) AS n FROM posts WHERE status = 'queued'", [])[0]["n"]
    lines.append(f"{queued} post(s) waiting in the queue")
    return Alert(
        f"summary:{local.date().isoformat()}",
        f"Daily summary for {local.strftime('%A %d %B')}",
        "In the last 24 hours:\n" + "\n".join(f"- {line}" for line in lines),
    )


def check_alerts(
    db: sqlite_utils.Database, settings: Settings, notifier: Notifier | None, now: datetime
) -> list[Alert]:
    """Raise what is new, clear what is over; returns the alerts sent (none when alerts are off)."""
    if notifier is None:
        return []
    paused = paused_platforms(db)
    feeds = failing_feeds(db, settings.alert_feed_failures)
    withdrawals = pending_withdrawals(db, now)
    current = paused + failed_posts(db, now) + photos_dropped(db, now) + feeds + withdrawals
    sent = raise_once(db, notifier, current, now)

    still = {a.cause for a in current}
    for cause in open_causes(db, "paused:"):
        if cause not in still:
            platform = _name(cause.partition(":")[2])
            back = Alert(cause, f"{platform} resumed: posting again", "Its credentials work again.")
            clear(db, notifier, cause, now, back)
    for cause in open_causes(db, "feed:"):
        if cause not in still and _feed_works(db, cause.partition(":")[2]):
            url = cause.partition(":")[2]
            clear(db, notifier, cause, now, Alert(cause, "A feed works again", url))
    for cause in open_causes(db, "withdrawal:"):
        if cause not in still and not _still_deleting(db, cause.partition(":")[2]):
            item_id = cause.partition(":")[2]
            done = Alert(cause, "A withdrawn appeal is now deleted everywhere", f"appeal {item_id}")
            clear(db, notifier, cause, now, done)
    for cause in open_causes(db, "failed:"):
        if cause not in still:
            clear(db, None, cause, now)

    summary = daily_summary(db, settings, now)
    if summary is not None:
        sent += raise_once(db, notifier, [summary], now)
    return sent


def _feed_works(db: sqlite_utils.Database, url: str) -> bool:
    row = db.execute("SELECT failures_in_a_row FROM feeds WHERE url = ?", [url]).fetchone()
    return row is None or row[0] == 0


def _still_deleting(db: sqlite_utils.Database, item_id: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM posts WHERE item_id = ? AND status = 'deleting' LIMIT 1", [item_id]
    ).fetchone()
    return row is not None


def check_alerts_now(db: sqlite_utils.Database, settings: Settings, now: datetime) -> list[Alert]:
    """:func:`check_alerts` with ALERT_URLS' notifier; nothing when no URL is set."""
    return check_alerts(db, settings, notifier_for(settings.alert_urls, settings.secrets()), now)
