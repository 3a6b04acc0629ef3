"""Figures 5 and 6: the daemon's memory while it waits, and how fast a FOUND appeal comes down."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from requests_oauthlib import OAuth1

from bot.core.clock import utcnow
from bot.core.db import open_db
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.x_server import FakeX
from bot.platforms import build_publishers
from bot.polling import poll_feeds
from bot.sandbox import PHOTO
from bot.scheduler import Daemon
from bot.sending.publishing import run_slot

from .common import (
    PYTHON,
    ROOT,
    Result,
    appeals_feed,
    fake_process,
    feed_server,
    rss_kib,
    settings_for,
    verdict,
)
from .publish import PAGE_ID, PAGE_TOKEN, X_KEYS

RSS_TARGET_MB = 60.0
WITHDRAW_TARGET_S = 10.0
ZONE = "Europe/London"
# What a daemon imports, heaviest suspects first: measured one by one when memory is over target.
SUSPECTS = (
    "requests",
    "sqlite_utils",
    "feedparser",
    "tweepy",
    "apscheduler.schedulers.background",
    "bot.cli",
)


def far_slots() -> str:
    """Two posting slots about ten and eleven hours from now, so none fires during a run."""
    now = datetime.now(ZoneInfo(ZONE))
    return ",".join(f"{now + timedelta(hours=h):%H:%M}" for h in (10, 11))


def platform_env(x_url: str, fb_url: str) -> dict[str, str]:
    return {
        "SANDBOX": "0",
        "X_API_KEY": X_KEYS["key"],
        "X_API_SECRET": X_KEYS["secret"],
        "X_ACCESS_TOKEN": X_KEYS["token"],
        "X_ACCESS_TOKEN_SECRET": X_KEYS["secret"],
        "X_API_BASE_URL": x_url,
        "FACEBOOK_PAGE_ID": PAGE_ID,
        "FACEBOOK_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
        "FACEBOOK_GRAPH_URL": fb_url,
        "TIMEZONE": ZONE,
        "POST_SLOTS": far_slots(),
    }


BSKY = {"handle": "bench.bsky.social", "password": "bench-app-pass"}
MASTODON_TOKEN = "bench-mastodon-token"
ALL_PLATFORMS = ("x", "facebook", "bluesky", "mastodon")


def all_platforms_env(x_url: str, fb_url: str, bsky_url: str, mastodon_url: str) -> dict[str, str]:
    return {
        **platform_env(x_url, fb_url),
        "PLATFORMS": ",".join(ALL_PLATFORMS),
        "BLUESKY_HANDLE": BSKY["handle"],
        "BLUESKY_APP_PASSWORD": BSKY["password"],
        "BLUESKY_SERVICE_URL": bsky_url,
        "MASTODON_API_BASE_URL": mastodon_url,
        "MASTODON_ACCESS_TOKEN": MASTODON_TOKEN,
    }


# --- figure 5 --------------------------------------------------------------------------------


def _baseline_rss() -> int:
    process = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(1.0)
        return rss_kib(process.pid)
    finally:
        process.kill()
        process.wait()


def _import_cost(module: str) -> int:
    """RSS in KiB of a fresh interpreter after importing ``module`` alone."""
    code = (
        f"import {module}\n"
        "for line in open('/proc/self/status'):\n"
        "    if line.startswith('VmRSS:'): print(line.split()[1])\n"
    )
    out = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return int(out.stdout.split()[-1])


def run_memory(tmp: Path) -> Result:
    folder = tmp / "daemon-rss"
    folder.mkdir()
    feed = folder / "appeals.xml"
    feed.write_bytes(appeals_feed(5))
    fake_x = FakeX(X_KEYS["key"], X_KEYS["token"]).start()
    fake_fb = FakeFacebook({PAGE_ID: PAGE_TOKEN}).start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "DATABASE_PATH": str(folder / "daemon.db"),
        "APPEALS_FEED_URL": feed.as_uri(),
        **platform_env(fake_x.url, fake_fb.url),
    }
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "run_bot.py"), "run"],
        cwd=folder,  # no .env here
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    polled = threading.Event()
    lines: list[str] = []

    def read_log() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line.rstrip())
            if "fetch ok" in line or "fetch error" in line:
                polled.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not polled.wait(60):
            raise RuntimeError("daemon never logged its first poll:\n" + "\n".join(lines[-20:]))
        time.sleep(1.0)  # let the rest of the poll job (deletions, urgent sends) finish
        rss = rss_kib(process.pid)
        hwm = status_field(process.pid, "VmHWM")
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        numpy_loaded = "/numpy/" in maps or "numpy.libs" in maps
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        reader.join(timeout=5)
        fake_x.stop()
        fake_fb.stop()
    if code != 0:
        raise RuntimeError(f"daemon exited {code} on SIGTERM:\n" + "\n".join(lines[-20:]))
    baseline = _baseline_rss()
    rss_mb, base_mb = rss / 1024, baseline / 1024
    detail = f"peak {hwm / 1024:.1f} MB; clean exit on SIGTERM"
    raw: dict[str, object] = {"rss_kib": rss, "peak_kib": hwm, "baseline_kib": baseline}
    if rss_mb > RSS_TARGET_MB:
        costs = {m: _import_cost(m) - baseline for m in SUSPECTS}
        raw["import_cost_kib"] = costs
        detail += "; MB each import adds alone: " + ", ".join(
            f"{m.split('.')[0]} +{kib / 1024:.0f}" for m, kib in costs.items()
        )
    if numpy_loaded:
        # sqlite-utils imports numpy (and pandas) at import time whenever they are installed;
        # numpy comes with matplotlib (the stats plots), though the daemon never draws a chart.
        numpy_kib = _import_cost("numpy") - baseline
        raw["numpy_kib"] = numpy_kib
        detail += (
            f"; numpy is loaded (+{numpy_kib / 1024:.0f} MB: sqlite_utils imports it when"
            f" installed, and matplotlib installs it): without it ~{rss_mb - numpy_kib / 1024:.0f}"
            " MB"
        )
    return Result(
        name="5. daemon RSS waiting for its next slot",
        value=f"{rss_mb:.1f} MB",
        baseline=f"{base_mb:.1f} MB python sleep",
        ratio=rss / baseline,
        target=f"<= {RSS_TARGET_MB:g} MB",
        verdict=verdict(rss_mb <= RSS_TARGET_MB),
        detail=detail,
        raw=raw,
    )


def status_field(pid: int, name: str) -> int:
    """A /proc/PID/status field in KiB (VmRSS, VmHWM: the peak), or 0 if it has none."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


