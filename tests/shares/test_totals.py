"""item_shares: each appeal's share count, kept by a trigger as readings are stored, always the
number the stats add up from the readings themselves."""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.core.clock import to_iso
from bot.core.db import open_db
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.shares.stats import stats_report
from bot.shares.totals import ranked_appeals, shares_of, shares_per_appeal
from tests.factories import NOW, make_item, make_settings


def stats_totals(db, now):  # type: ignore[no-untyped-def]
    totals: dict[str, int] = {}
    for row in stats_report(db, now).appeals:
        totals[row.item_id] = totals.get(row.item_id, 0) + row.shares
    return {k: v for k, v in totals.items() if v or k in shares_of(db, [k])}


def test_totals_match_the_stats_whatever_order_readings_arrive_in(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = open_db(settings.database_path)
    rng = random.Random(7)
    posts = []
    for n in range(1, 6):
        store_item(db, make_item(n), NOW)
        posts += enqueue(db, f"item-{n}", plan_posts(make_item(n), settings, NOW), NOW)
    db.execute("UPDATE posts SET status = 'sent', sent_at = ?", [to_iso(NOW)])
    for _ in range(120):
        post = rng.choice(posts)
        taken = NOW + timedelta(minutes=rng.randint(1, 500))  # some out of order, some ties
        db.execute(
            "INSERT INTO metrics (post_id, platform, taken_at, shares) SELECT id, platform, ?, ?"
            " FROM posts WHERE id = ?",
            [to_iso(taken), rng.randint(0, 300), post],
        )
    later = NOW + timedelta(days=1)
    assert shares_of(db, [f"item-{n}" for n in range(1, 6)]) == stats_totals(db, later)
    # The Shares page's sums, added up in SQL, are the stats' numbers platform by platform.
    by_stats = {
        (r.item_id, r.platform): (r.posts, r.shares) for r in stats_report(db, later).appeals
    }
    page = shares_per_appeal(db, ["item-3", "item-1", "item-9"])
    assert [row.item_id for row in page] == ["item-3", "item-1"]  # as asked; item-9 never posted
    for row in page:
        assert row.by_platform == {p: by_stats[(row.item_id, p)][1] for p in row.by_platform}
        assert row.posts == sum(by_stats[(row.item_id, p)][0] for p in row.by_platform)
        assert row.value == sum(row.by_platform.values()) and row.title.startswith("Person")


def test_the_migration_counts_readings_taken_before_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = open_db(settings.database_path)
    store_item(db, make_item(1), NOW)
    ids = enqueue(db, "item-1", plan_posts(make_item(1), settings, NOW), NOW)
    db.execute("UPDATE posts SET status = 'sent', sent_at = ?", [to_iso(NOW)])
    for shares, minutes in ((5, 10), (12, 60)):
        for post_id in ids:
            db.execute(
                "INSERT INTO metrics (post_id, platform, taken_at, shares) SELECT id, platform,"
                " ?, ? FROM posts WHERE id = ?",
                [to_iso(NOW + timedelta(minutes=minutes)), shares, post_id],
            )
    db.close()
    conn = sqlite3.connect(settings.database_path)
    # As a database from before the table (no totals, no trigger): every step runs again.
    conn.execute("DROP TRIGGER metrics_item_shares")
    conn.execute("DROP TABLE item_shares")
    conn.execute("PRAGMA user_version = 0")
    conn.commit()
    conn.close()
    db = open_db(settings.database_path)
    assert shares_of(db, ["item-1"]) == {"item-1": 12 * len(ids)}
    assert ranked_appeals(db, 1, 10).item_ids == ["item-1"]  # its kind filled in too


def test_ranked_pages_hold_every_appeal_once_most_shared_first(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    for n in range(1, 8):
        store_item(db, make_item(n), NOW)
        (post_id,) = enqueue(db, f"item-{n}", plan_posts(make_item(n), settings, NOW), NOW)
        db.execute(
            "UPDATE posts SET status = 'sent', sent_at = ? WHERE id = ?", [to_iso(NOW), post_id]
        )
        db.execute(
            "INSERT INTO metrics (post_id, platform, taken_at, shares) VALUES (?, 'x', ?, ?)",
            [post_id, to_iso(NOW), (n * 37) % 11],
        )
    pages = [ranked_appeals(db, page, 3) for page in (1, 2, 3, 9)]
    assert [p.total for p in pages] == [7] * 4 and [p.pages for p in pages] == [3] * 4
    assert pages[3].page == 3  # past the end: the last page
    order = [i for p in pages[:3] for i in p.item_ids]
    assert sorted(order) == [f"item-{n}" for n in range(1, 8)]
    counts = shares_of(db, order)
    assert [counts[i] for i in order] == sorted(counts.values(), reverse=True)


def test_only_appeals_are_ranked_and_a_changed_kind_follows(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    for n, kind in ((1, "appeal"), (2, "news"), (3, "appeal")):
        item = make_item(n, kind=kind)
        store_item(db, item, NOW)
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    db.execute("UPDATE posts SET status = 'sent', sent_at = ?", [to_iso(NOW)])
    assert sorted(ranked_appeals(db, 1, 10).item_ids) == ["item-1", "item-3"]
    assert ranked_appeals(db, 1, 10).total == 2
    assert shares_of(db, ["item-2"]) == {"item-2": 0}  # posted, listed, not ranked
    # A feed that now calls item-2 an appeal (and item-3 news): the ranking follows at once.
    store_item(db, make_item(2, kind="appeal"), NOW)
    store_item(db, make_item(3, kind="news"), NOW)
    assert sorted(ranked_appeals(db, 1, 10).item_ids) == ["item-1", "item-2"]
