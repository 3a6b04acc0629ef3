"""Check a post's photo before its time comes, so a comms officer can fix it while there is time.

The daemon checks, every :data:`CHECK_EVERY`, the photo of each post queued since its last run,
and again shortly before the plan sends it (:data:`RECHECK_BEFORE`): it must be reachable, an image
X and Facebook take, and within :data:`MAX_PHOTO_BYTES`. A problem is kept in
``posts.photo_problem`` (NULL when the photo is fine) with ``posts.photo_checked_at``; the
dashboard's Queue and Appeals pages and ``queue`` show it as "photo will not go: …". The post
still goes on time: at sending, a photo that fails goes out as "sent without photo"
(:mod:`bot.sending.publishing`).

The download is the publishers' own (:func:`bot.platforms.media.download_image`, through
:func:`bot.core.net.fetch`): a whole-request deadline, a size cap and the SSRF guard.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlite_utils

from bot.core.clock import to_iso
from bot.core.errors import PhotoUnreachable, PhotoUnusable
from bot.core.net import NetPolicy
from bot.core.settings import Settings
from bot.platforms.media import download_image
from bot.sending.plan import due_within

# The smaller of the platforms' still-image limits that matter here: X takes 5 MB.
MAX_PHOTO_BYTES = 5_000_000
TIMEOUT_SECONDS = 10.0
# How often the daemon runs the check (bot.scheduler): a new post's photo is checked within this.
CHECK_EVERY = timedelta(minutes=5)
# A post due within this long is checked again if its last check is older than this.
RECHECK_BEFORE = timedelta(minutes=30)
# At most this many distinct photos a run, so a backlog cannot keep the job busy for long.
MAX_PER_RUN = 20
WAITING = ("draft", "queued")


def photo_problem(policy: NetPolicy, url: str) -> str | None:
    """Why the photo at ``url`` will not go, in words for a comms officer; None when it is fine."""
    try:
        download_image(policy, url, platform="photo")
    except PhotoUnusable as error:
        return error.message
    except PhotoUnreachable as error:
        return f"{error.message}; if it stays so, the post goes without it"
    return None


def check_photos(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    limit: int = MAX_PER_RUN,
) -> dict[str, str | None]:
    """Check the photos of waiting posts never checked, and of those the plan sends within
    :data:`RECHECK_BEFORE` whose check is older than that. Returns url → problem (None: fine).

    "Due soon" is the plan's own time (:func:`bot.sending.plan.due_within`), so posts waiting
    days for a slot in a long queue are not fetched again every half hour.
    """
    stale = to_iso(now - RECHECK_BEFORE)
    soon = json.dumps(due_within(db, settings, now, RECHECK_BEFORE))
    rows = db.execute(
        "SELECT DISTINCT image_url FROM posts WHERE status IN (?, ?) AND image_url IS NOT NULL"
        " AND image_url != '' AND (photo_checked_at IS NULL OR (photo_checked_at <= ?"
        " AND id IN (SELECT value FROM json_each(?)))) LIMIT ?",
        [*WAITING, stale, soon, limit],
    ).fetchall()
    allow = settings.allow_private_addresses
    policy = NetPolicy(TIMEOUT_SECONDS, MAX_PHOTO_BYTES, allow_private=allow)
    results: dict[str, str | None] = {}
    for (url,) in rows:
        results[url] = problem = photo_problem(policy, url)
        db.execute(
            "UPDATE posts SET photo_problem = ?, photo_checked_at = ?"
            " WHERE image_url = ? AND status IN (?, ?)",
            [problem, to_iso(now), url, *WAITING],
        )
    return results