# --- figure 6 --------------------------------------------------------------------------------

APPEALS = 20
TARGET_ITEM = "appeal-00000"


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")


def run_withdrawal(tmp: Path) -> Result:
    folder = tmp / "withdrawal"
    feeds = folder / "feeds"
    feeds.mkdir(parents=True)
    (feeds / "photo.png").write_bytes(PHOTO)
    with (
        feed_server(feeds) as feed_base,
        fake_process(
            "bot.fakes.x_server", "--consumer-key", X_KEYS["key"], "--access-token", X_KEYS["token"]
        ) as x_url,
        fake_process(
            "bot.fakes.facebook_server", "--page-id", PAGE_ID, "--token", PAGE_TOKEN
        ) as fb_url,
        fake_process(
            "bot.fakes.bluesky_server",
            "--handle",
            BSKY["handle"],
            "--app-password",
            BSKY["password"],
        ) as bsky_url,
        fake_process("bot.fakes.mastodon_server", "--access-token", MASTODON_TOKEN) as mastodon_url,
    ):
        feed = feeds / "appeals.xml"
        feed.write_bytes(appeals_feed(APPEALS, image_base=feed_base))
        settings = settings_for(
            folder,
            APPEALS_FEED_URL=f"{feed_base}/appeals.xml",
            LOG_LEVEL="ERROR",
            **all_platforms_env(x_url, fb_url, bsky_url, mastodon_url),
        )
        db = open_db(settings.database_path)
        try:
            poll_feeds(db, settings, utcnow())
            publishers = build_publishers(settings)
            run_slot(db, publishers, settings, limit=None, due_only=False)
        finally:
            db.close()
        conn = sqlite3.connect(settings.database_path, timeout=10)

        def statuses() -> list[str]:
            rows = conn.execute(
                "SELECT status FROM posts WHERE item_id = ? ORDER BY platform", [TARGET_ITEM]
            )
            return [r[0] for r in rows]

        def last_polled() -> str | None:
            row = conn.execute("SELECT last_polled_at FROM feeds").fetchone()
            return row[0] if row else None

        sent = statuses()
        if sent != ["sent"] * len(ALL_PLATFORMS):
            raise RuntimeError(f"withdrawal benchmark: posts not sent first: {sent}")

        daemon = Daemon(settings, publishers)
        thread = threading.Thread(target=daemon.run, daemon=True)
        before = last_polled()
        thread.start()
        try:
            _wait(lambda: last_polled() != before, 30, "the daemon's first poll")
            time.sleep(1.0)  # the rest of that first poll job
            feed.write_bytes(appeals_feed(APPEALS, found=frozenset({0}), image_base=feed_base))
            started = time.perf_counter()
            daemon.scheduler.modify_job("poll-feeds", next_run_time=datetime.now(settings.timezone))
            _wait(lambda: statuses() == ["deleted"] * len(ALL_PLATFORMS), 60, "every post deleted")
            elapsed = time.perf_counter() - started
        finally:
            daemon.stop.set()
            thread.join(timeout=30)
        remote_ids = {
            platform: remote_id
            for platform, remote_id in conn.execute(
                "SELECT platform, remote_id FROM posts WHERE status = 'sent'"
            )
        }
        conn.close()
        bare = _bare_withdrawal(feed_base, x_url, fb_url, bsky_url, mastodon_url, remote_ids)
    minutes = settings.feed_poll_minutes
    return Result(
        name="6. feed says FOUND -> every post deleted",
        value=f"poll interval + {elapsed:.2f} s",
        baseline=f"{bare:.2f} s bare GET+DELETEs",
        ratio=elapsed / bare,
        target=f"poll interval + {WITHDRAW_TARGET_S:g} s",
        verdict=verdict(elapsed <= WITHDRAW_TARGET_S),
        detail=(
            f"worst case {minutes} min (FEED_POLL_MINUTES) + {elapsed:.2f} s; "
            f"{APPEALS}-appeal feed, X, Facebook, Bluesky and Mastodon, real Daemon on the fakes"
        ),
        raw={"processing_seconds": elapsed, "poll_minutes": minutes, "baseline_seconds": bare},
    )


