"""Shared pieces for the tests that run the real clients against the fakes.

A controllable clock both the fakes (epoch seconds) and the bot (aware datetimes) read, a tiny
image server standing in for the charity's website, distinctive credentials (so a leak is easy
to spot), and builders for settings and publishers pointed at the fakes.

And the fixtures (registered for every test by ``tests/conftest.py``): ``live``, a live bot
whose real X and Facebook clients talk to one fake X and one fake Facebook kept for the whole
session (starting and stopping a server costs more than a test; each test gets them reset) on
:data:`LIVE_CLOCK`; ``bluesky`` and ``mastodon``, the fake Bluesky and Mastodon kept likewise on
:data:`WALL_CLOCK` (``wall_clock``); ``photos``, the photo site of :mod:`tests.photo_site`. A
module whose bot needs other settings overrides ``live_options``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from bot.core.clock import from_iso
from bot.core.db import open_db
from bot.core.settings import Settings, load_settings
from bot.fakes.bluesky_server import FakeBluesky
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.images import png
from bot.fakes.mastodon_server import README_SCOPES, FakeMastodon
from bot.fakes.x_server import FakeX
from bot.feeds.items import Item
from bot.platforms.base import Publisher
from bot.platforms.facebook import FacebookPublisher
from bot.platforms.x import XPublisher
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.sending.publishing import SlotReport, run_slot
from bot.status import gather_status
from tests import factories
from tests.photo_site import file_site, photo_site

# Distinctive values: any of them turning up in a database, log or error is a leak.
X_KEY = "ck-LEAKCANARY-xkey-41f7"
X_SECRET = "cs-LEAKCANARY-xsecret-9a2e"
X_TOKEN = "at-LEAKCANARY-xtoken-03bc"
X_TOKEN_SECRET = "as-LEAKCANARY-xtsecret-d815"
FB_PAGE = "1000000001"
FB_TOKEN = "EAAG-LEAKCANARY-fbtoken-77c1"
BSKY_HANDLE = "charity.bsky.social"
BSKY_PASSWORD = "bsky-LEAKCANARY-apppw-5e0d"
MASTODON_TOKEN = "mstdn-LEAKCANARY-token-b4a9"
SECRETS = (X_KEY, X_SECRET, X_TOKEN, X_TOKEN_SECRET, FB_TOKEN, BSKY_PASSWORD, MASTODON_TOKEN)
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class Clock:
    """One adjustable time for everyone: call it for epoch seconds, ``utc()`` for a datetime."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += seconds


def image_site() -> AbstractContextManager[str]:
    """The charity's website on 127.0.0.1, serving ``/photo.png``; yields its base URL."""
    return file_site({"/photo.png": ("image/png", png())})


def fake_x(clock: Callable[[], float] = time.time) -> FakeX:
    return FakeX(consumer_key=X_KEY, access_token=X_TOKEN, username="charity", clock=clock)


def fake_facebook(clock: Callable[[], float] = time.time) -> FakeFacebook:
    return FakeFacebook({FB_PAGE: FB_TOKEN}, page_names={FB_PAGE: "Charity Page"}, clock=clock)


def fake_bluesky(clock: Callable[[], float] = time.time) -> FakeBluesky:
    return FakeBluesky(BSKY_HANDLE, BSKY_PASSWORD, clock=clock)


def fake_mastodon(clock: Callable[[], float] = time.time) -> FakeMastodon:
    return FakeMastodon(MASTODON_TOKEN, username="charity", clock=clock)


def live_env(
    database: Path,
    x: FakeX | None = None,
    facebook: FakeFacebook | None = None,
    bluesky: FakeBluesky | None = None,
    mastodon: FakeMastodon | None = None,
) -> dict[str, str]:
    """The environment of a live (SANDBOX=0) bot whose platforms are the given fakes."""
    # The fakes and the photo server are on 127.0.0.1: allowed for tests only.
    env = {
        "DATABASE_PATH": str(database),
        "SANDBOX": "0",
        "LOG_LEVEL": "INFO",
        "ALLOW_PRIVATE_ADDRESSES": "1",
    }
    platforms = []
    if x is not None:
        platforms.append("x")
        env.update(
            X_API_KEY=X_KEY,
            X_API_SECRET=X_SECRET,
            X_ACCESS_TOKEN=X_TOKEN,
            X_ACCESS_TOKEN_SECRET=X_TOKEN_SECRET,
            X_API_BASE_URL=x.url,
        )
    if facebook is not None:
        platforms.append("facebook")
        env.update(
            FACEBOOK_PAGE_ID=FB_PAGE,
            FACEBOOK_PAGE_ACCESS_TOKEN=FB_TOKEN,
            FACEBOOK_GRAPH_URL=facebook.url,
        )
    if bluesky is not None:
        platforms.append("bluesky")
        env.update(
            BLUESKY_HANDLE=BSKY_HANDLE,
            BLUESKY_APP_PASSWORD=BSKY_PASSWORD,
            BLUESKY_SERVICE_URL=bluesky.url,
        )
    if mastodon is not None:
        platforms.append("mastodon")
        env.update(MASTODON_API_BASE_URL=mastodon.url, MASTODON_ACCESS_TOKEN=MASTODON_TOKEN)
    env["PLATFORMS"] = ",".join(platforms)
    return env


