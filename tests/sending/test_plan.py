"""The plan as people see it: `queue`'s goes-out column and JSON, and the lines commands print."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from bot.core.clock import to_iso
from bot.core.db import open_db
from bot.core.settings import Settings
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, list_posts, store_item
from bot.sending.plan import current_plan, goes_out, planned_lines
from tests.factories import NOW, make_item, make_settings

# 13:50 in London (GMT): after the 09:00 slot, before the 18:30 one.
AFTERNOON = NOW.replace(hour=13, minute=50)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[sqlite_utils.Database, Settings]:
    settings = make_settings(tmp_path, PLATFORMS="x", POST_SLOTS="09:00,18:30")
    return open_db(settings.database_path), settings


def queue_one(
    db: sqlite_utils.Database,
    settings: Settings,
    n: int = 1,
    at: datetime = AFTERNOON,
    **item: object,
) -> int:
    entry = make_item(n, **item)
    store_item(db, entry, at)
    [post_id] = enqueue(db, entry.id, plan_posts(entry, settings, at), at)
    return post_id


def row(
    db: sqlite_utils.Database, settings: Settings, post_id: int, now: datetime
) -> dict[str, object]:
    [found] = [r for r in list_posts(db) if r["id"] == post_id]
    return goes_out(found, current_plan(db, settings, now), settings.timezone, now)


def test_a_queued_post_shows_its_slot_labelled_and_iso_with_offset(setup) -> None:  # type: ignore[no-untyped-def]
    db, settings = setup
    post_id = queue_one(db, settings)
    shown = row(db, settings, post_id, AFTERNOON)
    assert shown["goes_out_text"] == "2026-11-25 18:30 GMT (slot)"
    assert shown["goes_out"] == "2026-11-25T18:30:00+00:00"
    assert (shown["goes_out_how"], shown["goes_out_slot"]) == ("slot", "2026-11-25T18:30")


def test_summer_time_is_labelled_and_carries_its_offset(setup) -> None:  # type: ignore[no-untyped-def]
    db, settings = setup
    evening = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # the clocks go forward overnight
    post_id = queue_one(db, settings, at=evening)
    shown = row(db, settings, post_id, evening)
    assert shown["goes_out_text"] == "2026-03-29 09:00 BST (slot)"
    assert shown["goes_out"] == "2026-03-29T09:00:00+01:00"


def test_urgent_drafts_retries_and_sent_posts(setup) -> None:  # type: ignore[no-untyped-def]
    db, settings = setup
    urgent = queue_one(db, settings, 1, urgent=True)
    assert row(db, settings, urgent, AFTERNOON)["goes_out_text"] == "now (urgent)"
    retry = queue_one(db, settings, 2)
    db.execute(
        "UPDATE posts SET next_attempt_at = ? WHERE id = ?",
        [to_iso(NOW.replace(hour=19)), retry],
    )
    # Within SLOT_CATCH_UP_MINUTES of the 18:30 slot: it keeps its place there, late.
    shown = row(db, settings, retry, AFTERNOON)["goes_out_text"]
    assert shown == "2026-11-25 19:00 GMT (catching up the 18:30 slot)"
    db.execute(
        "UPDATE posts SET next_attempt_at = ? WHERE id = ?",
        [to_iso(NOW.replace(hour=19, minute=31)), retry],
    )
    assert row(db, settings, retry, AFTERNOON)["goes_out_text"] == "2026-11-26 09:00 GMT (slot)"
    draft = queue_one(db, settings, 3)
    db.execute("UPDATE posts SET status = 'draft' WHERE id = ?", [draft])
    shown = row(db, settings, draft, AFTERNOON)
    assert (shown["goes_out"], shown["goes_out_text"]) == (None, "waits for approval")
    db.execute(
        "UPDATE posts SET status = 'sent', sent_at = ? WHERE id = ?",
        [to_iso(AFTERNOON - timedelta(hours=5)), urgent],
    )
    assert row(db, settings, urgent, AFTERNOON)["goes_out_text"] == "sent 2026-11-25 08:50 GMT"


def test_the_per_slot_limit_shows_in_the_times(setup) -> None:  # type: ignore[no-untyped-def]
    db, settings = setup  # POSTS_PER_SLOT=2: the third and fourth wait for the next slot
    ids = [queue_one(db, settings, n) for n in range(4)]
    lines = planned_lines(db, settings, ids, AFTERNOON)
    assert lines == [
        f"post {ids[0]} (x): goes out 2026-11-25 18:30 GMT (slot)",
        f"post {ids[1]} (x): goes out 2026-11-25 18:30 GMT (slot)",
        f"post {ids[2]} (x): goes out 2026-11-26 09:00 GMT (slot)",
        f"post {ids[3]} (x): goes out 2026-11-26 09:00 GMT (slot)",
    ]
