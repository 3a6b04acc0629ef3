"""Variables that look like settings but are not one are named, with the likely setting."""

from __future__ import annotations

import difflib

import pytest

from bot.core.setting_names import misspelt


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("APPEAL_FEED_URL", "APPEALS_FEED_URL"),
        ("POST_SLOT", "POST_SLOTS"),
        ("POSTS_PER_SLOTS", "POSTS_PER_SLOT"),
        ("TIME_ZONE", "TIMEZONE"),
        ("FACEBOOK_PAGE_TOKEN", "FACEBOOK_PAGE_ACCESS_TOKEN"),
    ],
)
def test_a_typo_in_the_settings_file_names_the_setting_meant(name: str, meant: str) -> None:
    (line,) = misspelt([name], [])
    assert line.startswith(f"warning: {name} in the settings file")
    assert line.endswith(f"did you mean {meant}?")


def test_a_typo_in_the_environment_is_named_too() -> None:
    (line,) = misspelt([], ["APPEALS_FEED_URLS"])
    assert "APPEALS_FEED_URLS in the environment" in line and "APPEALS_FEED_URL?" in line


def test_an_unknown_name_with_our_prefix_is_named_without_a_guess() -> None:
    (line,) = misspelt([], ["FACEBOOK_SOMETHING_ELSE"])
    assert "FACEBOOK_SOMETHING_ELSE" in line and "ignored" in line


def test_other_programs_variables_are_left_alone() -> None:
    assert misspelt([], ["PATH", "HOME", "IS_SANDBOX", "X_DISPLAY", "LOG_DIR", "LANG"]) == []


def test_settings_and_page_tokens_are_not_typos() -> None:
    names = ["APPEALS_FEED_URL", "POST_SLOTS", "FACEBOOK_PAGE_ACCESS_TOKEN_1234567890"]
    assert misspelt(names, names) == []


def test_anything_unknown_in_the_settings_file_is_named() -> None:
    (line,) = misspelt(["COLOUR"], [])
    assert "COLOUR in the settings file is not an appeal-bot setting" in line


def test_another_programs_name_is_named_only_when_very_close_to_a_setting() -> None:
    """In the environment a name without our prefix needs difflib's 0.9; in the settings file
    0.8 will do (POSTSLOT is 0.89 from POST_SLOTS, TIMEZONES 0.94 from TIMEZONE)."""
    assert difflib.SequenceMatcher(None, "POSTSLOT", "POST_SLOTS").ratio() < 0.9
    assert misspelt([], ["POSTSLOT"]) == []
    (line,) = misspelt(["POSTSLOT"], [])
    assert line.endswith("did you mean POST_SLOTS?")
    (line,) = misspelt([], ["TIMEZONES"])
    assert line == (
        "warning: TIMEZONES in the environment is not an appeal-bot setting; did you mean TIMEZONE?"
    )
