"""An appeal closing (found or withdrawn) and reopening.

The pieces live in small modules, one concept each: :mod:`bot.appeals.withdrawal` (taking posts
down), :mod:`bot.appeals.thanks` (the found thank-you), :mod:`bot.appeals.reappeals` (posting
again) and :mod:`bot.appeals.retention` (forgetting a found person), the last two run by
:mod:`bot.appeals.housekeeping`. This module ties them together for one appeal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.appeals.thanks import queue_found_thanks, withdraw_thanks
from bot.appeals.withdrawal import withdraw_item
from bot.core import events
from bot.core.settings import Settings


@dataclass(frozen=True)
class Closure:
    """What closing an appeal did."""

    affected: int  # posts cancelled or sent for deletion
    thanks: list[int]  # queue ids of the thank-you update, if one was queued


def close_appeal(
    db: sqlite_utils.Database,
    settings: Settings,
    item_id: str,
    reason: str,
    now: datetime,
    *,
    found: bool,
) -> Closure:
    """Withdraw an appeal everywhere; when the person was found, queue the thank-you update.

    ``found`` is False for a withdrawal (family's wish, police request): no thank-you then, as
    the public must not be told the person was found when they were not.
    """
    if found:
        db.execute(
            "UPDATE items SET status = 'found' WHERE id = ? AND kind = 'appeal'"
            " AND closed_at IS NULL",
            [item_id],
        )
    affected = withdraw_item(db, item_id, reason, now)
    thanks = queue_found_thanks(db, settings, item_id, now) if found else []
    return Closure(affected, thanks)


def reopen_appeal(db: sqlite_utils.Database, item_id: str, reason: str, now: datetime) -> int:
    """A closed appeal is open again on the site (a CMS mistake put right): tell the comms team.

    Nothing is posted again by the bot: whether the appeal goes back out is a person's decision.
    A thank-you update saying the person was found is taken down (cancelled if still waiting,
    deleted if published), as the public must not be told so when they were not. Returns how
    many thank-you posts were affected.
    """
    affected = withdraw_thanks(db, item_id, f"appeal reopened: {reason}", now)
    events.record(
        db,
        "reopen",
        "held",
        f"{reason}: not posted again; add it by hand if it should go out",
        item_id=item_id,
        now=now,
    )
    return affected
