"""Cost flat in history: every query the hot paths run reaches posts, metrics and events through
an index (``EXPLAIN QUERY PLAN`` says SEARCH), never by reading the whole table (SCAN); and
the work SQLite does for each (its virtual machine's steps) stays the same when a year of old,
closed history is added underneath.

The statements are captured as the library runs them (``set_trace_callback``), so a query
added or changed on these paths is checked without listing it here.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from benchmarks.history import grow_history
from bot.appeals.reappeals import queue_reappeals
from bot.appeals.retention import due_for_purge, purge_expired
from bot.appeals.withdrawal import list_withdrawals, process_deletions, withdraw_item
from bot.core import events
from bot.core.clock import to_iso
from bot.core.db import open_db
from bot.platforms.base import Metrics
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.planner import plan_posts
from bot.posts.queue import (
    SlotRoom,
    claim,
    claim_next,
    enqueue,
    list_posts,
    store_item,
    transition,
)
from bot.posts.states import OPEN_STATUSES, PostStatus
from bot.sending.plan import current_plan
from bot.sending.publishing import reconcile_stale
from bot.shares.metrics import due_readings, reads_in_window, store_reading
from bot.shares.totals import ranked_appeals, shares_per_appeal
from bot.status import gather_status
from bot.web.views import SHARES_PAGE_SIZE
from tests.factories import NOW, make_item, make_settings

BIG_TABLES = ("posts", "metrics", "events")


@pytest.fixture
def history(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    """A little of everything a grown database holds: sent, queued, deleting and withdrawn
    posts, readings and log lines, with times over two months."""
    settings = make_settings(tmp_path)
    db = open_db(settings.database_path)
    for n in range(1, 13):
        at = NOW - timedelta(days=60 - 5 * n)
        store_item(db, make_item(n), at)
        enqueue(db, f"item-{n}", plan_posts(make_item(n), settings, at), at)
        events.record(db, "queue", "queued", "", item_id=f"item-{n}", now=at)
        post = claim_next(db, "x", at, "host:1", due_only=False)
        if post is None or n > 9:
            continue
        transition(db, post.id, PostStatus.SENT, sent_at=to_iso(at), remote_id=f"r{n}")
        events.record_post(db, post, "send", "sent", "", at)
    due = due_readings(db, settings, NOW, everything=True)
    for reading in due[:4]:
        store_reading(db, reading, Metrics(shares=3), NOW)
    withdraw_item(db, "item-2", "found safe", NOW)
    yield db
    db.close()


def traced(db: sqlite_utils.Database, run: Callable[[], object]) -> list[str]:
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        db.conn.set_trace_callback(None)
    return [s for s in statements if re.match(r"\s*(SELECT|UPDATE|DELETE|WITH)\b", s, re.I)]


def full_scans(db: sqlite_utils.Database, statement: str) -> list[str]:
    """The plan lines of ``statement`` that read a whole big table (or all of an index of it)."""
    names = {table: table for table in BIG_TABLES}
    for table, alias in re.findall(
        r"\b(posts|metrics|events)\s+(?:AS\s+)?(\w+)", statement, re.IGNORECASE
    ):
        if alias.upper() not in {"WHERE", "ON", "SET", "JOIN", "LEFT", "ORDER", "GROUP", "USING"}:
            names[alias] = table
    plan = db.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    if re.search(r"WHERE 1 = 1 ORDER BY [^()]* LIMIT \d+( OFFSET 0)?$", statement) and not any(
        "TEMP B-TREE" in row[3] for row in plan
    ):
        return []  # unfiltered, read in the order asked for: the scan stops at N
    return [
        row[3]
        for row in plan
        if (match := re.match(r"SCAN (\w+)", row[3])) and match.group(1) in names
    ]


def claim_in_a_slot(db: sqlite_utils.Database, tmp_path: Path) -> object:
    """Queue a post and claim it for a slot (the slot's room and the day's budget are
    counted), then undo both, so the same work can be measured again on a grown history."""
    settings = make_settings(tmp_path)
    db.execute("SAVEPOINT measured")
    try:
        item = make_item(99)
        store_item(db, item, NOW)
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
        (post_id,) = db.execute(
            "SELECT id FROM posts WHERE item_id = ? AND platform = 'x'", [item.id]
        ).fetchone()
        slot = SlotRoom("2026-11-25T09:00", 2)
        return claim(db, post_id, NOW, "host:3", daily_limit=17, normal_limit=13, slot=slot)
    finally:
        db.execute("ROLLBACK TO measured")
        db.execute("RELEASE measured")


def hot_paths(db: sqlite_utils.Database, tmp_path: Path) -> dict[str, Callable[[], object]]:
    settings = make_settings(tmp_path, REAPPEAL_DAYS="7,30")
    publishers = {"x": SandboxPublisher("x"), "facebook": SandboxPublisher("facebook")}
    return {
        "claim in a slot": lambda: claim_in_a_slot(db, tmp_path),
        "claim with the daily budget": lambda: claim_next(
            db, "x", NOW, "host:2", daily_limit=17, normal_limit=13
        ),
        "due share readings": lambda: due_readings(db, settings, NOW),
        "read budget": lambda: reads_in_window(db, "x", timedelta(minutes=15), NOW),
        "deletions": lambda: process_deletions(db, publishers, NOW, random.Random(1)),
        "re-appeal candidates": lambda: queue_reappeals(db, settings, NOW),
        "default queue": lambda: list_posts(db, OPEN_STATUSES),
        "queue of one platform": lambda: list_posts(db, OPEN_STATUSES, "x"),
        "log": lambda: events.list_events(db, limit=10),
        "log by outcome": lambda: events.list_events(db, outcome="failed", limit=10),
        "log by platform": lambda: events.list_events(db, platform="facebook", limit=10),
        "log since": lambda: events.list_events(db, since=NOW - timedelta(days=1), limit=10),
        "purges due": lambda: due_for_purge(db, 30, NOW),
        "withdrawals": lambda: list_withdrawals(db, ("x", "facebook"), 1),
        "stale claims": lambda: reconcile_stale(db, lambda owner: True, NOW),
        "status": lambda: gather_status(db, settings, NOW),
        "schedule": lambda: current_plan(db, settings, NOW),
    }


HOT_PATHS = [
    "claim with the daily budget",
    "claim in a slot",
    "due share readings",
    "read budget",
    "deletions",
    "re-appeal candidates",
    "default queue",
    "queue of one platform",
    "log",
    "log by outcome",
    "log by platform",
    "log since",
    "purges due",
    "withdrawals",
    "stale claims",
    "status",
    "schedule",
]


@pytest.mark.parametrize("name", HOT_PATHS)
def test_hot_path_reads_big_tables_only_through_indexes(
    history: sqlite_utils.Database, tmp_path: Path, name: str
) -> None:
    statements = traced(history, hot_paths(history, tmp_path)[name])
    assert statements, f"{name} ran no query: the test would prove nothing"
    for statement in statements:
        assert full_scans(history, statement) == [], statement


def vm_steps(db: sqlite_utils.Database, run: Callable[[], object]) -> int:
    """SQLite virtual machine instructions ``run`` costs, in hundreds."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.conn.set_progress_handler(count, 100)
    try:
        run()
    finally:
        db.conn.set_progress_handler(None, 0)
    return steps