def live_settings(
    database: Path,
    x: FakeX | None = None,
    facebook: FakeFacebook | None = None,
    bluesky: FakeBluesky | None = None,
    mastodon: FakeMastodon | None = None,
    **extra: str,
) -> Settings:
    env = live_env(database, x, facebook, bluesky, mastodon)
    settings = load_settings({**env, **extra}, env_file=None)
    assert not settings.sandbox
    return settings


def x_publisher(settings: Settings, timeout: float = 5.0) -> XPublisher:
    """The X client exactly as settings build it, with a test-sized timeout."""
    return XPublisher(
        settings.x_api_key,
        settings.x_api_secret,
        settings.x_access_token,
        settings.x_access_token_secret,
        base_url=settings.x_api_base_url,
        live=not settings.sandbox,
        timeout=timeout,
        allow_private_addresses=True,
    )


def facebook_publisher(settings: Settings, clock: Clock, timeout: float = 5.0) -> FacebookPublisher:
    """The Facebook client as settings build it, reading the test's clock for retry times."""
    return FacebookPublisher(
        settings.facebook_pages,
        graph_url=settings.facebook_graph_url,
        api_version=settings.facebook_api_version,
        live=not settings.sandbox,
        timeout=timeout,
        now=clock.utc,
    )


def make_item(n: int, **fields: Any) -> Item:
    """:func:`tests.factories.make_item`, with the id a feed's guid would give: ``appeal-<n>``."""
    return factories.make_item(n, **{"id": f"appeal-{n}", **fields})


