"""The queue: ordering, claiming across processes, slot limits, budgets, the state machine."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.db import open_db
from bot.core.errors import NotFound
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.planner import plan_posts
from bot.posts.queue import (
    budget_used,
    claim_next,
    enqueue,
    list_posts,
    store_item,
    transition,
)
from bot.posts.states import PostStatus
from bot.sending.publishing import run_slot
from tests.factories import NOW, make_item, make_settings


def queue_items(db, settings, items, now=NOW):  # type: ignore[no-untyped-def]
    for item in items:
        store_item(db, item, now)
        enqueue(db, item.id, plan_posts(item, settings, now), now)


def test_claim_order_is_urgent_then_appeals_then_news_then_oldest(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    queue_items(db, settings, [make_item(1, kind="news", status=None)], NOW)
    queue_items(db, settings, [make_item(2)], NOW + timedelta(minutes=1))
    queue_items(db, settings, [make_item(3)], NOW)
    queue_items(db, settings, [make_item(4, urgent=True)], NOW + timedelta(minutes=2))
    later = NOW + timedelta(hours=1)
    order = []
    while (post := claim_next(db, "x", later, "me")) is not None:
        order.append(post.item_id)
    assert order == ["item-4", "item-3", "item-2", "item-1"]


def test_a_post_is_not_claimed_before_its_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    item = make_item(1)
    store_item(db, item, NOW)
    enqueue(
        db, item.id, plan_posts(item, settings, NOW, scheduled_at=NOW + timedelta(hours=2)), NOW
    )
    assert claim_next(db, "x", NOW + timedelta(hours=1), "me") is None
    assert claim_next(db, "x", NOW + timedelta(hours=2), "me") is not None


def test_the_same_item_is_never_queued_twice_per_platform(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = open_db(settings.database_path)
    queue_items(db, settings, [make_item(1)])
    queue_items(db, settings, [make_item(1)])
    assert len(list_posts(db)) == 2  # one for x, one for facebook


def test_the_state_machine_refuses_impossible_moves(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    queue_items(db, settings, [make_item(1)])
    post_id = list_posts(db)[0]["id"]
    assert transition(db, post_id, PostStatus.CANCELLED)
    assert not transition(db, post_id, PostStatus.SENDING)  # cancelled is final
    with pytest.raises(NotFound):
        transition(db, 999, PostStatus.SENT)


def _claim_worker(path: str, ready, start, out) -> None:  # type: ignore[no-untyped-def]
    db = open_db(path)
    ready.put(True)
    start.wait()
    claimed = []
    while (post := claim_next(db, "x", NOW + timedelta(days=1), f"worker-{id(db)}")) is not None:
        claimed.append(post.id)
        time.sleep(0.002)  # "sending": gives the other process its turns even on a busy machine
    out.put(claimed)


def test_two_processes_claiming_at_once_never_take_the_same_post(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    queue_items(db, settings, [make_item(n) for n in range(200)])
    context = multiprocessing.get_context("spawn")
    ready, start, out = context.Queue(), context.Event(), context.Queue()
    workers = [
        context.Process(target=_claim_worker, args=(str(settings.database_path), ready, start, out))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=60)  # both are connected and waiting: the race is real
    start.set()
    results = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    first, second = results
    assert first and second, "both processes should have claimed some posts"
    assert not set(first) & set(second)
    assert len(first) + len(second) == 200


def test_a_slot_sends_at_most_posts_per_slot_per_platform_in_priority_order(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, POSTS_PER_SLOT="2")
    db = open_db(settings.database_path)
    queue_items(db, settings, [make_item(1, kind="news", status=None), make_item(2), make_item(3)])
    queue_items(db, settings, [make_item(4, urgent=True)], NOW + timedelta(minutes=5))
    publishers = {"x": SandboxPublisher("x"), "facebook": SandboxPublisher("facebook")}
    report = run_slot(
        db,
        publishers,
        settings,
        limit=settings.posts_per_slot,
        clock=lambda: NOW + timedelta(hours=1),
    )
    assert report.sent == {"x": 2, "facebook": 2}
    sent = [r["item_id"] for r in list_posts(db, ("sent",), "x")]
    assert sorted(sent) == ["item-2", "item-4"]
    assert {r["item_id"] for r in list_posts(db, ("queued",))} == {"item-1", "item-3"}


def test_the_daily_budget_holds_across_a_restart(tmp_path: Path) -> None:
    # No share kept for urgent appeals here: this test is about the whole limit surviving a restart.
    settings = make_settings(
        tmp_path, PLATFORMS="x", X_DAILY_POST_LIMIT="3", URGENT_BUDGET_SHARE="0"
    )
    db = open_db(settings.database_path)
    queue_items(db, settings, [make_item(n) for n in range(6)])
    clock = lambda: NOW + timedelta(minutes=10)  # noqa: E731
    assert run_slot(db, {"x": SandboxPublisher("x")}, settings, clock=clock).sent == {"x": 3}
    db.close()
    restarted = open_db(settings.database_path)  # a new process: only the table remembers
    report = run_slot(restarted, {"x": SandboxPublisher("x")}, settings, clock=clock)
    assert report.sent == {} and "daily limit of 3" in report.skipped["x"]
    tomorrow = lambda: NOW + timedelta(hours=25)  # noqa: E731
    assert run_slot(restarted, {"x": SandboxPublisher("x")}, settings, clock=tomorrow).sent == {
        "x": 3
    }


def test_the_budget_is_read_from_its_index_which_holds_no_queued_post(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    queue_items(db, settings, [make_item(n) for n in range(4)])
    later = NOW + timedelta(minutes=1)
    sent = claim_next(db, "x", later, "slot")
    assert sent is not None
    transition(db, sent.id, PostStatus.SENT, sent_at="2026-11-25T09:01:00.000000Z")
    assert claim_next(db, "x", later, "slot") is not None  # claimed, not sent yet
    ran: list[str] = []
    db.conn.set_trace_callback(ran.append)
    assert budget_used(db, "x", later) == 2
    db.conn.set_trace_callback(None)
    (statement,) = [sql for sql in ran if "COUNT(*)" in sql]
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}")]
    # Both ranges (sent in the day; claimed in it, not sent) are searched in posts_budget...
    assert sum("SEARCH posts USING COVERING INDEX posts_budget" in line for line in plan) == 2
    # ...which holds only posts claimed or sent: SQLite cannot read the queued ones from it.
    with pytest.raises(sqlite3.OperationalError, match="no query solution"):
        db.execute("SELECT COUNT(*) FROM posts INDEXED BY posts_budget WHERE status = 'queued'")


def test_the_budget_is_checked_inside_the_claim_so_two_senders_cannot_overspend(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    queue_items(db, settings, [make_item(1), make_item(2, urgent=True), make_item(3)])
    later = NOW + timedelta(minutes=1)
    # A slot and the urgent job both saw one post left of the day's limit: only one may take it.
    first = claim_next(db, "x", later, "slot", daily_limit=1, normal_limit=1)
    second = claim_next(db, "x", later, "urgent-job", daily_limit=1, normal_limit=1)
    assert first is not None and first.item_id == "item-2"  # urgent first
    assert second is None  # the claimed post already counts against the budget
    # Past the normal share only urgent appeals are claimed, and none is left.
    assert claim_next(db, "x", later, "slot", daily_limit=3, normal_limit=1) is None
    assert claim_next(db, "x", later, "slot", daily_limit=3, normal_limit=3) is not None


@settings(max_examples=60, deadline=None)
@given(
    categories=st.lists(st.text(max_size=6), max_size=3),
    facts=st.dictionaries(st.sampled_from(["age", "height", "area"]), st.text(max_size=6)),
)
def test_an_items_categories_and_facts_are_stored_as_json(
    categories: list[str], facts: dict[str, str]
) -> None:
    db = open_db(":memory:")
    item = make_item(1, categories=tuple(categories), facts=tuple(facts.items()))
    store_item(db, item, NOW)
    stored = db.execute("SELECT categories, facts FROM items").fetchone()
    assert stored == (
        json.dumps(categories),
        json.dumps(facts, sort_keys=True, ensure_ascii=False),
    )