def test_hot_paths_cost_the_same_with_a_year_of_history_underneath(
    history: sqlite_utils.Database, tmp_path: Path
) -> None:
    paths = hot_paths(history, tmp_path)
    # Read-only paths only, each run before and after with the same work to find. Not "purges
    # due": the grown history's appeals, found months ago, are due for purging.
    names = [n for n in HOT_PATHS if n not in ("deletions", "re-appeal candidates", "purges due")]
    before = {name: vm_steps(history, paths[name]) for name in names}
    settings = make_settings(tmp_path)
    grow_history(history, settings, 600, end=NOW - timedelta(days=90), open_share=0.0)
    assert history.execute("SELECT COUNT(*) FROM posts").fetchone()[0] > 600
    after = {name: vm_steps(history, paths[name]) for name in names}
    grown = {name: (before[name], after[name]) for name in names if after[name] > before[name] + 5}
    assert grown == {}, "steps (hundreds) before and after the history grew"


def test_the_shares_page_reads_one_page_through_indexes(
    history: sqlite_utils.Database, tmp_path: Path
) -> None:
    # The dashboard's /shares: the count, the page's ids in rank order and the page's sums.
    # Stricter than the hot paths: no table at all is read whole (items and item_shares grow
    # with history too), and no sort is built (rank order comes from the index).
    def page(size: int) -> list[str]:
        ids = ranked_appeals(history, 1, size).item_ids
        assert len(ids) == size, "the page is not full: the test would prove less"
        return ids

    ids = page(5)
    before = vm_steps(history, lambda: shares_per_appeal(history, ids))
    grow_history(history, make_settings(tmp_path), 600, end=NOW - timedelta(days=90))
    # A full page of the real size: with 30 ids, SQLite would rather read every appeal by
    # its kind than the page's posts, unless told the join's order.
    statements = traced(history, lambda: shares_per_appeal(history, page(SHARES_PAGE_SIZE)))
    assert len(statements) == 3, statements
    for statement in statements:
        plan = [row[3] for row in history.execute(f"EXPLAIN QUERY PLAN {statement}")]
        assert not [
            line
            for line in plan
            if line.startswith("SCAN")
            or "TEMP B-TREE" in line
            or ("(kind=?)" in line and "item_shares" not in line)
        ], (statement, plan)
    # The page's sums cost the same with a year of appeals beneath it (the count alone reads
    # the kind index's entries, one step each). Grown appeals have more posts: a little more.
    ids = page(5)
    after = vm_steps(history, lambda: shares_per_appeal(history, ids))
    assert after <= before + 5, (before, after)


