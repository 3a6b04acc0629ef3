"""Stats, JSON/CSV and plots over readings taken by the real polling code.

The in-memory sandbox publisher stands in for the platforms here (the clients against the fake
servers are covered in test_metrics.py): its counts grow with each post's age on a clock the
tests move, shares = minutes // 3, likes = minutes, replies = minutes // 10.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils
from matplotlib.image import imread

from bot.cli import main
from bot.core.clock import to_iso
from bot.core.db import open_db
from bot.core.errors import AppealBotError
from bot.core.settings import Settings
from bot.platforms.base import Publisher
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.sending.publishing import run_slot
from bot.shares.metrics import take_all_readings, take_due_readings
from bot.shares.plots import write_plot
from bot.shares.stats import (
    CSV_COLUMNS,
    age_text,
    appeal_series,
    appeal_stats,
    as_of,
    latest_shares,
    load_histories,
    report_csv,
    report_json,
    stats_report,
    stats_text,
    top_appeals,
    weekly_shares,
)
from tests.factories import make_item, make_settings

# A Wednesday, 10:00 UTC.
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now.timestamp()

    def utc(self) -> datetime:
        return self.now

    def at(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


def shares_after(minutes: float) -> int:
    return int(minutes) // 3


class World:
    """A database, settings, sandbox publishers and a clock; ``send`` posts an item now."""

    def __init__(self, tmp_path: Path) -> None:
        self.clock = Clock()
        self.settings: Settings = make_settings(tmp_path, PLATFORMS="x,facebook")
        self.db: sqlite_utils.Database = open_db(self.settings.database_path)
        self.publishers: dict[str, Publisher] = {
            name: SandboxPublisher(name, self.clock) for name in ("x", "facebook")
        }

    def send(self, n: int, kind: str = "appeal", round: int = 0, **fields: str) -> None:
        item = make_item(n, kind=kind, **fields)
        now = self.clock.utc()
        store_item(self.db, item, now)
        enqueue(self.db, item.id, plan_posts(item, self.settings, now, round=round), now)
        run_slot(self.db, self.publishers, self.settings, due_only=False, clock=self.clock.utc)

    def read_due(self, moment: datetime) -> int:
        return take_due_readings(self.db, self.publishers, self.settings, self.clock.at(moment))


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def busy_world(world: World) -> World:
    """item-1 at T0, item-2 at T0+30m, a news item at T0; readings through 10 days."""
    world.send(1)
    world.send(3, kind="news")
    world.clock.at(T0 + timedelta(minutes=30))
    world.send(2)
    for hours in (0.25, 0.75, 1, 1.5, 6, 6.5, 24, 24.5, 72, 72.5, 168, 168.5, 240):
        world.read_due(T0 + timedelta(hours=hours))
    return world


# --- aggregation -----------------------------------------------------------------------------
def test_totals_per_appeal_and_platform_from_the_latest_readings(world: World) -> None:
    world.send(1)
    world.read_due(T0 + timedelta(minutes=15))
    world.read_due(T0 + timedelta(hours=1))
    report = stats_report(world.db, T0 + timedelta(minutes=70))
    rows = {(r.item_id, r.platform): r for r in report.appeals}
    assert set(rows) == {("item-1", "x"), ("item-1", "facebook")}
    for row in rows.values():
        assert (row.shares, row.likes, row.replies, row.quotes) == (20, 60, 6, 3)
        assert row.shares_7d == 20 and row.posts == 1 and row.impressions is None
        assert row.latest_reading_at == T0 + timedelta(hours=1)
        assert row.latest_reading_age == timedelta(minutes=10)
    assert [(t.item_id, t.shares_7d, t.shares) for t in report.top] == [("item-1", 40, 40)]


def test_an_appeal_posted_twice_adds_up_its_posts(world: World) -> None:
    world.send(1)
    world.clock.at(T0 + timedelta(hours=1))
    world.send(1, round=1, summary="Still missing.")  # a re-appeal: a second post on each
    world.read_due(T0 + timedelta(hours=1, minutes=15))
    row = next(r for r in stats_report(world.db, world.clock.utc()).appeals if r.platform == "x")
    assert row.posts == 2
    assert row.shares == shares_after(75) + shares_after(15)


def test_shares_in_the_last_seven_days_and_the_weeks_top(world: World) -> None:
    busy_world(world)
    now = T0 + timedelta(days=10)
    report = stats_report(world.db, now)
    one = next(r for r in report.appeals if r.item_id == "item-1" and r.platform == "x")
    # Latest reading: the 7-day one (the schedule is done); a week ago: the 3-day one.
    assert one.shares == shares_after(7 * 1440)
    assert one.shares_7d == shares_after(7 * 1440) - shares_after(3 * 1440)
    assert one.latest_reading_age == timedelta(days=3)
    # Only appeals rank. item-2 went out 30 minutes later, so its 3-day reading came after the
    # week began: its week counts from the 24-hour reading and it ranks first.
    two = next(r for r in report.appeals if r.item_id == "item-2" and r.platform == "x")
    assert two.shares_7d == shares_after(7 * 1440) - shares_after(1440)
    assert [(t.item_id, t.shares_7d) for t in report.top] == [
        ("item-2", 2 * two.shares_7d),
        ("item-1", 2 * one.shares_7d),
    ]
    assert [t.item_id for t in stats_report(world.db, now, top=1).top] == ["item-2"]
    assert stats_report(world.db, T0 + timedelta(days=30)).top == []  # a quiet week
    news = [r for r in report.appeals if r.item_id == "item-3"]
    assert news and news[0].kind == "news"


def test_posts_not_read_yet_show_as_such(world: World) -> None:
    world.send(1)
    report = stats_report(world.db, T0 + timedelta(minutes=5))
    assert all(r.latest_reading_at is None and r.shares == 0 for r in report.appeals)
    text = stats_text(report, world.settings.timezone)
    assert "no reading yet" in text and "none shared in the last 7 days" in text
    assert stats_text(stats_report(open_db(":memory:"), T0), world.settings.timezone).startswith(
        "nothing posted yet"
    )


def test_age_text() -> None:
    assert age_text(None) == "-"
    assert age_text(timedelta(seconds=30)) == "just now"
    assert age_text(timedelta(minutes=12)) == "12m"
    assert age_text(timedelta(hours=2, minutes=5)) == "2h 5m"
    assert age_text(timedelta(days=3, hours=4, minutes=9)) == "3d 4h"


def test_json_and_csv_carry_the_same_rows(world: World) -> None:
    busy_world(world)
    report = stats_report(world.db, T0 + timedelta(days=10))
    data = json.loads(json.dumps(report_json(report)))
    assert data["generated_at"] == "2026-12-05T10:00:00.000000Z"
    assert [t["item_id"] for t in data["top_7d"]] == ["item-2", "item-1"]
    parsed = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert tuple(parsed[0]) == CSV_COLUMNS
    assert len(parsed) == len(data["appeals"]) == 6
    for row, obj in zip(parsed, data["appeals"], strict=True):
        assert row["item_id"] == obj["item_id"] and row["platform"] == obj["platform"]
        assert int(row["shares"]) == obj["shares"] and int(row["shares_7d"]) == obj["shares_7d"]
        assert row["latest_reading_at"] == obj["latest_reading_at"]
        assert int(row["latest_reading_age_seconds"]) == obj["latest_reading_age_seconds"]


def test_latest_shares_per_post(world: World) -> None:
    world.send(1)
    world.read_due(T0 + timedelta(minutes=15))
    world.read_due(T0 + timedelta(hours=1))
    ids = [row[0] for row in world.db.execute("SELECT id FROM posts ORDER BY id").fetchall()]
    assert latest_shares(world.db, [*ids, 999]) == {ids[0]: 20, ids[1]: 20}
    assert latest_shares(world.db, []) == {}


# --- over time -------------------------------------------------------------------------------
def test_series_start_at_zero_when_sent_and_step_at_each_reading(world: World) -> None:
    world.send(1)
    world.read_due(T0 + timedelta(minutes=15))
    world.read_due(T0 + timedelta(hours=1))
    series = appeal_series(world.db, "item-1")
    assert series["x"] == [(T0, 0), (T0 + timedelta(minutes=15), 5), (T0 + timedelta(hours=1), 20)]
    assert set(series) == {"x", "facebook"}


def test_weekly_gains_add_up_to_the_totals(world: World) -> None:
    busy_world(world)
    now = T0 + timedelta(days=12)
    weeks = weekly_shares(world.db, now, world.settings.timezone, weeks=3)
    # Weeks start on Monday, local time: T0 is Wednesday 25 November.
    assert [monday.isoformat() for monday, _ in weeks] == ["2026-11-23", "2026-11-30", "2026-12-07"]
    report = stats_report(world.db, now)
    for platform in ("x", "facebook"):
        total = sum(r.shares for r in report.appeals if r.platform == platform)
        assert sum(gained[platform] for _, gained in weeks) == total
    # By the end of Sunday 29 November the two appeals and the news item had their 3-day
    # readings, and no more.
    assert weeks[0][1]["x"] == 3 * shares_after(3 * 1440)
    assert weeks[2][1] == {"x": 0, "facebook": 0}  # this week: nothing read yet


# --- plots -----------------------------------------------------------------------------------
def assert_real_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 300 and pixels.shape[1] > 500
    # One integer a pixel (cheaper than np.unique over rows): RGBA bytes packed together.
    packed = np.round(pixels * 255).astype(np.uint32) << np.array([24, 16, 8, 0][: pixels.shape[2]])
    colours = np.unique(packed.sum(axis=2))
    assert len(colours) > 10  # lines, text and a legend, not a blank canvas


@pytest.mark.parametrize(
    "options",
    [{}, {"top": 1}, {"appeal": "item-2"}, {"weekly": True}],
    ids=["top", "top-1", "one-appeal", "weekly"],
)
def test_plots_are_written_as_real_pngs(
    world: World, tmp_path: Path, options: dict[str, object]
) -> None:
    busy_world(world)
    target = tmp_path / "charts" / "shares.png"
    target.parent.mkdir()
    written = write_plot(
        world.db,
        world.settings,
        T0 + timedelta(days=10),
        target,
        **options,  # type: ignore[arg-type]
    )
    assert written == target
    assert_real_png(target)


def test_nothing_to_plot_is_a_clear_error(world: World, tmp_path: Path) -> None:
    with pytest.raises(AppealBotError, match="nothing to plot"):
        write_plot(world.db, world.settings, T0, tmp_path / "a.png")
    world.send(1)
    with pytest.raises(AppealBotError, match="no appeal or news item nope"):
        write_plot(world.db, world.settings, T0, tmp_path / "a.png", appeal="nope")
    assert not (tmp_path / "a.png").exists()


def test_a_fresh_post_still_plots(world: World, tmp_path: Path) -> None:
    """What the demo does: one reading of every post moments after sending."""
    world.send(1)
    world.clock.at(T0 + timedelta(minutes=1))
    take_all_readings(world.db, world.publishers, world.settings, world.clock.utc())
    assert_real_png(write_plot(world.db, world.settings, world.clock.utc(), tmp_path / "p.png"))


# --- the command -----------------------------------------------------------------------------
def stats_command(world: World, tmp_path: Path) -> list[str]:
    """``run_bot.py stats`` on the world's database (arguments for :func:`main`)."""
    env_file = tmp_path / "stats.env"
    env_file.write_text(f"DATABASE_PATH={world.settings.database_path}\nSANDBOX=1\n")
    return ["--env-file", str(env_file), "stats"]


