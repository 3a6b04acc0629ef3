"""The Shares page's bar chart: geometry computed here (pure), drawn as inline SVG by a template.

No chart library and no script: the server works out each bar's size and the template writes
``<rect>`` and ``<text>`` elements, so labels (appeal titles, i.e. feed text) go through Jinja's
autoescaping like everything else. The numbers are :mod:`bot.shares.totals`' (the ``metrics``
table).
"""

from __future__ import annotations

from dataclasses import dataclass

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
