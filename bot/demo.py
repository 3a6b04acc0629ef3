"""``run_bot.py demo`` / ``make demo``: the whole flow in under a minute, with no credentials.

It starts the sandbox (fake X, Facebook, Bluesky and Mastodon servers and the sample feeds on
127.0.0.1), runs the real daemon (APScheduler jobs, SQLite, the tweepy, Graph API, atproto and
Mastodon.py clients) on a fresh database in ``demo-output/``, lets one posting slot go out,
marks one appeal FOUND in the feed and waits until its posts are deleted everywhere, then prints
the operators' log; last, it reads share counts over a fast-forwarded week, prints the stats
table and writes ``demo-shares.png``.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import sqlite_utils

from bot.core.clock import local_text, to_iso, utcnow
from bot.core.db import open_db
from bot.core.display import plural, table
from bot.core.private import private_dir
from bot.core.settings import KNOWN_PLATFORMS, SANDBOX_FEED_PATHS, Settings
from bot.posts.schedule import next_slot
from bot.runtime import Runtime, start_runtime
from bot.scheduler import Daemon

# How every card's alt text begins (bot.posts.card_text.alt_text).
CARD_ALT_START = "Missing person appeal card."

STEP_TIMEOUT = 20.0


def _wait(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"demo: gave up waiting for {what}")
        time.sleep(0.1)


def mark_first_found(feed: bytes) -> bytes:
    """The sample feed with its first appeal's title turned 'FOUND: …', as a charity's CMS would."""
    text = feed.decode("utf-8")
    return re.sub(r"(<item>.*?<title>)", r"\1FOUND: ", text, count=1, flags=re.S).encode()


def show_shares(runtime: Runtime, db: sqlite_utils.Database, folder: Path) -> Path:
    """Read share counts as the daemon would over the week after posting, then print the stats
    table and draw the plot.

    A week cannot pass in a demo, so the sandbox's fake platforms (whose counts grow with
    each post's age) are told the time is each METRICS_SCHEDULE offset later, and the readings
    are taken and stamped at those moments by the real polling code and clients.
    """
    from bot.shares.metrics import take_due_readings
    from bot.shares.plots import write_plot
    from bot.shares.stats import stats_report, stats_text

    assert runtime.sandbox is not None
    settings = runtime.settings
    start = utcnow()
    print(
        "\n4. fast-forwarding the sandbox's clock through METRICS_SCHEDULE"
        f" ({', '.join(_duration_text(o) for o in settings.metrics_schedule)}) to read share"
        " counts as the daemon would"
    )
    now = start
    for offset in settings.metrics_schedule:
        now = start + offset + timedelta(minutes=1)
        runtime.sandbox.set_clock(now.timestamp)
        taken = take_due_readings(db, runtime.publishers, settings, now)
        print(f"   +{_duration_text(offset)}: {taken} readings")
    print(
        f"\nShares (`run_bot.py stats`) as of {local_text(to_iso(now), settings.timezone)}"
        f" {settings.timezone.key}, the end of the fast-forwarded week; ages are from then:"
    )
    print(stats_text(stats_report(db, now), settings.timezone))
    plot = write_plot(db, settings, now, folder / "demo-shares.png")
    print(f"\nPlot of shares over time (`run_bot.py stats --plot FILE.png`): {plot}")
    return plot


def _next_hour(settings: Settings) -> dt_time:
    return (
        (utcnow().astimezone(settings.timezone) + timedelta(hours=1))
        .time()
        .replace(minute=0, second=0, microsecond=0)
    )


class _DemoClock:
    """The real clock, moved on to the demo's slot once its posts are queued: a slot without
    waiting for it, as the tests' frozen clocks do."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def jump_to_next_slot(self, settings: Settings) -> None:
        slot = next_slot(self(), settings.post_slots, settings.timezone)
        self.offset += slot - self() + timedelta(seconds=1)


