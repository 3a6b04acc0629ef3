from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ConfigError
from bot.settings import VARIABLES, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_need_no_credentials_and_choose_the_sandbox() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.sandbox is True
    assert settings.database_path == Path("appeals.db")
    assert settings.timezone.key == "Europe/London"
    assert settings.platforms == ("x", "facebook")


def test_credentials_switch_the_default_to_live() -> None:
    env = {"FACEBOOK_PAGE_ID": "42", "FACEBOOK_PAGE_ACCESS_TOKEN": "tok"}
    assert load_settings(env, env_file=None).sandbox is False


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("POST_SLOTS", "9am", "'9am' is not a time"),
        ("POSTS_PER_SLOT", "two", "expected a whole number"),
        ("TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("PLATFORMS", "x,myspace", "unknown platform 'myspace'"),
        ("APPEALS_FEED_URL", "ftp://x/feed", "is not an http(s):// or file:// URL"),
        ("SANDBOX", "maybe", "expected 1 or 0"),
        ("FEED_POLL_MINUTES", "0", "must be at least 1"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, env_file=None)
    assert caught.value.variable == name
    assert words in str(caught.value)


def test_half_set_x_credentials_are_refused() -> None:
    with pytest.raises(ConfigError, match="X_ACCESS_TOKEN"):
        load_settings({"X_API_KEY": "a", "X_API_SECRET": "b"}, env_file=None)


def test_env_file_is_read_but_never_overrides_the_environment(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("POSTS_PER_SLOT=5\nTIMEZONE=Europe/Dublin\n")
    settings = load_settings({"TIMEZONE": "UTC"}, env_file=env_file)
    assert settings.posts_per_slot == 5
    assert settings.timezone.key == "UTC"


def test_cli_exits_2_with_one_line_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POST_SLOTS", "25:99")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "x.db"))
    assert main(["--env-file", str(tmp_path / "none"), "queue"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "POST_SLOTS" in err


def test_secrets_stay_out_of_repr() -> None:
    settings = load_settings(
        {
            "X_API_KEY": "k1",
            "X_API_SECRET": "s3cr3t-value",
            "X_ACCESS_TOKEN": "t1",
            "X_ACCESS_TOKEN_SECRET": "ts-value",
        },
        env_file=None,
    )
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" in settings.secrets()


def test_every_variable_is_in_the_example_file_and_the_readme() -> None:
    example = (ROOT / "config.example.env").read_text()
    readme = (ROOT / "README.md").read_text()
    for variable in VARIABLES:
        assert f"{variable.name}=" in example, variable.name
        assert f"`{variable.name}`" in readme, variable.name
