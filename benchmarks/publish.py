"""Figures 3 and 4: posts per second through run_slot, in memory and to the fake APIs."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import requests
import sqlite_utils
from requests_oauthlib import OAuth1

from bot.core.clock import utcnow
from bot.core.db import open_db
from bot.core.settings import Settings
from bot.feeds.items import Item
from bot.platforms import build_publishers
from bot.platforms.base import PostRequest, Publisher
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.queue import PlannedPost, enqueue, priority_of, store_item
from bot.sending.publishing import run_slot

from .common import Result, fake_process, settings_for

SANDBOX_POSTS = 2_000  # 1,000 items on two platforms
FAKE_POSTS = 200  # per platform
X_KEYS = {"key": "bench-key", "secret": "bench-secret", "token": "bench-token"}
PAGE_ID, PAGE_TOKEN = "1000000001", "bench-page-token"


def _text(platform: str, n: int, run: str) -> str:
    return (
        f"{run}: Person {n}, {12 + n % 60}, missing from Leeds. Last seen on Monday wearing a "
        f"blue coat. https://charity.example/appeals/{n} #missing ({platform})"
    )


def queue_posts(
    db: sqlite_utils.Database,
    items: int,
    platforms: tuple[str, ...],
    due: datetime | None = None,
) -> int:
    """``items`` appeals with one post per platform, text only (no photo), ready at ``due``
    (default: a minute ago)."""
    now = utcnow()
    due = due or now - timedelta(minutes=1)
    for n in range(items):
        item = Item(
            id=f"bench-{n}",
            kind="appeal",
            title=f"Person {n}, missing from Leeds",
            summary="Last seen on Monday wearing a blue coat.",
            link=f"https://charity.example/appeals/{n}",
            status="missing",
        )
        store_item(db, item, now)
        enqueue(
            db,
            item.id,
            [
                PlannedPost(
                    platform=p,
                    text=_text(p, n, "pipeline"),
                    scheduled_at=due,
                    priority=priority_of("appeal", False),
                    link=item.link,
                )
                for p in platforms
            ],
            now,
        )
    return items * len(platforms)


def _sent(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM posts WHERE status = 'sent'").fetchone()[0])


def _through_run_slot(
    db: sqlite_utils.Database, publishers: dict[str, Publisher], settings: Settings, posts: int
) -> float:
    started = time.perf_counter()
    report = run_slot(db, publishers, settings, limit=None, due_only=False)
    elapsed = time.perf_counter() - started
    if report.total_sent() != posts or _sent(db) != posts:
        raise RuntimeError(f"run_slot sent {report.total_sent()} of {posts}: {report}")
    return elapsed


def run_sandbox(tmp: Path) -> Result:
    settings = settings_for(tmp / "sandbox")
    settings.database_path.parent.mkdir()
    db = open_db(settings.database_path)
    try:
        posts = queue_posts(db, SANDBOX_POSTS // 2, ("x", "facebook"))
        publishers: dict[str, Publisher] = {p: SandboxPublisher(p) for p in ("x", "facebook")}
        elapsed = _through_run_slot(db, publishers, settings, posts)
    finally:
        db.close()
    rate = posts / elapsed

    bare_publishers = {p: SandboxPublisher(p) for p in ("x", "facebook")}
    requests_ = [
        (p, PostRequest(post_id=n, text=_text(p, n, "pipeline"), link=f"https://c.example/{n}"))
        for n in range(SANDBOX_POSTS // 2)
        for p in ("x", "facebook")
    ]
    started = time.perf_counter()
    for platform, request in requests_:
        bare_publishers[platform].publish(request)
    bare_rate = len(requests_) / (time.perf_counter() - started)
    return Result(
        name=f"3. run_slot -> SandboxPublisher ({posts:,} posts)",
        value=f"{rate:,.0f} posts/s",
        baseline=f"{bare_rate:,.0f}/s bare publish()",
        ratio=bare_rate / rate,
        target="-",
        verdict="-",
        detail=f"{1000 / rate:.2f} ms per post claimed, sent and logged",
        raw={"posts_per_second": rate, "baseline_per_second": bare_rate, "posts": posts},
    )


def run_fakes(tmp: Path) -> Result:
    with (
        fake_process(
            "bot.fakes.x_server", "--consumer-key", X_KEYS["key"], "--access-token", X_KEYS["token"]
        ) as x_url,
        fake_process(
            "bot.fakes.facebook_server", "--page-id", PAGE_ID, "--token", PAGE_TOKEN
        ) as fb_url,
    ):
        bare_rate = _bare_fake_rate(x_url, fb_url)
        settings = settings_for(
            tmp / "fakes",
            SANDBOX="0",
            X_API_KEY=X_KEYS["key"],
            X_API_SECRET=X_KEYS["secret"],
            X_ACCESS_TOKEN=X_KEYS["token"],
            X_ACCESS_TOKEN_SECRET=X_KEYS["secret"],
            X_API_BASE_URL=x_url,
            FACEBOOK_PAGE_ID=PAGE_ID,
            FACEBOOK_PAGE_ACCESS_TOKEN=PAGE_TOKEN,
            FACEBOOK_GRAPH_URL=fb_url,
        )
        settings.database_path.parent.mkdir()
        db = open_db(settings.database_path)
        try:
            posts = queue_posts(db, FAKE_POSTS, ("x", "facebook"))
            elapsed = _through_run_slot(db, build_publishers(settings), settings, posts)
        finally:
            db.close()
    rate = posts / elapsed
    overhead_ms = (1 / rate - 1 / bare_rate) * 1000
    return Result(
        name=f"4. run_slot -> XPublisher/FacebookPublisher -> fakes ({posts} posts)",
        value=f"{rate:,.0f} posts/s",
        baseline=f"{bare_rate:,.0f}/s bare POSTs",
        ratio=bare_rate / rate,
        target="-",
        verdict="-",
        detail=f"overhead {overhead_ms:.1f} ms per post (fakes in their own processes)",
        raw={
            "posts_per_second": rate,
            "baseline_per_second": bare_rate,
            "overhead_ms_per_post": overhead_ms,
            "posts": posts,
        },
    )


def _bare_fake_rate(x_url: str, fb_url: str) -> float:
    """Plain requests POSTs to the endpoints the publishers use, with valid credentials."""
    x_session = requests.Session()
    x_session.auth = OAuth1(X_KEYS["key"], X_KEYS["secret"], X_KEYS["token"], X_KEYS["secret"])
    fb_session = requests.Session()
    fb_session.headers["Authorization"] = f"OAuth {PAGE_TOKEN}"
    started = time.perf_counter()
    for n in range(FAKE_POSTS):
        response = x_session.post(
            f"{x_url}/2/tweets", json={"text": _text("x", n, "bare")}, timeout=10
        )
        if response.status_code != 201:
            raise RuntimeError(f"bare X POST: {response.status_code} {response.text[:200]}")
        response = fb_session.post(
            f"{fb_url}/v24.0/{PAGE_ID}/feed",
            data={"message": _text("facebook", n, "bare"), "link": f"https://c.example/{n}"},
            timeout=10,
        )
        if response.status_code != 200:
            raise RuntimeError(f"bare Facebook POST: {response.status_code} {response.text}")
    return 2 * FAKE_POSTS / (time.perf_counter() - started)
