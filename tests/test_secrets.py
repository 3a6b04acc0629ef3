"""Secrets never leak: not into the database file, the log on stderr, the events, or the output.

The bot runs live (SANDBOX=0) through the CLI, with both real clients on the fakes and
distinctive credential values, through successes and through the failures whose messages are
the likeliest to carry a token (refused credentials, server errors, throttling, timeouts).
Then every byte it wrote is searched for those values.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.db import open_db
from bot.core.settings import VARIABLES
from tests.live_fakes import SECRETS, fake_facebook, fake_x, live_env


def live_cli(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Callable[..., int]:
    """The CLI in process, its settings ``env`` alone (no setting of the host's) and logging
    at DEBUG, the level likeliest to carry a secret."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    for name, value in {**env, "LOG_LEVEL": "DEBUG"}.items():
        monkeypatch.setenv(name, value)
    return lambda *args: main(["--env-file", os.devnull, *args])


def test_no_secret_reaches_the_database_the_log_or_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "secrets.db"
    with fake_x() as x, fake_facebook() as facebook:
        cli = live_cli(monkeypatch, live_env(database, x, facebook))
        for n in range(1, 5):
            title = f"Person {n}, 15, missing from Leeds"
            link = f"https://charity.example/appeals/{n}"
            assert cli("add", "--title", title, "--link", link) == 0
        x.inject_named("expired_token")  # X pauses, then resumes on the next run
        facebook.inject_named("server_error")  # the first post is retried later
        facebook.inject_named("expired_token")  # the second pauses Facebook
        assert cli("post", "--all") == 0
        assert cli("post", "--all") == 0
        x.inject_named("rate_limit")
        assert cli("check-credentials") == 1
        assert cli("check-credentials") == 0
        for command in (["log", "--json"], ["queue", "--all", "--json"], ["status", "--json"]):
            assert cli(*command) == 0
        assert len(x.posts) == 4 and len(facebook.posts) == 3, "too little went out to prove much"
        captured = capsys.readouterr()

    stored = b"".join(
        path.read_bytes()
        for path in tmp_path.iterdir()
        if path.name.startswith(database.name)  # the .db, -wal and -shm files
    )
    db = open_db(database)
    events = list(db.query("SELECT * FROM events"))
    outcomes = {e["outcome"] for e in events}
    assert {"sent", "paused", "retry", "resumed"} <= outcomes, outcomes
    event_text = repr(events)
    db.conn.close()
    # What is searched really holds what the bot wrote.
    assert b"Person 1, 15, missing from Leeds" in stored
    assert (
        "WARNING" in captured.err and "paused" in captured.err and "x.com/i/status" in captured.err
    )
    for secret in SECRETS:
        assert secret.encode() not in stored, f"{secret} is in the database file"
        assert secret not in event_text
        assert secret not in captured.err, f"{secret} is in the log"
        assert secret not in captured.out


def test_no_bluesky_or_mastodon_secret_or_session_token_leaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.live_fakes import BSKY_PASSWORD, MASTODON_TOKEN, fake_bluesky, fake_mastodon

    database = tmp_path / "secrets.db"
    with fake_bluesky() as bluesky, fake_mastodon() as mastodon:
        cli = live_cli(monkeypatch, live_env(database, bluesky=bluesky, mastodon=mastodon))
        for n in range(1, 4):
            link = f"https://charity.example/appeals/{n}"
            assert cli("add", "--title", f"Person {n}, 15, missing", "--link", link) == 0
        bluesky.inject_named("server_error")
        mastodon.inject_named("expired_token")  # Mastodon pauses, then resumes
        assert cli("post", "--all") == 0
        bluesky.expire_access_tokens()  # the stored session is refreshed on the next run
        assert cli("post", "--all") == 0
        mastodon.inject_named("rate_limit")
        assert cli("check-credentials") == 1
        assert cli("check-credentials") == 0
        for command in (["log", "--json"], ["queue", "--all", "--json"], ["status", "--json"]):
            assert cli(*command) == 0
        # One Bluesky post waits for its retry after the server error.
        assert len(bluesky.live_posts()) == 2 and len(mastodon.live_statuses()) == 3
        tokens = [*bluesky.access_tokens, *bluesky.refresh_tokens]
        captured = capsys.readouterr()

    db = open_db(database)
    event_text = repr(list(db.query("SELECT * FROM events")))
    db.conn.close()
    stored = b"".join(
        p.read_bytes()
        for p in tmp_path.iterdir()
        if p.name.startswith(("secrets.db", "secrets.db-"))
        and not p.name.endswith(".bluesky-session")
    )
    assert b"Person 1, 15, missing" in stored
    for secret in (BSKY_PASSWORD, MASTODON_TOKEN, *tokens):
        assert secret.encode() not in stored, "a secret is in the database file"
        assert secret not in event_text
        assert secret not in captured.err, "a secret is in the log"
        assert secret not in captured.out
    session = tmp_path / "secrets.db.bluesky-session"
    assert session.stat().st_mode & 0o077 == 0 and BSKY_PASSWORD not in session.read_text()
