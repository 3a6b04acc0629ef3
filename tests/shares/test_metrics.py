"""Share-count polling with the real X (tweepy) and Facebook (requests) clients against the fake
servers, whose counts grow with each post's age on a clock the tests move by hand."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlite_utils

from bot.cli import main
from bot.core.db import open_db
from bot.core.events import list_events
from bot.core.settings import Settings
from bot.fakes.facebook_server import COMMENT_EVERY, REACTION_EVERY, SHARE_EVERY, FakeFacebook
from bot.fakes.x_server import FakeX, public_metrics
from bot.platforms import build_publishers
from bot.platforms.base import Publisher
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.scheduler import Daemon
from bot.sending import health
from bot.sending.publishing import run_slot
from bot.shares.metrics import (
    MetricsReport,
    due_readings,
    poll_metrics,
    take_all_readings,
    take_due_readings,
    unread_offsets,
)
from bot.status import gather_status
from tests.factories import make_item, make_settings

X_KEY, X_TOKEN = "metrics-key", "metrics-token"
PAGE, PAGE_TOKEN = "1000000001", "metrics-page-token"
START = 1_780_000_000.0
SCHEDULE = [timedelta(minutes=15), timedelta(hours=1), timedelta(hours=6), timedelta(days=1)]
SCHEDULE += [timedelta(days=3), timedelta(days=7)]


class Clock:
    """One clock for the fakes (epoch seconds) and the bot (aware datetimes)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def at(self, moment: datetime) -> datetime:
        self.now = moment.timestamp()
        return moment


_CLOCK = Clock()


@pytest.fixture(scope="module")
def _servers() -> Iterator[tuple[FakeX, FakeFacebook]]:
    """One pair of fakes a module (stopping a server costs time); tests reset them."""
    with (
        FakeX(consumer_key=X_KEY, access_token=X_TOKEN, clock=_CLOCK) as x,
        FakeFacebook({PAGE: PAGE_TOKEN}, clock=_CLOCK) as facebook,
    ):
        assert isinstance(x, FakeX) and isinstance(facebook, FakeFacebook)
        yield x, facebook


@pytest.fixture
def clock() -> Clock:
    _CLOCK.now = START
    return _CLOCK


@pytest.fixture
def fake_x(_servers: tuple[FakeX, FakeFacebook], clock: Clock) -> FakeX:
    _servers[0].reset()
    return _servers[0]


@pytest.fixture
def fake_fb(_servers: tuple[FakeX, FakeFacebook], clock: Clock) -> FakeFacebook:
    _servers[1].reset()
    return _servers[1]


def live_env(fake_x: FakeX, fake_fb: FakeFacebook, **env: str) -> dict[str, str]:
    """Settings of a live bot whose API base URLs are the fakes: the real clients, no sandbox."""
    return {
        "SANDBOX": "0",
        "X_API_KEY": X_KEY,
        "X_API_SECRET": "metrics-secret",
        "X_ACCESS_TOKEN": X_TOKEN,
        "X_ACCESS_TOKEN_SECRET": "metrics-token-secret",
        "X_API_BASE_URL": fake_x.url,
        "FACEBOOK_PAGE_ID": PAGE,
        "FACEBOOK_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
        "FACEBOOK_GRAPH_URL": fake_fb.url,
        **env,
    }


@pytest.fixture
def env(fake_x: FakeX, fake_fb: FakeFacebook) -> dict[str, str]:
    return live_env(fake_x, fake_fb)


def setup(
    tmp_path: Path, env: dict[str, str], clock: Clock, items: int = 1, **extra: str
) -> tuple[Settings, sqlite_utils.Database, dict[str, Publisher], dict[str, int]]:
    """Queue ``items`` appeals and send them all now, through the real queue and clients.

    Returns the post ids by "platform-n" (e.g. "x-1").
    """
    settings = make_settings(tmp_path, **{**env, **extra})
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    now = clock.utc()
    for n in range(1, items + 1):
        item = make_item(n)
        store_item(db, item, now)
        enqueue(db, item.id, plan_posts(item, settings, now), now)
    report = run_slot(db, publishers, settings, due_only=False, clock=clock.utc)
    assert report.total_sent() == items * len(settings.platforms)
    ids = {
        f"{platform}-{item_id.split('-')[1]}": post_id
        for post_id, platform, item_id in db.execute(
            "SELECT id, platform, item_id FROM posts ORDER BY id"
        ).fetchall()
    }
    return settings, db, publishers, ids


