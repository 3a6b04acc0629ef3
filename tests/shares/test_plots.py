"""Plot files: the format the name asks for, in a folder that exists, with honest axes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.errors import AppealBotError
from bot.shares.plots import write_plot
from bot.shares.stats import stats_report, stats_text, weekly_shares
from tests.shares.test_stats import T0, World, busy_world, world  # noqa: F401

MAGIC = {
    ".png": b"\x89PNG",
    ".svg": b"<?xml",
    ".pdf": b"%PDF",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}


@pytest.mark.parametrize("suffix", sorted(MAGIC))
def test_the_file_is_in_the_format_its_name_asks_for(
    world: World,  # noqa: F811
    tmp_path: Path,
    suffix: str,
) -> None:
    busy_world(world)
    target = tmp_path / f"shares{suffix}"
    write_plot(world.db, world.settings, T0 + timedelta(days=10), target)
    assert target.read_bytes().startswith(MAGIC[suffix])


@pytest.mark.parametrize("name", ["shares.gif", "shares", "shares.png.txt"])
def test_a_format_it_cannot_write_is_refused(
    world: World,  # noqa: F811
    tmp_path: Path,
    name: str,
) -> None:
    busy_world(world)
    with pytest.raises(AppealBotError, match=r"\.png, \.svg, \.pdf or \.jpg"):
        write_plot(world.db, world.settings, T0 + timedelta(days=10), tmp_path / name)
    assert list(tmp_path.glob("shares*")) == []


def test_a_folder_that_does_not_exist_is_refused_not_made(
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    busy_world(world)
    target = tmp_path / "nonexistent" / "x.png"
    with pytest.raises(AppealBotError, match="does not exist"):
        write_plot(world.db, world.settings, T0 + timedelta(days=10), target)
    assert not target.parent.exists()


def _ticks(world: World, tmp_path: Path, **options: object) -> list[float]:  # noqa: F811
    """The y-axis ticks of the plot the options ask for, read back from its SVG."""
    import re

    target = tmp_path / "ticks.svg"
    write_plot(world.db, world.settings, T0 + timedelta(days=10), target, **options)  # type: ignore[arg-type]
    labels = re.findall(r"<!-- (−?[\d.]+) -->", target.read_text())
    return [float(label.replace("−", "-")) for label in labels]


def test_no_shares_yet_gives_whole_number_ticks_from_zero(
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    world.send(1)  # sent, never shared
    for options in ({}, {"weekly": True}):
        ticks = _ticks(world, tmp_path, **options)
        assert ticks and all(t == int(t) and t >= 0 for t in ticks), (options, ticks)


def test_weekly_shows_only_weeks_the_bot_ran(world: World) -> None:  # noqa: F811
    busy_world(world)
    weeks = weekly_shares(world.db, T0 + timedelta(days=10), world.settings.timezone)
    first_monday = (T0 - timedelta(days=T0.weekday())).date()
    assert weeks[0][0] == first_monday
    assert len(weeks) == 2


def test_the_stats_table_keeps_closed_whole_and_labels_news_and_thanks(
    world: World,  # noqa: F811
) -> None:
    world.send(1, title="A very long appeal title that goes on and on past the column, Leeds")
    world.send(3, kind="news")
    world.db.execute("UPDATE items SET closed_at = '2026-11-25T10:00:00Z' WHERE id = 'item-1'")
    text = stats_text(stats_report(world.db, T0 + timedelta(days=1)), world.settings.timezone)
    assert "… (closed)" in text and "(clos…" not in text
    header = text.splitlines()[0]
    assert header.startswith("item") and "kind" in header
    assert any(line.split()[1] == "news" for line in text.splitlines()[2:] if "item-3" in line)