def _bare_withdrawal(
    feed_base: str,
    x_url: str,
    fb_url: str,
    bsky_url: str,
    mastodon_url: str,
    remote_ids: dict[str, str],
) -> float:
    """The least network work a withdrawal needs: fetch the feed, delete one post per platform
    (posts of other appeals still up on the fakes, so the deletes are real ones)."""
    x_id, fb_id = remote_ids["x"], remote_ids["facebook"]
    x_auth = OAuth1(X_KEYS["key"], X_KEYS["secret"], X_KEYS["token"], X_KEYS["secret"])
    session = requests.post(
        f"{bsky_url}/xrpc/com.atproto.server.createSession",
        json={"identifier": BSKY["handle"], "password": BSKY["password"]},
        timeout=10,
    ).json()
    repo, collection, rkey = remote_ids["bluesky"].removeprefix("at://").split("/")
    started = time.perf_counter()
    requests.get(f"{feed_base}/appeals.xml", timeout=10).raise_for_status()
    requests.delete(f"{x_url}/2/tweets/{x_id}", auth=x_auth, timeout=10).raise_for_status()
    requests.delete(
        f"{fb_url}/v24.0/{fb_id}", headers={"Authorization": f"OAuth {PAGE_TOKEN}"}, timeout=10
    ).raise_for_status()
    requests.post(
        f"{bsky_url}/xrpc/com.atproto.repo.deleteRecord",
        json={"repo": repo, "collection": collection, "rkey": rkey},
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
        timeout=10,
    ).raise_for_status()
    requests.delete(
        f"{mastodon_url}/api/v1/statuses/{remote_ids['mastodon']}",
        headers={"Authorization": f"Bearer {MASTODON_TOKEN}"},
        timeout=10,
    ).raise_for_status()
    return time.perf_counter() - started
