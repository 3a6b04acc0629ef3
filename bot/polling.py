"""The poll job: fetch and store every feed, and let the appeals wing act on what changed.

The one place the two wings meet, so neither calls back into the other: :mod:`bot.feeds.ingest`
reports, :mod:`bot.appeals.feed_changes` acts. Used by the daemon, ``fetch`` and the demo.
"""

from __future__ import annotations

from datetime import datetime

import requests
import sqlite_utils

from bot.appeals.feed_changes import AppealFeedChanges
from bot.core.settings import Settings
from bot.feeds import ingest
from bot.feeds.ingest import FeedReport


def poll_feeds(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    session: requests.Session | None = None,
) -> list[FeedReport]:
    """Poll every configured feed once (see :func:`bot.feeds.ingest.poll_feeds`)."""
    return ingest.poll_feeds(db, settings, now, session, changes=AppealFeedChanges(settings))
