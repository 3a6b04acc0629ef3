"""The daemon's hourly job for appeals that stay open or closed a long time."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.appeals.reappeals import queue_reappeals
from bot.appeals.retention import purge_expired
from bot.core.settings import Settings


def housekeeping(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict[str, int]:
    """The daemon's hourly lifecycle job: queue due re-appeals, purge expired personal data."""
    return {
        "reappeals": len(queue_reappeals(db, settings, now)),
        "purged": len(purge_expired(db, settings, now)),
    }
