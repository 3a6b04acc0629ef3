"""Which posts an ``ID`` names for approve, edit, reject, retry and post (README: an id is a queue
id or an item id; ``item:`` marks an item whose id is a number). A feed's ids are whatever its
CMS writes, so an id that itself begins with ``item:`` must be reachable too."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from bot.core.db import open_db
from bot.core.errors import NotFound
from bot.posts.approval import resolve
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from tests.factories import NOW, make_item, make_settings


def queue_items(tmp_path: Path, *item_ids: str) -> sqlite_utils.Database:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    for item_id in item_ids:
        item = make_item(1, id=item_id)
        store_item(db, item, NOW)
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    return db


def item_of(db: sqlite_utils.Database, post_ids: list[int]) -> set[str]:
    marks = ",".join("?" for _ in post_ids)
    rows = db.execute(f"SELECT item_id FROM posts WHERE id IN ({marks})", post_ids).fetchall()
    return {row[0] for row in rows}


def test_a_queue_id_a_numbered_item_and_a_named_item(tmp_path: Path) -> None:
    db = queue_items(tmp_path, "sam-1", "1234")
    assert item_of(db, resolve(db, "1")) == {"sam-1"}  # queue id 1
    assert item_of(db, resolve(db, "item:1234")) == {"1234"}
    assert item_of(db, resolve(db, "sam-1")) == {"sam-1"}


@pytest.mark.parametrize("item_id", ["item:5", "item:abc", "item:"])
def test_an_item_whose_own_id_begins_with_item(tmp_path: Path, item_id: str) -> None:
    db = queue_items(tmp_path, item_id)
    assert item_of(db, resolve(db, item_id)) == {item_id}
    assert item_of(db, resolve(db, f"item:{item_id}")) == {item_id}


def test_the_numbered_item_wins_over_one_spelt_with_the_prefix(tmp_path: Path) -> None:
    db = queue_items(tmp_path, "5", "item:5")
    assert item_of(db, resolve(db, "item:5")) == {"5"}  # as the README says
    assert item_of(db, resolve(db, "item:item:5")) == {"item:5"}


def test_an_unknown_id_is_not_found(tmp_path: Path) -> None:
    db = queue_items(tmp_path, "sam-1")
    with pytest.raises(NotFound, match="no queue entry or item item:9"):
        resolve(db, "item:9")


@pytest.mark.parametrize("ref", ["²", "①", "₁₂", " ³ "])
def test_a_ref_in_digits_int_refuses_is_not_found_not_a_crash(tmp_path: Path, ref: str) -> None:
    # str.isdigit() takes superscripts and circled numbers, which int() refuses: a comms
    # officer pasting "①" must get "no such post", never a traceback.
    db = queue_items(tmp_path, "appeal-1")
    with pytest.raises(NotFound):
        resolve(db, ref)
