"""Shared pieces for the tests that run the real X and Facebook clients against the fakes.

A controllable clock both the fakes (epoch seconds) and the bot (aware datetimes) read, a tiny
image server standing in for the charity's website, distinctive credentials (so a leak is easy
to spot), and builders for settings and publishers pointed at the fakes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.core.settings import Settings, load_settings
from bot.fakes.bluesky_server import FakeBluesky
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.images import png
from bot.fakes.mastodon_server import FakeMastodon
from bot.fakes.x_server import FakeX
from bot.feeds.items import Item
from bot.platforms.facebook import FacebookPublisher
from bot.platforms.x import XPublisher
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item

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


class _ImageHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        if self.path != "/photo.png":
            self.send_error(404)
            return
        body = png()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def image_site() -> Iterator[str]:
    """The charity's website on 127.0.0.1, serving ``/photo.png``; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


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
    values: dict[str, Any] = {
        "id": f"appeal-{n}",
        "kind": "appeal",
        "title": f"Person {n}, 15, missing from Leeds",
        "summary": "Last seen on Monday wearing a blue coat.",
        "link": f"https://charity.example/appeals/{n}",
        "status": "missing",
    }
    values.update(fields)
    return Item(**values)


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