def readings(db: sqlite_utils.Database, post_id: int | None = None) -> list[dict[str, Any]]:
    where = "WHERE post_id = ?" if post_id is not None else ""
    return list(
        db.query(
            f"SELECT * FROM metrics {where} ORDER BY id", [post_id] if post_id is not None else []
        )
    )


def remote_id(db: sqlite_utils.Database, post_id: int) -> str:
    return str(db.execute("SELECT remote_id FROM posts WHERE id = ?", [post_id]).fetchone()[0])


def reads_of(fake: FakeX | FakeFacebook, remote: str) -> int:
    """GET requests the fake saw for one post (metrics reads; the clients never GET otherwise)."""
    return sum(1 for r in fake.requests if r.method == "GET" and r.path.endswith("/" + remote))


def metric_reads(fake: FakeX | FakeFacebook) -> int:
    if isinstance(fake, FakeX):
        return sum(1 for r in fake.requests if r.method == "GET" and "/2/tweets/" in r.path)
    return sum(1 for r in fake.requests if r.method == "GET" and "/posts" not in r.path)


# --- the schedule ----------------------------------------------------------------------------
def test_unread_offsets_is_pure_and_skips_what_was_read() -> None:
    sent = datetime(2026, 1, 1, tzinfo=UTC)
    assert unread_offsets(sent, None, SCHEDULE, sent + timedelta(minutes=14)) == []
    assert unread_offsets(sent, None, SCHEDULE, sent + timedelta(hours=2)) == SCHEDULE[:2]
    assert unread_offsets(sent, SCHEDULE[1], SCHEDULE, sent + timedelta(hours=2)) == []
    assert unread_offsets(sent, SCHEDULE[-1], SCHEDULE, sent + timedelta(days=30)) == []


def test_readings_are_taken_exactly_at_the_scheduled_offsets(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX, fake_fb: FakeFacebook
) -> None:
    settings, db, publishers, ids = setup(tmp_path, env, clock)
    sent = clock.utc()
    assert settings.metrics_schedule == tuple(SCHEDULE)
    taken_at: dict[timedelta, int] = {}
    for offset in SCHEDULE:
        for step in (offset - timedelta(seconds=1), offset, offset + timedelta(seconds=30)):
            count = take_due_readings(db, publishers, settings, clock.at(sent + step))
            if count:
                taken_at[step] = count
    # Both posts (X and Facebook) read once at each offset, never just before or again after.
    assert taken_at == {offset: 2 for offset in SCHEDULE}
    for post_id in ids.values():
        rows = readings(db, post_id)
        assert [r["offset_seconds"] for r in rows] == [int(o.total_seconds()) for o in SCHEDULE]
        assert [r["taken_at"] for r in rows] == [
            (sent + o).strftime("%Y-%m-%dT%H:%M:%S.%fZ") for o in SCHEDULE
        ]
    # The schedule is done: a month later nothing is due and nothing is requested.
    before = metric_reads(fake_x) + metric_reads(fake_fb)
    assert take_due_readings(db, publishers, settings, clock.at(sent + timedelta(days=30))) == 0
    assert metric_reads(fake_x) + metric_reads(fake_fb) == before == 12


def test_after_downtime_one_reading_stands_for_every_missed_offset(
    tmp_path: Path, env: dict[str, str], clock: Clock
) -> None:
    settings, db, publishers, ids = setup(tmp_path, env, clock)
    sent = clock.utc()
    assert take_due_readings(db, publishers, settings, clock.at(sent + timedelta(hours=7))) == 2
    assert [r["offset_seconds"] for r in readings(db, ids["x-1"])] == [6 * 3600]
    assert take_due_readings(db, publishers, settings, clock.at(sent + timedelta(hours=8))) == 0
    assert take_due_readings(db, publishers, settings, clock.at(sent + timedelta(days=1))) == 2


