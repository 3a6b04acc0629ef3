"""``fetch --dry-run``: what a poll would queue, with nothing stored (issue 13, item 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.db import open_db
from tests.cli.conftest import Cli


def feed(tmp_path: Path) -> Path:
    recent = (datetime.now(UTC) - timedelta(days=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    path = tmp_path / "appeals.xml"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Appeals</title>'
        "<item><guid>new</guid><title>Ada Lovelace, 15, missing from Leeds</title>"
        f"<link>https://charity.org.uk/ada</link><pubDate>{recent}</pubDate></item>"
        "<item><guid>old</guid><title>Cy Old, 30, missing from Hull</title>"
        "<link>https://charity.org.uk/cy</link><pubDate>Tue, 05 Mar 2019 10:00:00 +0000</pubDate>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    return path


def test_dry_run_shows_what_would_be_queued_and_stores_nothing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPEALS_FEED_URL", feed(tmp_path).as_uri())
    monkeypatch.setenv("PLATFORMS", "x")
    result = cli("fetch", "--dry-run")
    assert result.code == 0
    assert "Dry run: nothing was stored. Would queue 1 post(s):" in result.out
    assert "Ada Lovelace, 15, missing from Leeds" in result.out
    assert "Cy Old" not in result.out.partition("Would queue")[2]  # older than 14 days
    db = open_db(tmp_path / "cli.db")
    assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM feeds").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0

    data = cli("fetch", "--dry-run", "--json").json()
    assert [w["item_id"] for w in data["would_queue"]] == ["new"]
    assert data["feeds"][0]["old"] == 1

    # The real poll then does what the dry run said.
    assert cli("fetch").code == 0
    queued = db.execute("SELECT item_id FROM posts").fetchall()
    assert queued == [("new",)]