def queue_items(
    db: sqlite_utils.Database,
    settings: Settings,
    count: int,
    now: datetime,
    first: int = 1,
    platforms: tuple[str, ...] | None = None,
) -> list[int]:
    """Store ``count`` appeals and queue their posts as the feed path would; returns post ids."""
    ids: list[int] = []
    for n in range(first, first + count):
        item = make_item(n)
        store_item(db, item, now)
        ids += enqueue(db, item.id, plan_posts(item, settings, now, platforms=platforms), now)
    return ids


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` every 20 ms until true or ``timeout``; never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- a live bot on the fake X and Facebook --------------------------------------------------

# The one time the session's fake X and Facebook and the live bots on them read; each test's
# ``live`` sets it to START.
LIVE_CLOCK = Clock()


@dataclass
class Live:
    """A live bot on the fakes: its settings, database, publishers and the shared clock."""

    settings: Settings
    db: sqlite_utils.Database
    publishers: dict[str, Publisher]
    clock: Clock
    x: FakeX
    facebook: FakeFacebook

    def fake(self, platform: str) -> FakeX | FakeFacebook:
        return self.x if platform == "x" else self.facebook

    def stored(self, platform: str) -> list[dict[str, Any]]:
        """The live posts the platform holds."""
        return [p for p in self.fake(platform).posts.values() if not p["deleted"]]

    def creates(self, platform: str) -> int:
        """How many create-post requests reached the platform."""
        fake = self.fake(platform)
        if platform == "x":
            return sum(1 for r in fake.requests if r.method == "POST" and r.path == "/2/tweets")
        return sum(1 for r in fake.requests if r.method == "POST")

    def queue(self, count: int, platform: str, first: int = 1) -> list[int]:
        return queue_items(
            self.db, self.settings, count, self.clock.utc(), first, platforms=(platform,)
        )

    def run(self, platform: str | None = None, **kwargs: Any) -> SlotReport:
        publishers = self.publishers if platform is None else {platform: self.publishers[platform]}
        return run_slot(
            self.db,
            publishers,
            self.settings,
            clock=self.clock.utc,
            rng=random.Random(7),
            **kwargs,
        )

    def row(self, post_id: int) -> dict[str, Any]:
        rows = list(self.db.query("SELECT * FROM posts WHERE id = ?", [post_id]))
        return rows[0]

    def retry_at(self, post_id: int) -> datetime:
        return from_iso(self.row(post_id)["next_attempt_at"])

    def outcomes(self, post_id: int) -> list[tuple[str, str]]:
        return [
            (e["action"], e["outcome"])
            for e in self.db.query("SELECT * FROM events WHERE post_id = ? ORDER BY id", [post_id])
        ]

    def status_of(self, platform: str) -> dict[str, Any]:
        status = gather_status(self.db, self.settings, self.clock.utc())
        return next(p for p in status["platforms"] if p["platform"] == platform)


def build_live(
    folder: Path, x: FakeX, facebook: FakeFacebook, timeout: float = 5.0, **extra: str
) -> Live:
    """A live bot with its database in ``folder``, urgent posts taking no budget share unless
    ``extra`` settings say otherwise; clients time out after ``timeout`` seconds."""
    settings = live_settings(
        folder / "bot.db", x, facebook, **{"URGENT_BUDGET_SHARE": "0", **extra}
    )
    publishers: dict[str, Publisher] = {
        "x": x_publisher(settings, timeout),
        "facebook": facebook_publisher(settings, LIVE_CLOCK, timeout),
    }
    return Live(settings, open_db(settings.database_path), publishers, LIVE_CLOCK, x, facebook)


@pytest.fixture(scope="session")
def live_x() -> Iterator[FakeX]:
    with fake_x(LIVE_CLOCK) as server:
        yield server


@pytest.fixture(scope="session")
def live_facebook() -> Iterator[FakeFacebook]:
    with fake_facebook(LIVE_CLOCK) as server:
        yield server


@pytest.fixture
def live_options() -> dict[str, str]:
    """Settings the ``live`` bot takes beyond :func:`build_live`'s: a module overrides this."""
    return {}


@pytest.fixture
def live(
    tmp_path: Path, live_x: FakeX, live_facebook: FakeFacebook, live_options: dict[str, str]
) -> Iterator[Live]:
    """A live bot on the fake X and Facebook, both as new, at START."""
    LIVE_CLOCK.set(START)
    live_x.reset()
    live_facebook.reset()
    yield build_live(tmp_path, live_x, live_facebook, **live_options)
    live_x.reset()
    live_facebook.reset()


# --- the fake Bluesky and Mastodon ----------------------------------------------------------

# Both SDKs read token expiry and rate-limit resets against the real clock, so the fakes start
# there: each test's ``bluesky`` or ``mastodon`` sets it to the real time, to the second.
WALL_CLOCK = Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def wall_clock() -> Clock:
    """:data:`WALL_CLOCK`, for a test to move (``bluesky`` and ``mastodon`` set it to now)."""
    return WALL_CLOCK


@pytest.fixture(scope="session")
def photos() -> Iterator[str]:
    """The charity's website of :data:`tests.photo_site.FILES`; its base URL."""
    with photo_site() as url:
        yield url


@pytest.fixture(scope="session")
def bluesky_server() -> Iterator[FakeBluesky]:
    with fake_bluesky(WALL_CLOCK) as server:
        yield server


@pytest.fixture(scope="session")
def mastodon_server() -> Iterator[FakeMastodon]:
    with fake_mastodon(WALL_CLOCK) as server:
        yield server


def _as_new(fake: FakeBluesky | FakeMastodon) -> None:
    """Forget posts, faults and requests, and undo what tests change: a revoked password or
    token, Mastodon's character limit."""
    fake.reset()
    if isinstance(fake, FakeBluesky):
        fake.app_password = BSKY_PASSWORD
    else:
        fake.access_token = MASTODON_TOKEN
        fake.max_characters = 500
        fake.scopes = set(README_SCOPES)


@pytest.fixture
def bluesky(bluesky_server: FakeBluesky) -> Iterator[FakeBluesky]:
    """The fake Bluesky as new, :data:`WALL_CLOCK` at now."""
    WALL_CLOCK.set(datetime.now(UTC).replace(microsecond=0))
    _as_new(bluesky_server)
    yield bluesky_server
    _as_new(bluesky_server)


@pytest.fixture
def mastodon(mastodon_server: FakeMastodon) -> Iterator[FakeMastodon]:
    """The fake Mastodon as new, :data:`WALL_CLOCK` at now."""
    WALL_CLOCK.set(datetime.now(UTC).replace(microsecond=0))
    _as_new(mastodon_server)
    yield mastodon_server
    _as_new(mastodon_server)
