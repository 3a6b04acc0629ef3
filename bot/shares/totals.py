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
    (ties by id), counted and read through the ``item_shares_kind_rank`` index alone."""
    total = db.execute("SELECT COUNT(*) FROM item_shares WHERE kind = 'appeal'").fetchone()[0]
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    ids = [
        row[0]
        for row in db.execute(
            "SELECT item_id FROM item_shares WHERE kind = 'appeal'"
            " ORDER BY shares DESC, item_id LIMIT ? OFFSET ?",
            [page_size, (page - 1) * page_size],
        )
    ]
    return RankedPage(ids, total, page, pages)


@dataclass(frozen=True)
class AppealShares:
    """One appeal's shares, all platforms together, and per platform; ``posts`` sent."""

    item_id: str
    title: str
    value: int
    by_platform: dict[str, int]
    posts: int


def shares_per_appeal(db: sqlite_utils.Database, item_ids: list[str]) -> list[AppealShares]:
    """The appeals among ``item_ids`` that were posted, in the order given: each platform's
    sent posts and the sum of each post's latest ``shares`` reading (0 before the first), added
    up in SQL through the ``posts`` (item_id, ...) and ``metrics_post`` indexes. The numbers are
    :func:`bot.shares.stats.stats_report`'s; a purged appeal (no title left) shows its id."""
    if not item_ids:
        return []
    marks = ",".join("?" * len(item_ids))
    found: dict[str, AppealShares] = {}
    for item_id, title, platform, posts, shares in db.execute(
        "SELECT p.item_id, i.title, p.platform, COUNT(*), COALESCE(SUM((SELECT m.shares"
        " FROM metrics m WHERE m.post_id = p.id ORDER BY m.taken_at DESC, m.id DESC LIMIT 1)), 0)"
        # CROSS JOIN: the page's posts first (few), never every appeal by its kind.
        " FROM posts p CROSS JOIN items i ON i.id = p.item_id"
        f" WHERE p.item_id IN ({marks}) AND p.sent_at IS NOT NULL AND i.kind = 'appeal'"
        " GROUP BY p.item_id, p.platform",
        item_ids,
    ).fetchall():
        old = found.get(item_id) or AppealShares(item_id, title or item_id, 0, {}, 0)
        found[item_id] = AppealShares(
            item_id,
            old.title,
            old.value + shares,
            {**old.by_platform, platform: shares},
            old.posts + posts,
        )
    return [found[item_id] for item_id in item_ids if item_id in found]


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