def test_counts_are_stored_for_both_platforms_even_without_facebook_shares(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_fb: FakeFacebook
) -> None:
    settings, db, publishers, ids = setup(tmp_path, env, clock, METRICS_SCHEDULE="5m,15m")
    sent = clock.utc()
    x_remote, fb_remote = remote_id(db, ids["x-1"]), remote_id(db, ids["facebook-1"])

    clock.at(sent + timedelta(minutes=5))
    # Graph leaves `shares` out while it is zero, as the fake (and Facebook) does.
    raw = requests.get(
        f"{fake_fb.url}/v24.0/{fb_remote}",
        params={"fields": "shares"},
        headers={"Authorization": f"Bearer {PAGE_TOKEN}"},
        timeout=5,
    ).json()
    assert "shares" not in raw
    assert take_due_readings(db, publishers, settings, clock.utc()) == 2
    clock.at(sent + timedelta(minutes=15))
    assert take_due_readings(db, publishers, settings, clock.utc()) == 2

    for age in (300, 900):
        x_row, fb_row = (
            next(r for r in readings(db, ids[key]) if r["offset_seconds"] == age)
            for key in ("x-1", "facebook-1")
        )
        expected = public_metrics(x_remote, age)
        assert (
            x_row["shares"],
            x_row["quotes"],
            x_row["likes"],
            x_row["replies"],
            x_row["impressions"],
        ) == (
            expected["retweet_count"],
            expected["quote_count"],
            expected["like_count"],
            expected["reply_count"],
            expected["impression_count"],
        )
        assert x_row["platform"] == "x" and x_row["shares"] > 0
        assert (
            fb_row["shares"],
            fb_row["quotes"],
            fb_row["likes"],
            fb_row["replies"],
            fb_row["impressions"],
        ) == (
            int(age // SHARE_EVERY),
            0,
            int(age // REACTION_EVERY),
            int(age // COMMENT_EVERY),
            None,
        )
    assert [r["shares"] for r in readings(db, ids["facebook-1"])] == [0, 1]


# --- read limits -----------------------------------------------------------------------------
def test_read_limits_are_never_exceeded_and_the_rest_waits(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX, fake_fb: FakeFacebook
) -> None:
    settings, db, publishers, ids = setup(
        tmp_path,
        env,
        clock,
        items=4,
        X_METRICS_READS_PER_15_MINUTES="2",
        FACEBOOK_METRICS_READS_PER_HOUR="3",
    )
    sent = clock.utc()

    def tick(minutes: float) -> tuple[int, int, int]:
        x0, fb0 = metric_reads(fake_x), metric_reads(fake_fb)
        report = poll_metrics(db, publishers, settings, clock.at(sent + timedelta(minutes=minutes)))
        x_calls, fb_calls = metric_reads(fake_x) - x0, metric_reads(fake_fb) - fb0
        assert report.taken.get("x", 0) == x_calls and report.taken.get("facebook", 0) == fb_calls
        return x_calls, fb_calls, sum(report.deferred.values())

    assert tick(15) == (2, 3, 3)  # 4 due on each platform: 2 X, 3 Facebook; 3 wait
    assert tick(20) == (0, 0, 3)  # both windows are full
    assert tick(30.5) == (2, 0, 1)  # X's 15 minutes have passed; Facebook's hour has not
    assert tick(44) == (0, 0, 1)
    # At 1h every post's next offset is due too; X's window still holds nothing from 45m on.
    assert tick(60) == (2, 0, 6)
    assert tick(75.5) == (2, 3, 1)  # Facebook's hour since 15m has passed
    # The Facebook post left over at 15 minutes went first when room came: it waited longest.
    assert len(readings(db, ids["facebook-4"])) == 1
    assert len(readings(db, ids["facebook-3"])) == 1
    assert tick(90.5) == (0, 0, 1)
    assert tick(135.5) == (0, 1, 0)  # the last Facebook reading fits once the window moved on
    # Every post was read for the 1h offset in the end (late, within limits), none twice.
    for post_id in ids.values():
        assert [r["offset_seconds"] for r in readings(db, post_id)][-1] == 3600
    # In any 15 minutes at most 2 X readings, in any hour at most 3 Facebook readings.
    taken = [(r["platform"], datetime.fromisoformat(r["taken_at"])) for r in readings(db)]
    for platform, window, limit in (
        ("x", timedelta(minutes=15), 2),
        ("facebook", timedelta(hours=1), 3),
    ):
        moments = [t for p, t in taken if p == platform]
        for t in moments:
            assert sum(1 for u in moments if t - window < u <= t) <= limit


# --- deleted remotely, errors ----------------------------------------------------------------
def test_a_404_stops_polling_and_the_log_says_deleted_remotely(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX, fake_fb: FakeFacebook
) -> None:
    settings, db, publishers, ids = setup(tmp_path, env, clock, items=2)
    sent = clock.utc()
    gone_x, gone_fb = remote_id(db, ids["x-1"]), remote_id(db, ids["facebook-1"])
    fake_x.posts[gone_x]["deleted"] = True  # someone deleted them by hand on the platforms
    fake_fb.posts[gone_fb]["deleted"] = True

    report = poll_metrics(db, publishers, settings, clock.at(sent + timedelta(minutes=15)))
    assert report.taken == {"x": 1, "facebook": 1}
    assert report.gone == {"x": 1, "facebook": 1}
    gone_events = list_events(db, action="metrics", outcome="gone")
    assert {(e["post_id"], e["platform"]) for e in gone_events} == {
        (ids["x-1"], "x"),
        (ids["facebook-1"], "facebook"),
    }
    assert all("deleted remotely" in e["detail"] for e in gone_events)

    for step in (timedelta(hours=1), timedelta(days=1), timedelta(days=8)):
        take_due_readings(db, publishers, settings, clock.at(sent + step))
    assert reads_of(fake_x, gone_x) == 1 and reads_of(fake_fb, gone_fb) == 1
    assert readings(db, ids["x-1"]) == [] and readings(db, ids["facebook-1"]) == []
    assert len(readings(db, ids["x-2"])) == 4  # 15m, 1h, 24h and (for 3d and 7d) 8d
    assert len(list_events(db, action="metrics", outcome="gone")) == 2  # logged once each
    # Not even `metrics --all` reads them again.
    assert take_all_readings(db, publishers, settings, clock.utc()).gone == {}


def test_reads_answered_404_count_against_the_read_limit(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX, fake_fb: FakeFacebook
) -> None:
    settings, db, publishers, ids = setup(
        tmp_path, env, clock, items=4, PLATFORMS="x", X_METRICS_READS_PER_15_MINUTES="2"
    )
    sent = clock.utc()
    for n in range(1, 5):
        fake_x.posts[remote_id(db, ids[f"x-{n}"])]["deleted"] = True
    reads = metric_reads(fake_x)
    for minutes in (15, 16, 17, 29):
        poll_metrics(db, publishers, settings, clock.at(sent + timedelta(minutes=minutes)))
    # Each 404 was a read X counted: no more than 2 in 15 minutes, whatever the answer.
    assert metric_reads(fake_x) - reads == 2
    poll_metrics(db, publishers, settings, clock.at(sent + timedelta(minutes=30.5)))
    assert metric_reads(fake_x) - reads == 4


def test_the_log_command_shows_the_gone_event_and_latest_shares(
    tmp_path: Path,
    env: dict[str, str],
    clock: Clock,
    fake_x: FakeX,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, db, publishers, ids = setup(tmp_path, env, clock, items=2, PLATFORMS="x")
    sent = clock.utc()
    fake_x.posts[remote_id(db, ids["x-1"])]["deleted"] = True
    take_due_readings(db, publishers, settings, clock.at(sent + timedelta(hours=1)))
    shares = readings(db, ids["x-2"])[-1]["shares"]
    env_file = tmp_path / "log.env"
    env_file.write_text(f"DATABASE_PATH={settings.database_path}\nSANDBOX=1\n")
    assert main(["--env-file", str(env_file), "log", "--limit", "50"]) == 0
    out = capsys.readouterr().out
    assert "deleted remotely" in out
    sent_line = next(
        line for line in out.splitlines() if f" {ids['x-2']} " in line and " sent " in line
    )
    assert f" {shares} " in sent_line + " "


def test_transient_errors_leave_readings_due(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX
) -> None:
    settings, db, publishers, ids = setup(tmp_path, env, clock)
    sent = clock.utc()
    fake_x.inject_named("server_error")
    report = poll_metrics(db, publishers, settings, clock.at(sent + timedelta(minutes=15)))
    assert report.taken == {"facebook": 1} and "x" in report.stopped
    assert list_events(db, action="metrics") == []
    assert take_due_readings(db, publishers, settings, clock.at(sent + timedelta(minutes=16))) == 1
    assert [r["offset_seconds"] for r in readings(db, ids["x-1"])] == [900]


def test_rate_limited_platform_waits_and_others_carry_on(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX
) -> None:
    settings, db, publishers, _ = setup(tmp_path, env, clock, items=3)
    sent = clock.utc()
    fake_x.inject_named("rate_limit")
    x0 = metric_reads(fake_x)
    report = poll_metrics(db, publishers, settings, clock.at(sent + timedelta(minutes=15)))
    assert metric_reads(fake_x) - x0 == 1  # one refused read, then X is left alone this run
    assert report.taken == {"facebook": 3}
    assert len(due_readings(db, settings, clock.utc())) == 3


def test_a_read_refused_for_the_rate_limit_is_not_asked_again_before_the_reset(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX
) -> None:
    # X says when its read window resets (x-rate-limit-reset, 15 minutes on): every run before
    # then, in this process or another, leaves X alone; posting is not held back by it.
    settings, db, publishers, ids = setup(tmp_path, env, clock, items=2)
    sent = clock.utc()
    refused_at = clock.at(sent + timedelta(minutes=15))
    fake_x.inject_named("rate_limit")  # its reset: 15 minutes from now
    poll_metrics(db, publishers, settings, refused_at)
    reads = metric_reads(fake_x)
    for minutes in (16, 22, 29):
        report = poll_metrics(db, publishers, settings, clock.at(sent + timedelta(minutes=minutes)))
        assert "wait until" in report.stopped["x"] and "x" not in report.taken
    assert metric_reads(fake_x) == reads  # not asked again
    state = health.get_health(db, "x")
    assert state.reads_held(clock.utc()) and not state.held(clock.utc())
    [x_status] = [
        p for p in gather_status(db, settings, clock.utc())["platforms"] if p["platform"] == "x"
    ]
    assert x_status["reads_limited_until"] and not x_status["rate_limited_until"]

    after = clock.at(refused_at + timedelta(seconds=901))
    assert poll_metrics(db, publishers, settings, after).taken == {"x": 2}
    assert [r["offset_seconds"] for r in readings(db, ids["x-1"])] == [900]


# --- --all, the daemon, the CLI --------------------------------------------------------------
def test_all_reads_every_sent_post_once_outside_the_schedule(
    tmp_path: Path, env: dict[str, str], clock: Clock
) -> None:
    settings, db, publishers, _ = setup(tmp_path, env, clock, items=2)
    sent = clock.utc()
    report = take_all_readings(db, publishers, settings, clock.at(sent + timedelta(minutes=3)))
    assert report.total() == 4
    assert {r["offset_seconds"] for r in readings(db)} == {None}
    # The schedule is untouched: the 15-minute readings still come.
    assert take_due_readings(db, publishers, settings, clock.at(sent + timedelta(minutes=15))) == 4


def test_all_respects_the_read_limit(tmp_path: Path, env: dict[str, str], clock: Clock) -> None:
    settings, db, publishers, _ = setup(
        tmp_path, env, clock, items=3, X_METRICS_READS_PER_15_MINUTES="2"
    )
    report = take_all_readings(db, publishers, settings, clock.utc())
    assert report.taken == {"x": 2, "facebook": 3} and report.deferred == {"x": 1}


def test_the_daemon_metrics_job_takes_due_readings(
    tmp_path: Path, env: dict[str, str], clock: Clock
) -> None:
    settings, _, publishers, _ = setup(tmp_path, env, clock)
    daemon = Daemon(settings, publishers, clock=clock.utc)
    daemon.schedule()
    assert daemon.scheduler.get_job("metrics") is not None
    assert daemon.metrics_job() == 0
    clock.at(clock.utc() + timedelta(minutes=15))
    assert daemon.metrics_job() == 2


def test_metrics_command_reads_now(
    tmp_path: Path,
    fake_x: FakeX,
    fake_fb: FakeFacebook,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The CLI reads at the real time, so the fakes' clock is set to it too."""
    clock.now = time.time() - 20 * 60
    env = live_env(fake_x, fake_fb)
    settings, db, _, _ = setup(tmp_path, env, clock)
    clock.now = time.time()
    env_file = tmp_path / "cli.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    args = ["--env-file", str(env_file)]
    env_file.write_text(env_file.read_text() + f"DATABASE_PATH={settings.database_path}\n")
    assert main([*args, "metrics"]) == 0
    assert "took 2 readings" in capsys.readouterr().out
    assert main([*args, "metrics"]) == 0
    assert "took 0 readings" in capsys.readouterr().out
    assert main([*args, "metrics", "--all"]) == 0
    assert "took 2 readings" in capsys.readouterr().out
    assert len(readings(db)) == 4


def test_a_reset_already_past_still_holds_reads_for_a_minute(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX
) -> None:
    # X's clock a little ahead of ours... or behind: a reset "now" must not mean "ask again now".
    settings, db, publishers, _ = setup(tmp_path, env, clock)
    sent = clock.utc()
    fake_x.inject_named("rate_limit")  # its reset: 15 minutes after sent, i.e. at the read
    refused_at = clock.at(sent + timedelta(minutes=15))
    poll_metrics(db, publishers, settings, refused_at)
    assert health.get_health(db, "x").reads_held(refused_at + timedelta(seconds=59))
    assert not health.get_health(db, "x").reads_held(refused_at + timedelta(seconds=61))


def test_a_platforms_row_with_a_column_this_version_does_not_know(tmp_path: Path) -> None:
    # A newer version adds a column while an older process (a dashboard left running) reads on.
    db = open_db(tmp_path / "bot.db")
    db.execute("ALTER TABLE platforms ADD COLUMN added_later TEXT")
    health.pause(db, "x", "401 Unauthorized", datetime(2026, 1, 1, tzinfo=UTC))
    assert health.get_health(db, "x").paused_reason == "401 Unauthorized"


def test_the_summary_is_words_not_python_dicts() -> None:
    report = MetricsReport(
        taken={"x": 1},
        gone={"x": 2, "facebook": 4},
        deferred={"facebook": 3},
        stopped={"x": "readings wait: outage"},
    )
    assert report.summary() == (
        "took 1 reading: x 1; deleted remotely: x 2, facebook 4;"
        " left for later (read limit): facebook 3; x: readings wait: outage"
    )
    assert MetricsReport().summary() == "took 0 readings"


def test_a_reading_more_than_a_week_late_is_no_longer_looked_for(tmp_path: Path) -> None:
    """The per-minute check reads recent posts only, so its cost stays flat in history."""
    from bot.core.clock import to_iso
    from bot.posts.queue import claim_next, transition
    from bot.posts.states import PostStatus
    from bot.shares.metrics import LATE_READINGS_KEPT, due_readings

    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    last_offset = max(settings.metrics_schedule)
    for n, age in [
        (1, last_offset + LATE_READINGS_KEPT - timedelta(hours=1)),
        (2, last_offset + LATE_READINGS_KEPT + timedelta(hours=1)),
    ]:
        sent = now - age
        store_item(db, make_item(n), sent)
        enqueue(db, f"item-{n}", plan_posts(make_item(n), settings, sent), sent)
        post = claim_next(db, "x", sent, "host:1", due_only=False)
        assert post is not None
        transition(db, post.id, PostStatus.SENT, sent_at=to_iso(sent), remote_id=f"r{n}")
    assert [r.item_id for r in due_readings(db, settings, now)] == ["item-1"]
    assert len(due_readings(db, settings, now, everything=True)) == 2


def test_a_restarted_practice_sandbox_never_marks_posts_deleted_remotely(
    tmp_path: Path, env: dict[str, str], clock: Clock, fake_x: FakeX, fake_fb: FakeFacebook
) -> None:
    settings, db, publishers, ids = setup(tmp_path, env, clock)
    for publisher in publishers.values():
        publisher.live = False  # the sandbox's clients, on fakes that keep posts in memory
    sent = clock.utc()
    poll_metrics(db, publishers, settings, clock.at(sent + timedelta(minutes=15)))
    fake_x.posts.clear()  # the sandbox restarted: its posts are gone from memory
    fake_fb.posts.clear()

    report = poll_metrics(db, publishers, settings, clock.at(sent + timedelta(hours=1)))

    assert report.gone == {}
    assert list_events(db, action="metrics", outcome="gone") == []
    stopped = list_events(db, action="metrics", outcome="stopped")
    assert len(stopped) == 2 and all("not deleted" in e["detail"] for e in stopped)
    assert all(len(readings(db, post_id)) == 1 for post_id in ids.values()), "counts kept"
    statuses = {r[0] for r in db.execute("SELECT status FROM posts").fetchall()}
    assert statuses == {"sent"}
