"""The Shares page's bar chart: geometry computed here (pure), drawn as inline SVG by a template.

No chart library and no script: the server works out each bar's size and the template writes
``<rect>`` and ``<text>`` elements, so labels (appeal titles, i.e. feed text) go through Jinja's
autoescaping like everything else. The numbers are :mod:`bot.shares.stats`' (the ``metrics`` table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.shares.stats import appeal_stats, as_of, load_histories

BAR_HEIGHT = 26
GAP = 12
LABEL_HEIGHT = 18
CHART_WIDTH = 640
LEFT = 4
VALUE_ROOM = 70


@dataclass(frozen=True)
class Bar:
    """One appeal's bar: label above, bar below, value at the bar's end."""

    label: str
    value: int
    y: int
    width: int
    value_x: int


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    width: int
    height: int
    bar_height: int = BAR_HEIGHT
    label_height: int = LABEL_HEIGHT


def bar_chart(rows: list[tuple[str, int]], width: int = CHART_WIDTH) -> Chart:
    """Horizontal bars scaled to the largest value; a zero value still shows a sliver."""
    top = max((value for _, value in rows), default=0) or 1
    room = width - LEFT - VALUE_ROOM
    bars = []
    y = 0
    for label, value in rows:
        length = max(2, round(room * value / top))
        bars.append(Bar(label=label, value=value, y=y, width=length, value_x=LEFT + length + 6))
        y += LABEL_HEIGHT + BAR_HEIGHT + GAP
    return Chart(bars=tuple(bars), width=width, height=max(y, 1))


@dataclass(frozen=True)
class AppealShares:
    """One appeal's shares, all platforms together, and per platform for the table."""

    item_id: str
    title: str
    value: int
    by_platform: dict[str, int]
    posts: int


def shares_per_appeal(
    db: sqlite_utils.Database, now: datetime, item_ids: list[str] | None = None
) -> list[AppealShares]:
    """Every appeal ever posted (or those of ``item_ids``), most shared first, from
    :mod:`bot.shares.stats` (the latest reading of each post in the ``metrics`` table, added
    up). An appeal whose posts have no reading yet counts 0."""
    totals: dict[str, AppealShares] = {}
    for row in appeal_stats(load_histories(db, item_ids), as_of(db, now)):
        if row.kind != "appeal":
            continue
        entry = totals.setdefault(row.item_id, AppealShares(row.item_id, row.title, 0, {}, 0))
        entry.by_platform[row.platform] = entry.by_platform.get(row.platform, 0) + row.shares
        totals[row.item_id] = AppealShares(
            entry.item_id,
            entry.title,
            entry.value + row.shares,
            entry.by_platform,
            entry.posts + row.posts,
        )
    return sorted(totals.values(), key=lambda a: (-a.value, a.title))
