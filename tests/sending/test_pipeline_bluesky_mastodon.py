"""The sending pipeline with the real Bluesky and Mastodon clients on their fakes: the failure
policy (rate limits hold the platform, revoked credentials pause it until they work), the daily
budget across a restart, and what ``status`` says."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from bot.core.db import open_db
from bot.core.settings import Settings
from bot.fakes.bluesky_server import FakeBluesky
from bot.fakes.mastodon_server import FakeMastodon
from bot.platforms import build_publishers
from bot.posts.queue import budget_used
from bot.sending.publishing import SlotReport, run_slot
from bot.status import gather_status
from tests.live_fakes import (
    BSKY_PASSWORD,
    MASTODON_TOKEN,
    WALL_CLOCK,
    live_settings,
    queue_items,
)

PLATFORMS = ["bluesky", "mastodon"]


class Bot:
    """One bot process on one platform's fake: settings, database, clients."""

    def __init__(self, folder: Path, fake: FakeBluesky | FakeMastodon, **env: str) -> None:
        self.fake = fake
        self.platform = "bluesky" if isinstance(fake, FakeBluesky) else "mastodon"
        database = folder / "bot.db"
        self.settings: Settings = live_settings(
            database,
            URGENT_BUDGET_SHARE="0",
            **{self.platform: fake},
            **env,  # type: ignore[arg-type]
        )
        self.db: sqlite_utils.Database = open_db(database)
        self.publishers = build_publishers(self.settings)

    def queue(self, count: int, first: int = 1) -> list[int]:
        return queue_items(self.db, self.settings, count, WALL_CLOCK.utc(), first)

    def run(self, **options: Any) -> SlotReport:
        return run_slot(
            self.db,
            self.publishers,
            self.settings,
            clock=WALL_CLOCK.utc,
            rng=random.Random(3),
            **options,
        )

    def row(self, post_id: int) -> dict[str, Any]:
        return next(iter(self.db.query("SELECT * FROM posts WHERE id = ?", [post_id])))

    def live(self) -> int:
        if isinstance(self.fake, FakeBluesky):
            return len(self.fake.live_posts())
        return len(self.fake.live_statuses())

    def status(self) -> dict[str, Any]:
        report = gather_status(self.db, self.settings, WALL_CLOCK.utc())
        return next(p for p in report["platforms"] if p["platform"] == self.platform)


@pytest.fixture(params=PLATFORMS)
def fake(request: pytest.FixtureRequest) -> FakeBluesky | FakeMastodon:
    """The fake Bluesky, then the fake Mastodon, as new (see tests.live_fakes)."""
    chosen: FakeBluesky | FakeMastodon = request.getfixturevalue(request.param)
    return chosen


def test_the_daily_budget_survives_a_restart(
    tmp_path: Path, fake: FakeBluesky | FakeMastodon
) -> None:
    limit = {"BLUESKY_DAILY_POST_LIMIT": "2", "MASTODON_DAILY_POST_LIMIT": "2"}
    first = Bot(tmp_path, fake, **limit)
    ids = first.queue(3)
    report = first.run(limit=None, due_only=False)
    assert report.sent == {first.platform: 2}
    assert "daily limit" in report.skipped[first.platform]
    first.db.conn.close()

    WALL_CLOCK.advance(3600)  # a new process, an hour later
    restarted = Bot(tmp_path, fake, **limit)
    assert restarted.run(limit=None, due_only=False).sent == {}
    assert restarted.live() == 2
    assert [restarted.row(i)["status"] for i in ids].count("queued") == 1
    assert budget_used(restarted.db, restarted.platform, WALL_CLOCK.utc()) == 2

    WALL_CLOCK.advance(24 * 3600)
    assert restarted.run(limit=None, due_only=False).sent == {restarted.platform: 1}
    assert restarted.live() == 3


def test_revoked_credentials_pause_the_platform_until_they_work(
    tmp_path: Path, fake: FakeBluesky | FakeMastodon
) -> None:
    bot = Bot(tmp_path, fake)
    (post_id,) = bot.queue(1)
    if isinstance(fake, FakeBluesky):
        fake.revoke_app_password()
    else:
        fake.revoke_token()

    bot.run()

    status = bot.status()
    assert status["paused"] and status["paused_reason"]
    assert BSKY_PASSWORD not in status["paused_reason"]
    assert MASTODON_TOKEN not in status["paused_reason"]
    assert bot.row(post_id)["status"] == "queued" and bot.row(post_id)["attempts"] == 0
    assert bot.live() == 0

    WALL_CLOCK.advance(600)
    assert bot.run().skipped[bot.platform].startswith("paused")

    # The owner makes a new app password / token and the bot is given it.
    if isinstance(fake, FakeBluesky):
        fake.app_password = BSKY_PASSWORD
    else:
        fake.access_token = MASTODON_TOKEN
    WALL_CLOCK.advance(600)
    assert bot.run().sent == {bot.platform: 1}
    assert not bot.status()["paused"]


def test_a_rate_limit_keeps_the_post_queued_and_holds_the_platform(
    tmp_path: Path, fake: FakeBluesky | FakeMastodon
) -> None:
    bot = Bot(tmp_path, fake)
    (post_id,) = bot.queue(1)
    fake.inject_named("rate_limit", times=3)

    bot.run()

    row = bot.row(post_id)
    assert row["status"] == "queued" and bot.live() == 0
    retry_at = datetime.fromisoformat(row["next_attempt_at"])
    assert retry_at > WALL_CLOCK.utc() + timedelta(seconds=1)
    assert budget_used(bot.db, bot.platform, WALL_CLOCK.utc()) == 0

    fake.clear_faults()
    WALL_CLOCK.set(retry_at + timedelta(seconds=1))
    assert bot.run().sent == {bot.platform: 1}
