"""Each appeal's share count, kept as readings arrive, so pages rank appeals by shares a page at a
time without reading every post's history.

``item_shares`` holds, per item, the sum over its posts of each post's latest ``shares``
reading (0 from its first post sent until a reading comes): the same number
:func:`bot.shares.stats.stats_report` adds up from the ``metrics`` table. Triggers keep it in
step with every reading stored and post sent, in the same transaction (``ITEM_SHARES_TRIGGER``
in :mod:`bot.core.migrations`); the migration that made the table filled it from the readings
already taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class RankedPage:
    """One page of appeals, most shared first: their ids, and how many appeals there are."""

    item_ids: list[str]
    total: int
    page: int
    pages: int


def ranked_appeals(db: sqlite_utils.Database, page: int, page_size: int) -> RankedPage:
    """Page ``page`` (from 1; clamped) of the appeals ever posted, most shared first
    (ties by id), read through the ``item_shares_rank`` index."""
    # CROSS JOIN: item_shares first, in its rank index's order, so the page stops at LIMIT.
    total = db.execute(
        "SELECT COUNT(*) FROM item_shares s CROSS JOIN items i ON i.id = s.item_id"
        " WHERE i.kind = 'appeal'"
    ).fetchone()[0]
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    ids = [
        row[0]
        for row in db.execute(
            "SELECT s.item_id FROM item_shares s CROSS JOIN items i ON i.id = s.item_id"
            " WHERE i.kind = 'appeal' ORDER BY s.shares DESC, s.item_id LIMIT ? OFFSET ?",
            [page_size, (page - 1) * page_size],
        )
    ]
    return RankedPage(ids, total, page, pages)


def shares_of(db: sqlite_utils.Database, item_ids: list[str]) -> dict[str, int]:
    """The share count of each of ``item_ids`` that has one."""
    if not item_ids:
        return {}
    marks = ",".join("?" * len(item_ids))
    return dict(
        db.execute(
            f"SELECT item_id, shares FROM item_shares WHERE item_id IN ({marks})", item_ids
        ).fetchall()
    )
