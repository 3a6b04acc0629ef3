import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.cli import main
from bot.core.db import open_db
from bot.core.errors import ConfigError
from bot.core.settings import VARIABLES, Variable, load_settings

ROOT = Path(__file__).resolve().parents[2]


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
        ("WEB_PORT", "99999", "from 1 to 65535, got 99999"),
        ("WEB_PORT", "0", "from 1 to 65535, got 0"),
        ("UTM_CAMPAIGN", "appeal-{ID}", "unknown placeholder {ID}; the only one is {id}"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, env_file=None)
    assert caught.value.variable == name
    assert words in str(caught.value)


def test_utm_campaign_takes_id_and_plain_text() -> None:
    for value in ("appeal-{id}", "winter-appeal", "{id}-2026"):
        assert load_settings({"UTM_CAMPAIGN": value}, env_file=None).utm_campaign == value


def test_half_set_x_credentials_are_refused() -> None:
    with pytest.raises(ConfigError, match="X_ACCESS_TOKEN"):
        load_settings({"X_API_KEY": "a", "X_API_SECRET": "b"}, env_file=None)


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ("FACEBOOK_PAGE_ID", "FACEBOOK_PAGE_ACCESS_TOKEN"),
        ("FACEBOOK_PAGE_ACCESS_TOKEN", "FACEBOOK_PAGE_ID"),
    ],
)
def test_half_set_facebook_page_names_both_variables(given: str, missing: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({given: "42"}, env_file=None)
    assert caught.value.variable == missing
    assert given in caught.value.problem


@pytest.mark.parametrize("name", ["X_TEMPLATE", "FACEBOOK_TEMPLATE"])
def test_a_template_with_an_unknown_placeholder_is_refused_on_load(name: str) -> None:
    """Caught at start, not at the first compose (a traceback in `fetch`, every poll in `run`)."""
    with pytest.raises(ConfigError) as caught:
        load_settings({name: "{nope} {title}"}, env_file=None)
    assert caught.value.variable == name
    message = str(caught.value)
    assert "unknown placeholder {nope}" in message and "{hashtags}" in message
    assert "\n" not in message


def test_a_malformed_template_is_refused_on_load() -> None:
    with pytest.raises(ConfigError, match=re.escape("X_TEMPLATE: template '{title' is malformed")):
        load_settings({"X_TEMPLATE": "{title"}, env_file=None)


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
    empty = tmp_path / "empty.env"
    empty.write_text("")
    assert main(["--env-file", str(empty), "queue"]) == 2
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


def test_an_env_file_given_but_missing_exits_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "x.db"))
    missing = tmp_path / "nonexistent.env"
    assert main(["--env-file", str(missing), "queue"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--env-file" in err and str(missing) in err
    assert not (tmp_path / "x.db").exists()


def test_the_default_env_file_may_be_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "x.db"))
    open_db(tmp_path / "x.db").conn.close()
    assert main(["queue"]) == 0
    assert capsys.readouterr().err == ""


def _example_assignments() -> list[tuple[str, str]]:
    """Every ``NAME=value`` line of config.example.env, commented-out examples included."""
    names = {variable.name for variable in VARIABLES}
    lines = []
    for line in (ROOT / "config.example.env").read_text().splitlines():
        text = line.removeprefix("#").strip().removeprefix("e.g.").strip()
        name, sep, _ = text.partition("=")
        if sep and name in names:
            lines.append((name, text))
    return lines


def test_example_values_survive_dotenv_whole(tmp_path: Path) -> None:
    """python-dotenv cuts an unquoted value at " #": every example must be quoted so that
    copying it into .env gives the whole value."""
    checked = []
    for name, line in _example_assignments():
        raw = line.partition("=")[2]
        meant = raw[1:-1] if raw[:1] == raw[-1:] == '"' else raw
        env_file = tmp_path / "one.env"
        env_file.write_text(line + "\n")
        assert dotenv_values(env_file)[name] == meant.replace("\\n", "\n"), line
        checked.append((name, meant))
    several = {name for name, meant in checked if " #" in meant}
    assert {"APPEAL_HASHTAGS", "REGION_HASHTAGS"} <= several


def test_the_readme_says_to_quote_values_with_a_hash() -> None:
    readme = (ROOT / "README.md").read_text()
    configuration = readme.partition("## Configuration")[2].partition("\n## ")[0]
    assert 'APPEAL_HASHTAGS="#missing #help"' in configuration
    assert "must be quoted" in configuration


@pytest.mark.parametrize(
    ("name", "field", "meaning"),
    [
        ("REAPPEAL_DAYS", "reappeal_days", ()),
        ("APPEAL_HASHTAGS", "appeal_hashtags", ()),
        ("URGENT_PREFIX", "urgent_prefix", ""),
    ],
)
def test_an_empty_value_means_what_the_readme_says(name: str, field: str, meaning: object) -> None:
    """REAPPEAL_DAYS="" is documented as never; it was read as the default 7,30, which queued
    a re-appeal of every open appeal on a grown database at start."""
    settings = load_settings({name: ""}, env_file=None)
    assert getattr(settings, field) == meaning


def test_an_empty_value_in_the_env_file_means_the_same(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("REAPPEAL_DAYS=\nPOST_SLOTS=\n")
    settings = load_settings({}, env_file=env)
    assert settings.reappeal_days == ()
    assert settings.post_slots == load_settings({}, env_file=None).post_slots


@pytest.mark.parametrize("variable", [v for v in VARIABLES if v.default], ids=lambda v: v.name)
def test_an_empty_value_elsewhere_means_the_default(variable: Variable) -> None:
    if variable.empty is not None:
        pytest.skip(f"{variable.name}: empty means {variable.empty}")
    blank = load_settings({variable.name: "  "}, env_file=None)
    assert blank == load_settings({}, env_file=None)


def test_every_empty_meaning_is_documented_in_all_three_places() -> None:
    example = (ROOT / "config.example.env").read_text()
    readme = (ROOT / "README.md").read_text()
    for variable in VARIABLES:
        says = f"empty = {variable.empty}"
        if variable.empty is None:
            assert "empty =" not in variable.help, variable.name
            continue
        assert says in variable.help, variable.name
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{variable.name}`"))
        assert says in row, variable.name
        assert f"# {variable.help}" in example, variable.name


@pytest.mark.parametrize(
    ("name", "value"),
    [("METRICS_SCHEDULE", "1h,²d"), ("METRICS_SCHEDULE", "①h"), ("FACEBOOK_API_VERSION", "v²⁴.0")],
)
def test_a_number_in_digits_int_refuses_is_a_config_error(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, env_file=None)
    assert name in str(caught.value)