def show_cards(runtime: Runtime, db: sqlite_utils.Database) -> None:
    """How many appeal cards each fake platform received (told by their alt text), and where
    the kept ones are."""
    from bot.posts.card_files import cards_dir

    sandbox = runtime.sandbox
    assert sandbox is not None
    if not runtime.settings.appeal_cards:
        print("\nAPPEAL_CARDS=0: appeals went out with their plain photo.")
        return
    alts = {
        "X": [m.get("alt_text") for m in sandbox.x.media.values()],
        "Facebook": [p.get("alt_text") for p in sandbox.facebook.posts.values()],
        "Bluesky": [
            image.get("alt")
            for p in sandbox.bluesky.posts.values()
            for image in (p["record"].get("embed") or {}).get("images") or []
        ],
        "Mastodon": [m.get("description") for m in sandbox.mastodon.media.values()],
    }
    counts = ", ".join(
        f"{name} {sum(1 for alt in texts if str(alt or '').startswith(CARD_ALT_START))}"
        for name, texts in alts.items()
    )
    folder = cards_dir(db)
    kept = sorted(folder.glob("*.png")) if folder and folder.is_dir() else []
    print(
        f"\nAppeal cards (APPEAL_CARDS=1) received, each with alt text read from its facts:"
        f" {counts}. {plural(len(kept), 'card')} kept (0600) in {folder}"
        + (f", e.g. {kept[0].name}" if kept else "")
        + "; the found appeal's were deleted with its posts."
    )


