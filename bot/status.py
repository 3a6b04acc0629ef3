"""What ``run_bot.py status`` reports: each feed's last poll and error, each platform's health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from bot.core.settings import KNOWN_PLATFORMS, Settings
from bot.platforms import missing_credentials
from bot.posts.queue import budget_used
from bot.sandbox import sandbox_in_use
from bot.sending import health


def gather_status(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict[str, Any]:
    feeds = list(
        db.query(
            "SELECT url, kind, last_polled_at, last_success_at, last_error, last_error_at, entries,"
            " notice FROM feeds ORDER BY kind, url"
        )
    )
    configured = set(settings.appeals_feed_urls) | set(settings.news_feed_urls)
    for feed in feeds:
        feed["configured"] = feed["url"] in configured
    platforms = []
    for name in KNOWN_PLATFORMS:
        state = health.get_health(db, name)
        queued = db.execute(
            "SELECT COUNT(*) FROM posts WHERE platform = ? AND status = 'queued'", [name]
        ).fetchone()[0]
        platforms.append(
            {
                "platform": name,
                "enabled": name in settings.platforms,
                "mode": "sandbox" if settings.sandbox else "live",
                "not_ready": missing_credentials(settings, name)
                if name in settings.platforms
                else None,
                "paused": bool(state.paused_reason),
                "paused_reason": state.paused_reason,
                "rate_limited_until": state.hold_until if state.held(now) else None,
                "reads_limited_until": (state.reads_hold_until if state.reads_held(now) else None),
                "sent_last_24h": budget_used(db, name, now),
                "daily_limit": settings.daily_limit(name),
                "queued": queued,
                "last_success_at": state.last_success_at,
                "last_error": state.last_error,
                "last_error_at": state.last_error_at,
            }
        )
    sandbox = sandbox_in_use(settings.database_path) if settings.sandbox else None
    return {"feeds": feeds, "platforms": platforms, "sandbox": sandbox}
