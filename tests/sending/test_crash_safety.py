"""The bot killed mid-post, as a real process: no duplicate, no loss, nothing left half-sent.

Each test runs ``run_bot.py post --all`` as a subprocess, live (SANDBOX=0) against a fake X
started here, whose faults hold a request at the exact moment that matters: after X stored the
post but before the bot heard back (``hold_after_success``), or before X handled it at all
(``hold_before_request``). The test then kills or stops the process and runs it again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from bot.core.clock import utcnow
from bot.core.db import open_db
from bot.fakes.x_server import FakeX
from tests.live_fakes import fake_x, live_env, live_settings, queue_items, wait_for

ROOT = Path(__file__).resolve().parents[2]
# Generous bounds for a busy CI machine; the tests finish in a few seconds when healthy.
START_TIMEOUT = 30.0
RUN_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeX]:
    with fake_x() as server:
        assert isinstance(server, FakeX)
        yield server


@pytest.fixture
def fake(_server: FakeX) -> Iterator[FakeX]:
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


def bot_command(tmp_path: Path) -> list[str]:
    # An empty settings file: the environment alone counts (a missing --env-file is an error).
    return [sys.executable, str(ROOT / "run_bot.py"), "--env-file", os.devnull, "post", "--all"]


def bot_env(database: Path, fake: FakeX) -> dict[str, str]:
    """Only what the bot needs: no proxy variables or real credentials leak in from the host."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1"}
    env.update(live_env(database, x=fake))
    return env


def start_bot(tmp_path: Path, database: Path, fake: FakeX) -> subprocess.Popen[str]:
    return subprocess.Popen(
        bot_command(tmp_path),
        cwd=tmp_path,
        env=bot_env(database, fake),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_bot(tmp_path: Path, database: Path, fake: FakeX) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        bot_command(tmp_path),
        cwd=tmp_path,
        env=bot_env(database, fake),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def post_requests(fake: FakeX) -> int:
    return sum(1 for r in list(fake.requests) if r.method == "POST" and r.path == "/2/tweets")


def statuses(db: sqlite_utils.Database) -> dict[int, str]:
    return {row["id"]: row["status"] for row in db.query("SELECT id, status FROM posts")}


def live_posts(fake: FakeX) -> list[dict[str, object]]:
    return [p for p in fake.posts.values() if not p["deleted"]]


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL and reap: an unreaped zombie would still look alive to the next run."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=RUN_TIMEOUT)


def queue_one(database: Path, fake: FakeX) -> tuple[sqlite_utils.Database, int]:
    db = open_db(database)
    (post_id,) = queue_items(db, live_settings(database, x=fake), 1, utcnow())
    return db, post_id


def test_killed_after_x_stored_the_post_is_reconciled_not_reposted(
    tmp_path: Path, database: Path, fake: FakeX
) -> None:
    db, post_id = queue_one(database, fake)
    fake.hold_seconds = 60
    fake.inject_named("hold_after_success")
    process = start_bot(tmp_path, database, fake)
    try:
        assert wait_for(lambda: len(fake.posts) == 1, START_TIMEOUT), "X never got the post"
    finally:
        kill(process)
    assert statuses(db) == {post_id: "sending"}

    result = run_bot(tmp_path, database, fake)

    assert result.returncode == 0, result.stderr
    ((remote_id, stored),) = fake.posts.items()
    assert not stored["deleted"]
    row = db.execute("SELECT status, remote_id FROM posts WHERE id = ?", [post_id]).fetchone()
    assert tuple(row) == ("sent", remote_id)
    assert post_requests(fake) == 1, "the post was sent to X a second time"
    actions = {(e["action"], e["outcome"]) for e in db.query("SELECT * FROM events")}
    assert ("reconcile", "sent") in actions


def test_killed_before_the_request_reached_x_is_sent_once_after_restart(
    tmp_path: Path, database: Path, fake: FakeX
) -> None:
    db, post_id = queue_one(database, fake)
    fake.hold_seconds = 60
    fake.inject_named("hold_before_request")
    process = start_bot(tmp_path, database, fake)
    try:
        assert wait_for(lambda: post_requests(fake) == 1, START_TIMEOUT)
    finally:
        kill(process)
    assert fake.posts == {}
    assert statuses(db) == {post_id: "sending"}

    result = run_bot(tmp_path, database, fake)
    # The request held when the bot died is dropped unhandled, as one that never arrived.
    fake.release_holds()

    assert result.returncode == 0, result.stderr
    assert len(live_posts(fake)) == 1
    (remote_id,) = fake.posts
    row = db.execute("SELECT status, remote_id FROM posts WHERE id = ?", [post_id]).fetchone()
    assert tuple(row) == ("sent", remote_id)


def test_sigterm_mid_slot_finishes_the_post_in_flight_and_leaves_the_rest_queued(
    tmp_path: Path, database: Path, fake: FakeX
) -> None:
    db = open_db(database)
    ids = queue_items(db, live_settings(database, x=fake), 4, utcnow())
    fake.hold_seconds = 1.0
    fake.inject_named("hold_after_success", times=len(ids))
    process = start_bot(tmp_path, database, fake)
    try:
        assert wait_for(lambda: post_requests(fake) >= 1, START_TIMEOUT)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            kill(process)

    assert process.returncode == 0, stderr
    after_stop = statuses(db)
    assert "sending" not in after_stop.values()
    sent = [i for i, s in after_stop.items() if s == "sent"]
    assert 1 <= len(sent) < len(ids), "the stop request was not honoured between posts"
    assert sorted(sent + [i for i, s in after_stop.items() if s == "queued"]) == sorted(ids)
    assert len(fake.posts) == len(sent)

    fake.clear_faults()
    result = run_bot(tmp_path, database, fake)

    assert result.returncode == 0, result.stderr
    assert set(statuses(db).values()) == {"sent"}
    texts = sorted(str(p["text"]) for p in fake.posts.values())
    assert texts == sorted(row["text"] for row in db.query("SELECT text FROM posts"))
    assert post_requests(fake) == len(ids), "a post was sent more than once"


def test_the_dashboard_stops_cleanly_on_sigterm(
    tmp_path: Path, database: Path, fake: FakeX
) -> None:
    # A service manager stops the dashboard with SIGTERM: exit 0 and a last log line, like ^C.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, str(ROOT / "run_bot.py"), "--env-file", os.devnull]
    command += ["web", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=bot_env(database, fake),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def listening() -> bool:
        with socket.socket() as client:
            return client.connect_ex(("127.0.0.1", port)) == 0

    try:
        assert wait_for(listening, START_TIMEOUT)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            kill(process)
    assert process.returncode == 0, stderr
    assert "dashboard stopped" in stderr
