"""Settings of the Bluesky and Mastodon platforms: accepted, refused in one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.core.settings import load_settings
from bot.platforms import missing_credentials


def settings(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_settings({"DATABASE_PATH": str(tmp_path / "x.db"), **env}, env_file=None)


def test_platforms_accepts_bluesky_and_mastodon(tmp_path: Path) -> None:
    chosen = settings(tmp_path, PLATFORMS="x, Bluesky ,mastodon,facebook")
    assert chosen.platforms == ("x", "bluesky", "mastodon", "facebook")
    with pytest.raises(ConfigError, match="bluesky, mastodon"):
        settings(tmp_path, PLATFORMS="threads")


def test_credentials_make_it_live_and_each_needs_its_pair(tmp_path: Path) -> None:
    live = settings(
        tmp_path,
        PLATFORMS="bluesky,mastodon",
        BLUESKY_HANDLE="@charity.bsky.social",
        BLUESKY_APP_PASSWORD="pw",
        MASTODON_API_BASE_URL="https://mastodon.example/",
        MASTODON_ACCESS_TOKEN="tok",
        BLUESKY_DAILY_POST_LIMIT="9",
        MASTODON_DAILY_POST_LIMIT="8",
    )
    assert not live.sandbox
    assert live.bluesky_handle == "charity.bsky.social"
    assert live.mastodon_api_base_url == "https://mastodon.example"
    assert (live.daily_limit("bluesky"), live.daily_limit("mastodon")) == (9, 8)
    assert {"pw", "tok"} <= set(live.secrets()) and "pw" not in repr(live)
    assert missing_credentials(live, "bluesky") is None
    with pytest.raises(ConfigError, match="BLUESKY_APP_PASSWORD: is missing"):
        settings(tmp_path, BLUESKY_HANDLE="charity.bsky.social")
    with pytest.raises(ConfigError, match="MASTODON_API_BASE_URL: is missing"):
        settings(tmp_path, MASTODON_ACCESS_TOKEN="tok")


def test_a_live_platform_without_credentials_is_named(tmp_path: Path) -> None:
    chosen = settings(tmp_path, SANDBOX="0", PLATFORMS="bluesky,mastodon")
    assert "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD" in str(missing_credentials(chosen, "bluesky"))
    assert "MASTODON_ACCESS_TOKEN" in str(missing_credentials(chosen, "mastodon"))


@pytest.mark.parametrize("value", ["english", "e", "en_GB", "12"])
def test_post_language_must_be_a_language_code(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="POST_LANGUAGE"):
        settings(tmp_path, POST_LANGUAGE=value)
    assert settings(tmp_path, POST_LANGUAGE="CY").post_language == "cy"


def test_templates_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="BLUESKY_TEMPLATE"):
        settings(tmp_path, BLUESKY_TEMPLATE="{titel}")
    with pytest.raises(ConfigError, match="MASTODON_TEMPLATE"):
        settings(tmp_path, MASTODON_TEMPLATE="{title")
