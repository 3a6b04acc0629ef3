"""A database with a charity's history in it, built through the library's own functions.

``python -m benchmarks.history PATH --posts 40000`` writes a database of that many sent posts
(one appeal on each platform of PLATFORMS, so 20,000 feed entries for 40,000 posts on X and
Facebook), their sends spread evenly over the year before now. Every post goes the way a real
one does: the item is stored and planned (:func:`bot.posts.planner.plan_posts`), queued,
claimed and sent through the sandbox publisher (:func:`bot.sending.publishing.send_post`, which
logs it), its share counts read at each METRICS_SCHEDULE offset
(:func:`bot.shares.metrics.store_reading`), and, unless it is one of the ``open_share`` still
missing, its appeal found (:func:`bot.appeals.withdrawal.withdraw_item`) a few days later and its
posts taken down (:func:`bot.appeals.withdrawal.process_deletions`).

The whole build is one transaction (each library call's own becomes a savepoint), so 40,000
posts take about a minute, not the hour thousands of separate commits would.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlite_utils

from bot.appeals.withdrawal import process_deletions, withdraw_item
from bot.core.clock import utcnow
from bot.core.db import immediate, open_db
from bot.core.settings import Settings, load_settings
from bot.feeds.items import Item
from bot.platforms.base import Metrics
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.planner import plan_posts
from bot.posts.queue import Post, claim_next, enqueue, get_post, store_item
from bot.sending.publishing import send_post
from bot.shares.metrics import DueReading, store_reading

from .common import NAMES, REGIONS, TOWNS

YEAR = timedelta(days=365)
OWNER = "history:1"


def history_item(n: int, at: datetime) -> Item:
    """The ``n``-th appeal of the history, like the charity's feed gives them."""
    name, town = NAMES[n % len(NAMES)], TOWNS[n % len(TOWNS)]
    return Item(
        id=f"history-{n:06d}",
        kind="appeal",
        title=f"{name} ({n}), {12 + n % 60}, missing from {town}",
        summary=f"Last seen near the station in {town}, wearing a navy coat.",
        link=f"https://charity.example/appeals/{n:06d}",
        image_url=f"https://charity.example/images/appeal-{n}.jpg",
        image_alt=f"{name} in a navy coat",
        published_at=at,
        status="missing",
        region=REGIONS[n % len(REGIONS)],
    )


def grow_history(
    db: sqlite_utils.Database,
    settings: Settings,
    posts: int,
    *,
    end: datetime,
    span: timedelta = YEAR,
    open_share: float = 0.02,
    seed: int = 1,
) -> int:
    """Add about ``posts`` sent posts whose sends are spread over ``span`` before ``end``.

    ``open_share`` of the appeals stay missing (and keep their posts); the others are found
    1 to 20 days after they went out, and their posts deleted. Returns the posts sent.
    """
    rng = random.Random(seed)
    publishers = {name: SandboxPublisher(name) for name in settings.platforms}
    items = max(1, posts // len(settings.platforms))
    sent = 0
    closures: list[tuple[datetime, str]] = []
    with immediate(db):
        for n in range(items):
            at = end - span + span * (n + 0.5) / items
            item = history_item(n, at)
            store_item(db, item, at)
            enqueue(db, item.id, plan_posts(item, settings, at), at)
            for platform in settings.platforms:
                while (post := claim_next(db, platform, at, OWNER, due_only=False)) is not None:
                    if send_post(db, publishers[platform], post, at, rng) == "sent":
                        sent += 1
                        _read_shares(db, settings, get_post(db, post.id), at, end, rng)
            if rng.random() >= open_share:
                found = at + timedelta(days=rng.uniform(1, 20))
                if found < end:
                    closures.append((found, item.id))
        for found, item_id in sorted(closures):
            withdraw_item(db, item_id, "found safe and well", found)
        process_deletions(db, publishers, end, rng)  # type: ignore[arg-type]
    return sent


def _read_shares(
    db: sqlite_utils.Database,
    settings: Settings,
    post: Post,
    sent_at: datetime,
    end: datetime,
    rng: random.Random,
) -> None:
    """Each METRICS_SCHEDULE reading of a sent post that fell due before ``end``."""
    for offset in settings.metrics_schedule:
        if sent_at + offset > end:
            break
        reading = DueReading(
            post.id, post.item_id, post.platform, post.target, post.remote_id or "", sent_at, offset
        )
        counts = Metrics(shares=rng.randint(0, 400), likes=rng.randint(0, 900))
        store_reading(db, reading, counts, sent_at + offset)


def build(path: Path, posts: int, settings: Settings | None = None, seed: int = 1) -> int:
    """A new database at ``path`` holding ``posts`` posts of history ending now."""
    settings = settings or load_settings(
        {"DATABASE_PATH": str(path), "SANDBOX": "1", "REAPPEAL_DAYS": "7,30"}, env_file=None
    )
    db = open_db(path)
    # The build is one transaction: with SQLite's default 2 MB cache it would spill its pages to
    # the WAL over and over. Only this connection's cache; the database file is the same.
    db.execute("PRAGMA cache_size = -262144")
    try:
        return grow_history(db, settings, posts, end=utcnow(), seed=seed)
    finally:
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.history", description=__doc__)
    parser.add_argument("path", type=Path, help="the database to create (must not exist)")
    parser.add_argument("--posts", type=int, default=40_000, help="posts of history (40000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = parser.parse_args(argv)
    if args.path.exists():
        parser.error(f"{args.path} exists: give a new file")
    started = time.perf_counter()
    sent = build(args.path, args.posts, seed=args.seed)
    print(f"{args.path}: {sent} posts sent over a year, in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
