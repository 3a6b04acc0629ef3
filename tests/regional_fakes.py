"""The fake X and Facebook (a main page and a north-west regional page) that the lifecycle and
withdrawal tests run the real clients against, and settings pointing at them with SANDBOX=0."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.core.settings import Settings
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.x_server import FakeX
from tests.factories import make_settings

MAIN, NORTH = "1000000001", "1000000002"
TOKENS = {MAIN: "main-page-token", NORTH: "north-page-token"}


@dataclass
class Fakes:
    x: FakeX
    facebook: FakeFacebook


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with FakeX("live-key", "live-token") as x, FakeFacebook(pages=TOKENS) as facebook:
        assert isinstance(x, FakeX) and isinstance(facebook, FakeFacebook)
        yield Fakes(x, facebook)


def live_settings(tmp_path: Path, fakes: Fakes, **env: str) -> Settings:
    """Settings pointing the real clients at the fakes, as bot/sandbox.py does, with SANDBOX=0."""
    return make_settings(
        tmp_path,
        SANDBOX="0",
        X_API_KEY="live-key",
        X_API_SECRET="live-secret",
        X_ACCESS_TOKEN="live-token",
        X_ACCESS_TOKEN_SECRET="live-token-secret",
        X_API_BASE_URL=fakes.x.url,
        FACEBOOK_PAGE_ID=MAIN,
        FACEBOOK_PAGE_ACCESS_TOKEN=TOKENS[MAIN],
        FACEBOOK_REGIONAL_PAGES=f"north-west={NORTH}",
        **{f"FACEBOOK_PAGE_ACCESS_TOKEN_{NORTH}": TOKENS[NORTH]},
        FACEBOOK_GRAPH_URL=fakes.facebook.url,
        **env,
    )
