"""The whole sending pipeline with the real clients (tweepy, Graph over requests) on the fakes.

Settings are live (SANDBOX=0) with credentials and base URLs naming the fake X and Facebook;
posts are queued as the feed path queues them and sent by
:func:`bot.sending.publishing.run_slot` under a clock the test moves. Each fault the fakes can
inject must end as README's failure policy says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.clock import from_iso
from bot.posts.queue import budget_used
from bot.sending import health
from tests.live_fakes import START, Live, build_live, wait_for

PLATFORMS = ["x", "facebook"]


def test_both_platforms_send_through_the_real_clients(live: Live) -> None:
    ids = live.queue(2, "x") + live.queue(2, "facebook", first=3)
    report = live.run()
    assert report.sent == {"x": 2, "facebook": 2}
    for post_id in ids:
        row = live.row(post_id)
        assert row["status"] == "sent"
        assert row["remote_id"] in {p["id"] for p in live.stored(row["platform"])}
    assert live.settings.sandbox is False and live.publishers["x"].live


def test_x_rate_limit_keeps_the_post_queued_until_the_reset_and_holds_x(live: Live) -> None:
    (post_id,) = live.queue(1, "x")
    now = live.clock.utc()
    reset = datetime.fromtimestamp(int(live.clock()) + 900, UTC)  # the fake's x-rate-limit-reset
    live.x.inject_named("rate_limit")

    live.run()

    row = live.row(post_id)
    assert row["status"] == "queued"
    assert live.retry_at(post_id) >= reset
    assert health.get_health(live.db, "x").held(now)
    assert from_iso(health.get_health(live.db, "x").hold_until or "") >= reset
    assert budget_used(live.db, "x", now) == 0
    assert live.stored("x") == []

    live.clock.advance(60)
    requests_before = len(live.x.requests)
    assert "x" in live.run().skipped
    assert len(live.x.requests) == requests_before, "a held platform was called"

    live.clock.set(reset + timedelta(seconds=1))
    assert live.run().sent == {"x": 1}
    assert live.row(post_id)["status"] == "sent"
    assert len(live.stored("x")) == 1


def test_x_daily_cap_holds_x_until_the_24_hour_reset(live: Live) -> None:
    first, second = live.queue(2, "x")
    now = live.clock.utc()
    cap_reset = now + timedelta(hours=6)  # the fake's x-user-limit-24hour-reset
    live.x.inject_named("daily_cap")

    live.run()

    assert live.row(first)["status"] == "queued"
    assert live.retry_at(first) >= cap_reset
    assert from_iso(health.get_health(live.db, "x").hold_until or "") >= cap_reset
    assert live.creates("x") == 1, "kept posting after X said the daily cap was reached"
    assert live.row(second)["attempts"] == 0
    assert budget_used(live.db, "x", now) == 0

    live.clock.advance(3 * 3600)
    assert live.run().sent == {}
    live.clock.set(cap_reset + timedelta(seconds=1))
    assert live.run().sent == {"x": 2}
    assert len(live.stored("x")) == 2


@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_error_is_retried_later_then_sent_once(live: Live, platform: str) -> None:
    (post_id,) = live.queue(1, platform)
    now = live.clock.utc()
    live.fake(platform).inject_named("server_error")

    live.run()

    row = live.row(post_id)
    assert row["status"] == "queued" and row["last_error"]
    retry_at = live.retry_at(post_id)
    assert retry_at > now
    assert budget_used(live.db, platform, now) == 0
    assert live.run().sent == {}, "retried before its backoff was over"

    live.clock.set(retry_at)
    assert live.run().sent == {platform: 1}
    assert live.row(post_id)["status"] == "sent"
    assert len(live.stored(platform)) == 1
    assert live.creates(platform) == 2


@pytest.mark.parametrize("platform", PLATFORMS)
def test_timed_out_post_is_found_by_reconciliation_not_posted_twice(
    tmp_path: Path, live: Live, platform: str
) -> None:
    impatient = build_live(tmp_path, live.x, live.facebook, timeout=0.25)
    (post_id,) = impatient.queue(1, platform)
    fake = impatient.fake(platform)
    fake.slow_seconds = 0.7
    fake.inject_named("slow")

    impatient.run()

    row = impatient.row(post_id)
    assert row["status"] == "queued" and row["needs_reconcile"] == 1
    # The platform finishes the request the client gave up on.
    assert wait_for(lambda: len(impatient.stored(platform)) == 1, 5)

    # The next run, with an ordinary timeout so a busy machine cannot make the lookup time out.
    patient = build_live(tmp_path, live.x, live.facebook)
    patient.clock.set(patient.retry_at(post_id))
    assert patient.run().sent == {platform: 1}

    (stored,) = patient.stored(platform)
    row = patient.row(post_id)
    assert row["status"] == "sent" and row["remote_id"] == stored["id"]
    assert patient.creates(platform) == 1
    assert ("reconcile", "sent") in patient.outcomes(post_id)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_duplicate_is_recorded_sent_and_never_resent(live: Live, platform: str) -> None:
    (post_id,) = live.queue(1, platform)
    live.fake(platform).inject_named("duplicate")  # X 403 duplicate content, Facebook #506

    assert live.run().sent == {platform: 1}

    assert live.row(post_id)["status"] == "sent"
    assert ("send", "duplicate") in live.outcomes(post_id)
    live.clock.advance(3600)
    live.run(due_only=False)
    assert live.creates(platform) == 1
    assert live.stored(platform) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_expired_credentials_pause_the_platform_until_they_work(live: Live, platform: str) -> None:
    (post_id,) = live.queue(1, platform)
    # Refused for the post, then once more when the bot checks whether they work again.
    live.fake(platform).inject_named("expired_token", times=2)

    live.run()

    status = live.status_of(platform)
    assert status["paused"] and status["paused_reason"]
    assert "token" in status["paused_reason"].lower() or "credential" in status["paused_reason"]
    row = live.row(post_id)
    assert row["status"] == "queued" and row["attempts"] == 0

    live.clock.advance(600)
    report = live.run()
    assert report.skipped[platform].startswith("paused")
    assert live.row(post_id)["status"] == "queued"
    assert live.creates(platform) == 1

    live.clock.advance(600)
    assert live.run().sent == {platform: 1}
    assert not live.status_of(platform)["paused"]
    assert len(live.stored(platform)) == 1
    resumed = list(live.db.query("SELECT * FROM events WHERE outcome = 'resumed'"))
    assert [e["platform"] for e in resumed] == [platform]


@pytest.mark.parametrize(
    ("fault", "code", "at_least"),
    [
        ("rate_limit", 4, timedelta(minutes=15)),  # app usage at 100%: the rolling hour
        ("user_throttle", 17, timedelta(minutes=15)),
        ("page_throttle", 32, timedelta(minutes=17)),  # estimated_time_to_regain_access
        ("rate_613", 613, timedelta(minutes=5)),
    ],
)
def test_facebook_throttling_codes_are_retried(
    live: Live, fault: str, code: int, at_least: timedelta
) -> None:
    (post_id,) = live.queue(1, "facebook")
    now = live.clock.utc()
    live.facebook.inject_named(fault)

    live.run()

    row = live.row(post_id)
    assert row["status"] == "queued"
    assert f"code {code}" in row["last_error"]
    assert live.retry_at(post_id) >= now + at_least
    assert health.get_health(live.db, "facebook").held(now)
    assert budget_used(live.db, "facebook", now) == 0
    assert live.stored("facebook") == []

    live.clock.set(live.retry_at(post_id))
    assert live.run().sent == {"facebook": 1}
    assert len(live.stored("facebook")) == 1


def test_x_daily_budget_survives_a_restart(tmp_path: Path, live: Live) -> None:
    (tmp_path / "a").mkdir()
    first = build_live(tmp_path / "a", live.x, live.facebook, X_DAILY_POST_LIMIT="2")
    ids = first.queue(3, "x")
    report = first.run(limit=None, due_only=False)
    assert report.sent == {"x": 2}
    assert "daily limit" in report.skipped["x"]
    first.db.conn.close()

    # A new process: a new connection and a new client, an hour later.
    first.clock.advance(3600)
    restarted = build_live(tmp_path / "a", live.x, live.facebook, X_DAILY_POST_LIMIT="2")
    assert restarted.run(limit=None, due_only=False).sent == {}
    assert len(restarted.stored("x")) == 2
    assert [restarted.row(i)["status"] for i in ids].count("queued") == 1

    restarted.clock.set(START + timedelta(hours=24, minutes=1))
    assert restarted.run(limit=None, due_only=False).sent == {"x": 1}
    assert len(restarted.stored("x")) == 3