def test_stats_command_table_json_csv_and_plot(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    busy_world(world)
    run = stats_command(world, tmp_path)
    assert main(run) == 0
    out = capsys.readouterr().out
    assert "Person 1, 15, missing from Leeds" in out and "Top appeals this week" in out
    assert main([*run, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["appeals"]) == 6
    assert main([*run, "--csv", "--appeal", "item-2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(",item-2," in f",{line}" for line in lines[1:])
    plot = tmp_path / "out.png"
    assert main([*run, "--plot", str(plot), "--top", "2"]) == 0
    assert f"wrote {plot}" in capsys.readouterr().out
    assert_real_png(plot)
    assert main([*run, "--plot", str(tmp_path / "w.png"), "--weekly"]) == 0
    assert_real_png(tmp_path / "w.png")
    assert main([*run, "--plot", str(tmp_path / "x.png"), "--appeal", "nope"]) == 1
    assert "no appeal or news item nope" in capsys.readouterr().err


def test_stats_pages_with_limit_and_offset_and_streams_compact_json(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    busy_world(world)
    run = [*stats_command(world, tmp_path), "--json"]

    def output(*extra: str) -> str:
        assert main([*run, *extra]) == 0
        return capsys.readouterr().out

    everything = json.loads(output())
    assert len(everything["appeals"]) == 6
    pages = [json.loads(output("--limit", "4", "--offset", str(n))) for n in (0, 4, 8)]
    assert [len(page["appeals"]) for page in pages] == [4, 2, 0]
    # Apart from the time it was made, a page is the report's rows in the same order, and the
    # week's top is over every appeal whatever the page.
    assert [row for page in pages for row in page["appeals"]] == everything["appeals"]
    assert all(page["top_7d"] == everything["top_7d"] for page in pages)
    compact = output("--limit", "2")
    assert len(compact.splitlines()) == 2 and "\n  " not in compact  # one row a line
    pretty = output("--limit", "2", "--pretty")
    assert json.loads(pretty) == json.loads(compact) and "\n  " in pretty
    assert main([*run[:-1], "--csv", "--limit", "1", "--offset", "1"]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    second = everything["appeals"][1]
    assert (row["item_id"], row["platform"]) == (second["item_id"], second["platform"])


def test_the_sums_in_sql_are_the_readings_added_up(world: World) -> None:
    """stats_report adds up in SQL; appeal_stats and top_appeals (which the plots use) add up
    the same readings in Python, one post at a time: on readings out of order, ties, missing
    impressions, posts never read, closed appeals and news, the two agree."""
    rng = random.Random(11)
    for n in range(1, 7):
        world.clock.at(T0 + timedelta(hours=n))
        world.send(n, kind="news" if n == 4 else "appeal")
    world.db.execute("UPDATE items SET closed_at = ? WHERE id = 'item-5'", [to_iso(T0)])
    posts = [row[0] for row in world.db.execute("SELECT id FROM posts WHERE sent_at IS NOT NULL")]
    for _ in range(150):
        post = rng.choice(posts[:-1])  # the last post is never read
        taken = T0 + timedelta(hours=rng.randint(1, 20 * 24))
        world.db.execute(
            "INSERT INTO metrics (post_id, platform, taken_at, shares, quotes, likes, replies,"
            " impressions) SELECT id, platform, ?, ?, ?, ?, ?, ? FROM posts WHERE id = ?",
            [
                to_iso(taken),
                *(rng.randint(0, 500) for _ in range(4)),
                rng.choice([None, rng.randint(0, 9000)]),
                post,
            ],
        )
    for days in (3, 12, 21, 40):
        now = T0 + timedelta(days=days)
        expected_rows = appeal_stats(load_histories(world.db), as_of(world.db, now))
        report = stats_report(world.db, now, top=3)
        assert report.appeals == expected_rows, days
        assert report.top == top_appeals(expected_rows, 3), days
        one = stats_report(world.db, now, item_id="item-2")
        assert one.appeals == [row for row in expected_rows if row.item_id == "item-2"]
    assert any(row.impressions is None for row in report.appeals)
    assert any(row.latest_reading_at is None for row in report.appeals)


def test_a_closed_appeal_never_ranks_but_still_counts(world: World) -> None:
    busy_world(world)
    world.db.execute("UPDATE items SET closed_at = ? WHERE id = 'item-2'", ["2026-12-01"])
    now = T0 + timedelta(days=10)
    report = stats_report(world.db, now)
    assert [t.item_id for t in report.top] == ["item-1"]
    assert any(r.item_id == "item-2" and r.shares > 0 for r in report.appeals)
    assert "Person 2, 15, missing from Leeds (closed)" in stats_text(
        report, world.settings.timezone
    )


def test_a_reading_from_a_clock_ahead_of_ours_still_counts(world: World) -> None:
    """The demo fast-forwards the sandbox; another host's clock may run a little fast."""
    world.send(1)
    world.read_due(T0 + timedelta(hours=1))
    report = stats_report(world.db, T0 + timedelta(minutes=30))
    assert report.generated_at == T0 + timedelta(hours=1)
    assert all(r.shares == 20 and r.latest_reading_age == timedelta(0) for r in report.appeals)
