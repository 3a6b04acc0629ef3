"""Small builders for tests: a database, settings and items with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.core.settings import Settings, load_settings
from bot.feeds.items import Item

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def make_settings(tmp_path: Path, **env: str) -> Settings:
    # Cards off unless a test asks: most tests' photos sit at addresses no test may reach.
    base = {"DATABASE_PATH": str(tmp_path / "test.db"), "SANDBOX": "1", "APPEAL_CARDS": "0"}
    base.update(env)
    return load_settings(base, env_file=None)


def make_item(n: int = 1, **fields: Any) -> Item:
    values: dict[str, Any] = {
        "id": f"item-{n}",
        "kind": "appeal",
        "title": f"Person {n}, 15, missing from Leeds",
        "summary": "Last seen on Monday wearing a blue coat.",
        "link": f"https://charity.example/appeals/{n}",
        "status": "missing",
    }
    values.update(fields)
    return Item(**values)