def test_the_purge_reaches_its_appeals_through_indexes_and_reads_each_table_once(
    history: sqlite_utils.Database, tmp_path: Path
) -> None:
    # Three found appeals at once: their own rows by id through indexes; the sweep for copies
    # elsewhere reads each table once for all three together, not once per appeal and string.
    for item_id in ("item-3", "item-4"):
        withdraw_item(history, item_id, "found safe", NOW)
    settings = make_settings(tmp_path, RETENTION_DAYS="30")
    purged: list[str] = []
    statements = traced(
        history, lambda: purged.extend(purge_expired(history, settings, NOW + timedelta(days=30)))
    )
    assert sorted(purged) == ["item-2", "item-3", "item-4"]
    sweeps = [s for s in statements if "instr(" in s]
    for statement in statements:
        if statement not in sweeps:
            assert full_scans(history, statement) == [], statement
    swept = [match.group(1) for s in sweeps if (match := re.search(r'FROM "(\w+)"', s))]
    assert len(swept) == len(sweeps) == len(set(swept)), swept
    # Every table that can hold text a person or a feed wrote; metrics hold only numbers, times
    # and platform names.
    assert {"items", "posts", "events", "alerts", "web_sessions"} <= set(swept)
    assert "metrics" not in swept


def test_the_check_sees_a_full_scan(history: sqlite_utils.Database) -> None:
    # The detector itself: a query with no usable index is caught, alias and all.
    statement = "SELECT COUNT(*) FROM posts p WHERE p.text LIKE '%coat%'"
    assert full_scans(history, statement) == ["SCAN p"]
    assert full_scans(history, "SELECT * FROM events WHERE detail = 'x'") == ["SCAN events"]