def _duration_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def run_demo(settings: Settings, output: str = "demo-output") -> int:
    folder = Path(output)
    private_dir(folder)
    database = folder / "demo.db"
    for leftover in folder.glob("demo.db*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)  # the last run's cards (demo.db-cards)
        else:
            leftover.unlink()
    settings = settings.replace(
        database_path=database,
        sandbox=True,
        appeals_feed_urls=(),
        news_feed_urls=(),
        posts_per_slot=max(settings.posts_per_slot, 3),
        platforms=KNOWN_PLATFORMS,
        # One slot, at the next whole hour: the demo's clock jumps to it after the first poll.
        post_slots=(_next_hour(settings),),
        # The cards show a helpline and a charity; the samples' own number is 116 000.
        charity_helpline=settings.charity_helpline or "Call or text 116 000",
        charity_name=settings.charity_name or "Sample Missing Persons Charity",
    )
    print(
        "appeal-bot demo: sandbox X, Facebook, Bluesky and Mastodon on 127.0.0.1,"
        f" database {database}\n"
    )
    # Its own free port: the demo must not depend on, or disturb, a sandbox daemon running.
    with start_runtime(settings, share=False) as runtime:
        assert runtime.sandbox is not None and runtime.sandbox.feeds is not None
        settings = runtime.settings
        db = open_db(database)
        stop = threading.Event()
        clock = _DemoClock()
        daemon = Daemon(settings, runtime.publishers, clock=clock, stop=stop)
        thread = threading.Thread(target=daemon.run, name="daemon", daemon=True)
        thread.start()

        def count(sql: str, *params: object) -> int:
            return int(db.execute(sql, list(params)).fetchone()[0])

        try:
            _wait(
                "the first feed poll",
                lambda: count("SELECT COUNT(*) FROM feeds WHERE last_success_at IS NOT NULL") >= 2,
            )
            stored = count("SELECT COUNT(*) FROM items")
            queued = count("SELECT COUNT(DISTINCT item_id) FROM posts")
            closed = count("SELECT COUNT(*) FROM items WHERE closed_at IS NOT NULL")
            print(
                f"1. polled the feeds: {stored} {'entry' if stored == 1 else 'entries'} stored,"
                f" {queued} of them queued"
                f" as {plural(count('SELECT COUNT(*) FROM posts'), 'post')}"
                + (f"; {closed} already found on the site, so not posted" if closed else "")
                + " (urgent appeals go out at once, outside the slots)"
            )
            slot = settings.post_slots[0].strftime("%H:%M")
            print(f"2. the demo's clock jumps to the {slot} slot; the scheduler runs it")
            clock.jump_to_next_slot(settings)
            daemon.scheduler.add_job(
                daemon.slot_job, "date", run_date=utcnow() + timedelta(seconds=0.2)
            )
            _wait(
                "the slot",
                lambda: (
                    count("SELECT COUNT(*) FROM events WHERE action = 'slot' AND outcome = 'done'")
                    >= 1
                ),
            )
            urgent = count(
                "SELECT COUNT(*) FROM posts p JOIN items i ON i.id = p.item_id"
                " WHERE p.sent_at IS NOT NULL AND i.urgent = 1"
            )
            in_slot = count("SELECT COUNT(*) FROM posts WHERE sent_at IS NOT NULL") - urgent
            print(
                f"   sent {plural(urgent, 'urgent post')} at once and {in_slot} in the slot"
                f" (at most POSTS_PER_SLOT={settings.posts_per_slot} per platform and page);"
                " the rest wait for the next slot"
            )
            feeds = runtime.sandbox.feeds
            path = SANDBOX_FEED_PATHS["appeal"]
            feeds.files[path] = mark_first_found(feeds.files[path])
            found = db.execute(
                "SELECT id, title FROM items WHERE kind = 'appeal' ORDER BY rowid LIMIT 1"
            ).fetchone()
            print(f"3. the charity's site marks {found[1]!r} FOUND; polling again")
            daemon.scheduler.modify_job("poll-feeds", next_run_time=utcnow())
            _wait(
                "the found appeal's posts to come down",
                lambda: (
                    count(
                        "SELECT COUNT(*) FROM posts WHERE item_id = ? AND status IN"
                        " ('queued', 'sending', 'sent', 'deleting')",
                        found[0],
                    )
                    == 0
                    and count(
                        "SELECT COUNT(*) FROM items WHERE id = ? AND closed_at IS NOT NULL",
                        found[0],
                    )
                    == 1
                ),
            )
        finally:
            stop.set()
            thread.join(timeout=30)

        rows = list(db.query("SELECT * FROM events ORDER BY id"))
        for row in rows:
            row["when"] = local_text(row["at"], settings.timezone)
        print("\nOperators' log (oldest first; `run_bot.py log` shows newest first):")
        print(
            table(
                rows,
                [
                    ("when", "time", 16),
                    ("platform", "platform", 8),
                    ("post_id", "post", 4),
                    ("action", "action", 9),
                    ("outcome", "outcome", 9),
                    ("detail", "detail", 80),
                ],
            )
        )
        sent = list(
            db.query(
                "SELECT p.id, p.platform, p.status, p.remote_url, i.title FROM posts p"
                " JOIN items i ON i.id = p.item_id WHERE p.sent_at IS NOT NULL ORDER BY p.id"
            )
        )
        print(f"\nPosts sent ({len(sent)}):")
        print(
            table(
                sent,
                [
                    ("id", "post", 4),
                    ("platform", "platform", 8),
                    ("status", "status", 8),
                    ("title", "item", 40),
                    ("remote_url", "where", 60),
                ],
            )
        )
        sandbox = runtime.sandbox
        live = {
            "X": sum(1 for p in sandbox.x.posts.values() if not p.get("deleted")),
            "Facebook": sum(1 for p in sandbox.facebook.posts.values() if not p.get("deleted")),
            "Bluesky": len(sandbox.bluesky.live_posts()),
            "Mastodon": len(sandbox.mastodon.live_statuses()),
        }
        print(
            "\nLive posts on the fakes: "
            + "; ".join(f"{name} {count}" for name, count in live.items())
            + ". Nothing of the found appeal remains on any of them."
        )
        show_cards(runtime, db)
        show_shares(runtime, db, folder)
    return 0
