"""Bluesky and Mastodon bots killed mid-post (SIGKILL between the platform's success and our
write): no duplicate, nothing left half-sent. Same method as ``test_crash_safety``: the real
``run_bot.py post --all`` as a subprocess, live against a fake that holds its answer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from bot.core.clock import utcnow
from bot.core.db import open_db
from bot.fakes.bluesky_server import FakeBluesky
from bot.fakes.mastodon_server import FakeMastodon
from bot.platforms.mastodon import idempotency_key
from tests.live_fakes import (
    fake_bluesky,
    fake_mastodon,
    live_env,
    live_settings,
    queue_items,
    wait_for,
)
from tests.sending.test_crash_safety import RUN_TIMEOUT, START_TIMEOUT, kill, statuses

ROOT = Path(__file__).resolve().parents[2]
CREATE = {"bluesky": "/xrpc/com.atproto.repo.createRecord", "mastodon": "/api/v1/statuses"}


@pytest.fixture(scope="module")
def _bluesky() -> Iterator[FakeBluesky]:
    with fake_bluesky() as server:
        assert isinstance(server, FakeBluesky)
        yield server


@pytest.fixture(scope="module")
def _mastodon() -> Iterator[FakeMastodon]:
    with fake_mastodon() as server:
        assert isinstance(server, FakeMastodon)
        yield server


def _env(database: Path, fake: FakeBluesky | FakeMastodon) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1"}
    if isinstance(fake, FakeBluesky):
        env.update(live_env(database, bluesky=fake))
    else:
        env.update(live_env(database, mastodon=fake))
    return env


def _command() -> list[str]:
    return [sys.executable, str(ROOT / "run_bot.py"), "--env-file", os.devnull, "post", "--all"]


def creates(fake: FakeBluesky | FakeMastodon, platform: str) -> int:
    return sum(1 for r in list(fake.requests) if r.method == "POST" and r.path == CREATE[platform])


def live_texts(fake: FakeBluesky | FakeMastodon) -> list[str]:
    if isinstance(fake, FakeBluesky):
        return [p["record"]["text"] for p in fake.live_posts()]
    return [s["text"] for s in fake.live_statuses()]


def held_bot(
    folder: Path, fake: FakeBluesky | FakeMastodon, fault: str
) -> tuple[sqlite_utils.Database, int, subprocess.Popen[str]]:
    """One post queued in ``folder``'s database, and ``run_bot.py post --all`` sending it into
    ``fault``, a hold of a minute on the fake: (the database, the post's id, the process)."""
    fake.reset()
    database = folder / "bot.db"
    db = open_db(database)
    platform = "bluesky" if isinstance(fake, FakeBluesky) else "mastodon"
    settings = live_settings(database, **{platform: fake})  # type: ignore[arg-type]
    (post_id,) = queue_items(db, settings, 1, utcnow())
    fake.hold_seconds = 60
    fake.inject_named(fault)
    process = subprocess.Popen(
        _command(),
        cwd=folder,
        env=_env(database, fake),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return db, post_id, process


def run_again(folder: Path, fake: FakeBluesky | FakeMastodon) -> subprocess.CompletedProcess[str]:
    """The bot restarted on the same database: ``run_bot.py post --all`` to its end."""
    return subprocess.run(
        _command(),
        cwd=folder,
        env=_env(folder / "bot.db", fake),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


@pytest.mark.parametrize("platform", ["bluesky", "mastodon"])
def test_killed_after_the_platform_stored_the_post_is_not_posted_twice(
    tmp_path: Path,
    platform: str,
    _bluesky: FakeBluesky,
    _mastodon: FakeMastodon,
) -> None:
    fake: FakeBluesky | FakeMastodon = _bluesky if platform == "bluesky" else _mastodon
    db, post_id, process = held_bot(tmp_path, fake, "hold_after_success")
    try:
        assert wait_for(lambda: len(live_texts(fake)) == 1, START_TIMEOUT), "never posted"
    finally:
        kill(process)
    assert statuses(db) == {post_id: "sending"}
    if isinstance(fake, FakeMastodon):
        # Push ours out of the 40 statuses reconciliation reads: only the key can save us now.
        for n in range(45):
            fake.add_status(f"Posted by hand {n}")

    result = run_again(tmp_path, fake)

    assert result.returncode == 0, result.stderr
    ours = [t for t in live_texts(fake) if not t.startswith("Posted by hand")]
    assert len(ours) == 1, "the post went out twice"
    row = db.execute("SELECT status, remote_id FROM posts WHERE id = ?", [post_id]).fetchone()
    assert row[0] == "sent"
    if isinstance(fake, FakeMastodon):
        key = idempotency_key(post_id)
        assert creates(fake, platform) == 2, "the resend did not reach Mastodon"
        assert fake.idempotency[key][0] == row[1], "the resend made a second status"
    else:
        assert creates(fake, platform) == 1, "the post was sent to Bluesky a second time"
        assert row[1] == fake.live_posts()[0]["uri"]


# Mastodon only: the path after a restart is the pipeline's, the same for every platform (the
# X suite has it too), and a Bluesky bot process takes seconds to start (the SDK's models).
@pytest.mark.parametrize("platform", ["mastodon"])
def test_killed_before_the_request_reached_the_platform_is_sent_once_after_restart(
    tmp_path: Path,
    platform: str,
    _bluesky: FakeBluesky,
    _mastodon: FakeMastodon,
) -> None:
    fake: FakeBluesky | FakeMastodon = _bluesky if platform == "bluesky" else _mastodon
    db, post_id, process = held_bot(tmp_path, fake, "hold_before_request")
    try:
        assert wait_for(lambda: creates(fake, platform) == 1, START_TIMEOUT)
    finally:
        kill(process)
    assert live_texts(fake) == [] and statuses(db) == {post_id: "sending"}

    result = run_again(tmp_path, fake)
    fake.release_holds()  # the held request is dropped unhandled, as one that never arrived

    assert result.returncode == 0, result.stderr
    assert len(live_texts(fake)) == 1
    row = db.execute("SELECT status FROM posts WHERE id = ?", [post_id]).fetchone()
    assert row[0] == "sent"
