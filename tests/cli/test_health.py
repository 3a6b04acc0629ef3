"""``health`` and ``/healthz`` in the sandbox: they watch the sample feeds the sandbox really
polls (on whatever port it got), never say "no feeds", and show no appeal's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.clock import utcnow
from bot.core.db import open_db
from bot.core.lock import DaemonLock
from bot.core.settings import load_settings
from bot.polling import poll_feeds
from bot.runtime import start_runtime
from bot.web import create_app
from tests.cli.conftest import Cli

SAMPLES = "(the sandbox's sample feeds)"


def test_health_and_healthz_watch_the_sample_feeds_a_sandbox_polls(cli: Cli) -> None:
    settings = load_settings(env_file=None)  # what every command reads: no feed set
    assert settings.sandbox and not settings.appeals_feed_urls
    before = cli("health", "--json")
    assert before.code == 1
    assert before.json()["polling"] == {"ok": False, "detail": f"no feed polled yet {SAMPLES}"}

    db = open_db(settings.database_path)
    # The sandbox as the daemon starts it, on a free port (8765 may be another test's).
    with start_runtime(settings, share=False) as runtime:
        reports = poll_feeds(db, runtime.settings, utcnow())
    assert {report.outcome for report in reports} == {"ok"} and len(reports) == 2
    titles = [row[0] for row in db.execute("SELECT title FROM items").fetchall()]
    assert titles

    with DaemonLock(settings.database_path):
        after = cli("health", "--json")
        assert after.code == 0, after.out
        found = after.json()
        assert found["polling"]["ok"] and found["polling"]["detail"].endswith(SAMPLES)
        assert found["last_poll_at"] is not None
        text = cli("health").out
        assert text.startswith("healthy") and "no feeds" not in text

        answer = create_app(settings, testing=True).test_client().get("/healthz")
        assert answer.status_code == 200
        assert answer.get_json()["polling"] == found["polling"]
        body = answer.get_data(as_text=True)
        assert not [title for title in titles if title.split(",")[0] in body]
        assert "127.0.0.1" not in body and str(settings.database_path) not in body


def test_health_json_without_a_database_is_json(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere" / "appeals.db"
    monkeypatch.setenv("DATABASE_PATH", str(missing))
    done = cli("health", "--json")
    assert done.code == 1
    assert done.json() == {"ok": False, "error": done.json()["error"]}
    assert "no database at" in done.json()["error"] and not missing.exists()
    plain = cli("health")
    assert plain.code == 1 and "no database at" in plain.err and plain.out == ""
