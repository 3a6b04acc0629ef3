"""The operator's kit against a real daemon process: ``health`` and ``/healthz`` say it runs,
``restore`` refuses while it does, and a ``backup`` taken meanwhile is sound."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.core.db import open_db
from bot.core.lock import daemon_running
from bot.web import create_app
from tests.factories import make_settings

ROOT = Path(__file__).resolve().parent.parent
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Appeals</title>
<item><title>Sam, 15, missing from Leeds</title><link>https://charity.example/a/1</link>
<guid>appeal-1</guid><description>Last seen on Monday.</description></item>
</channel></rss>"""


@dataclass
class Bot:
    folder: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return self.folder / "appeals.db"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "run_bot.py"), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def bot_env(folder: Path) -> dict[str, str]:
    feed = folder / "feed.xml"
    feed.write_text(FEED)
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "DATABASE_PATH": str(folder / "appeals.db"),
        "SANDBOX": "1",
        "APPEALS_FEED_URL": feed.as_uri(),
        "LOG_LEVEL": "ERROR",
    }


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    folder = tmp_path_factory.mktemp("bot")
    bot = Bot(folder, bot_env(folder))
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run_bot.py"), "run"],
        cwd=folder,
        env=bot.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if bot.database.exists():
                conn = sqlite3.connect(bot.database)
                try:
                    polled = conn.execute("SELECT MAX(last_polled_at) FROM feeds").fetchone()[0]
                except sqlite3.OperationalError:
                    polled = None
                conn.close()
                if polled:
                    break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
        else:
            pytest.fail("the daemon did not poll its feed within 30 s")
        yield bot
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_health_says_a_polling_daemon_is_healthy(daemon: Bot) -> None:
    done = daemon.run("health", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(done.stdout)
    assert found["ok"] is True
    assert found["daemon"]["ok"] and found["polling"]["ok"] and found["platforms"]["ok"]
    assert found["paused"] == []
    text = daemon.run("health")
    assert text.returncode == 0 and text.stdout.startswith("healthy")


def test_healthz_answers_without_sign_in_and_without_personal_data(daemon: Bot) -> None:
    settings = make_settings(
        daemon.folder,
        DATABASE_PATH=daemon.env["DATABASE_PATH"],
        APPEALS_FEED_URL=daemon.env["APPEALS_FEED_URL"],
    )
    client = create_app(settings, testing=True).test_client()
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json()["ok"] is True
    body = answer.get_data(as_text=True)
    assert "Sam" not in body and "Leeds" not in body and "charity.example" not in body
    holder = daemon_running(daemon.database)
    assert holder and holder not in body, body  # no host name and process id
    assert client.get("/queue").status_code == 302  # the rest still needs a sign-in


def test_restore_is_refused_while_the_daemon_runs(daemon: Bot, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    assert daemon.run("backup", str(copy)).returncode == 0
    before = daemon.database.stat().st_ino
    refused = daemon.run("restore", str(copy))
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "daemon is already running" in refused.stderr
    assert daemon.database.stat().st_ino == before  # not replaced


def test_a_backup_taken_while_the_daemon_runs_is_sound(daemon: Bot, tmp_path: Path) -> None:
    done = daemon.run("backup", str(tmp_path))
    assert done.returncode == 0, done.stderr
    (copy,) = tmp_path.glob("appeals-*.db")
    assert copy.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1
    conn.close()


def test_health_fails_with_no_daemon_and_restore_then_works(tmp_path: Path) -> None:
    bot = Bot(tmp_path, bot_env(tmp_path))
    open_db(bot.database).close()
    down = bot.run("health", "--json")
    assert down.returncode == 1
    found = json.loads(down.stdout)
    assert found["ok"] is False and found["daemon"]["detail"] == "no daemon running"
    assert found["polling"]["detail"] == "no feed polled yet"
    settings = make_settings(tmp_path, DATABASE_PATH=str(bot.database))
    assert create_app(settings, testing=True).test_client().get("/healthz").status_code == 503

    db = open_db(bot.database)
    db.execute(
        "INSERT INTO events (at, action, outcome, detail)"
        " VALUES ('2026-11-25T03:14:00.000000Z', 'send', 'sent', 'the last before the backup')"
    )
    db.close()
    copy = tmp_path / "copy.db"
    assert bot.run("backup", str(copy)).returncode == 0
    db = open_db(bot.database)
    db.execute("INSERT INTO feeds (url, kind) VALUES ('https://after.example/feed', 'appeal')")
    db.close()
    restored = bot.run("restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    # What happened after the backup is not in it: a found person's appeal withdrawn since
    # would go out again. The operator is told how far the copy goes and what to check.
    assert "its log ends 2026-11-25 03:14 (Europe/London)" in restored.stdout
    assert "run_bot.py withdrawals" in restored.stdout
    db = open_db(bot.database)
    assert db.execute("SELECT COUNT(*) FROM feeds").fetchone()[0] == 0
    db.close()
    assert len(list(tmp_path.glob("appeals.db.before-restore-*Z"))) == 1
