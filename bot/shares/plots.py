"""Charts of shares for the comms team's reports: PNG files drawn with matplotlib's Agg renderer.

matplotlib is imported inside the functions, never at module level, so the daemon (which only
stores readings) never pays for loading it. Figures are built as ``Figure`` objects on an Agg
canvas rather than through pyplot: no global state, no GUI backend, safe off the main thread.
The data comes from :mod:`bot.shares.stats`; this module only draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.core.display import shorten
from bot.core.errors import AppealBotError
from bot.core.private import open_private
from bot.core.settings import Settings
from bot.shares.stats import Series, appeal_series, top_series, weekly_shares

PLATFORM_NAMES = {"x": "X", "facebook": "Facebook", "bluesky": "Bluesky", "mastodon": "Mastodon"}
FIGSIZE = (10.0, 5.5)
DPI = 110


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", zone))


def _figure() -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


# The formats a name may ask for, by its suffix, as matplotlib names them.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg"}


def check_plot_path(path: Path) -> str:
    """The format ``path`` asks for; raises AppealBotError for a folder that does not exist (a
    typo, never created for the caller) or a suffix other than .png, .svg, .pdf, .jpg."""
    if not path.parent.is_dir():
        raise AppealBotError(f"--plot: the folder {path.parent} does not exist")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise AppealBotError(
            f"--plot {path.name}: name the file .png, .svg, .pdf or .jpg, the format it will be"
        )
    return fmt


def _save(figure: Any, path: Path) -> Path:
    fmt = check_plot_path(path)
    with open_private(path) as handle:
        figure.savefig(handle, format=fmt)
    return path


def _count_axis(axes: Any, top: int) -> None:
    """Whole shares from 0: a count is never 0.01 or −0.04, even with nothing shared yet."""
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0, top=max(top, 1) * 1.1)


def plot_series(series: Mapping[str, Series], path: Path, title: str, zone: tzinfo) -> Path:
    """Shares over time, one line per series from 0 when sent through a dot at each reading
    (a straight line between two readings: the counts in between were not read); dates in
    ``zone``."""
    import matplotlib.dates as mdates

    if not any(series.values()):
        raise AppealBotError("nothing to plot: no posts sent yet")
    figure, axes = _figure()
    for label, points in series.items():
        if not points:
            continue
        times = [moment.astimezone(zone) for moment, _ in points]
        counts = [count for _, count in points]
        axes.plot(times, counts, marker="o", markersize=4, label=label)
    locator = mdates.AutoDateLocator(tz=zone)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=zone))
    axes.set_title(title)
    axes.set_xlabel(f"time ({_zone_name(zone)})")
    axes.set_ylabel("shares (X reposts, Facebook shares)")
    _count_axis(axes, max((count for points in series.values() for _, count in points), default=0))
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", fontsize="small")
    return _save(figure, path)


def plot_weekly(weeks: Sequence[tuple[date, Mapping[str, int]]], path: Path, zone: tzinfo) -> Path:
    """Shares gained each week, a bar per platform, weeks starting Monday in ``zone``."""
    platforms = sorted({p for _, gained in weeks for p in gained})
    if not weeks or not platforms:
        raise AppealBotError("nothing to plot: no posts sent yet")
    figure, axes = _figure()
    width = 0.8 / len(platforms)
    positions = range(len(weeks))
    for index, platform in enumerate(platforms):
        bars = axes.bar(
            [x + (index - (len(platforms) - 1) / 2) * width for x in positions],
            [gained.get(platform, 0) for _, gained in weeks],
            width,
            label=PLATFORM_NAMES.get(platform, platform),
        )
        axes.bar_label(bars, fontsize="x-small", padding=2)
    axes.set_xticks(list(positions), [monday.strftime("%d %b") for monday, _ in weeks])
    axes.set_title("Shares gained per week, all appeals and news")
    axes.set_xlabel(f"week starting Monday ({_zone_name(zone)})")
    axes.set_ylabel("shares gained")
    _count_axis(axes, max((n for _, gained in weeks for n in gained.values()), default=0))
    axes.grid(True, axis="y", alpha=0.3)
    axes.legend(loc="upper left", fontsize="small")
    return _save(figure, path)


def write_plot(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    path: str | Path,
    *,
    appeal: str | None = None,
    top: int = 5,
    weekly: bool = False,
    weeks: int = 8,
) -> Path:
    """``run_bot.py stats --plot``: one appeal by platform, the top ``top`` appeals, or
    (``weekly``) shares gained per week. Raises AppealBotError when there is nothing to draw."""
    path = Path(path)
    check_plot_path(path)
    zone = settings.timezone
    if weekly:
        return plot_weekly(weekly_shares(db, now, zone, weeks), path, zone)
    if appeal is not None:
        row = db.execute("SELECT title FROM items WHERE id = ?", [appeal]).fetchone()
        if row is None:
            raise AppealBotError(f"no appeal or news item {appeal} (see `queue --all`)")
        by_platform = appeal_series(db, appeal)
        if not by_platform:
            raise AppealBotError(f"appeal {appeal!r} has not been posted yet: nothing to plot")
        series = {PLATFORM_NAMES.get(p, p): points for p, points in sorted(by_platform.items())}
        return plot_series(series, path, f"Shares over time: {shorten(row[0], 70)}", zone)
    series = {shorten(title, 45): points for title, points in top_series(db, now, top).items()}
    if not series:
        raise AppealBotError("no appeal has been posted yet: nothing to plot")
    return plot_series(series, path, f"Shares over time: top {len(series)} appeals", zone)
