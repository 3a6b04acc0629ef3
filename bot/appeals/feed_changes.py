"""What a feed poll's changes mean for appeals: the appeals wing's side of a poll.

:mod:`bot.feeds.ingest` stores entries and reports each appeal's change of state; this module
decides and acts (close everywhere, reopen, take a thank-you down, withdraw what the feed
stopped listing). Every call runs inside the poll's transaction for that entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlite_utils

from bot.appeals.lifecycle import close_appeal, reopen_appeal
from bot.appeals.thanks import withdraw_thanks
from bot.appeals.withdrawal import record_feed_presence, withdraw_item
from bot.core.settings import Settings
from bot.feeds.ingest import EntryChange


class AppealFeedChanges:
    """A :class:`bot.feeds.ingest.FeedChanges` that closes, reopens and withdraws appeals."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def entry_changed(self, db: sqlite_utils.Database, change: EntryChange, now: datetime) -> None:
        item = change.item
        if change.kind == "first_seen_closed":
            withdraw_item(db, item.id, f"{item.status} in the feed", now)
        elif change.kind == "closed":
            reason = f"{item.status} in the feed"
            close_appeal(db, self.settings, item.id, reason, now, found=item.status == "found")
        elif change.kind == "reopened":
            reopen_appeal(db, item.id, f"{item.status} again in the feed", now)
        elif change.kind == "found_to_withdrawn":
            withdraw_thanks(db, item.id, "changed from found to withdrawn", now)

    def feed_seen(
        self, db: sqlite_utils.Database, url: str, ids: Sequence[str], now: datetime
    ) -> int:
        threshold = self.settings.withdraw_when_missing_from_feed
        return len(record_feed_presence(db, url, ids, threshold, now))
