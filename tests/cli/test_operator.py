"""The command line an operator trusts: ids you can use, typos caught, JSON, pipes that work.

Each test stands for one kind of fault an operator met (issue 19); the in-process ``cli``
fixture of test_commands runs ``main`` with a clean environment.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli import COMMANDS, build_parser
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.x_server import FakeX
from tests.cli.conftest import Cli
from tests.cli.test_commands import ROOT, add_appeal, assert_one_error_line, set_live

README = (ROOT / "README.md").read_text(encoding="utf-8")


# --- 1. ids you can use --------------------------------------------------------------------


def test_the_queue_table_shows_the_appeal_id_that_withdraw_takes(cli: Cli) -> None:
    item_id = add_appeal(cli, "Sam Jones, 15, missing from Leeds", "--platforms", "x")
    table = cli("queue").out
    assert item_id in table and "appeal" in table.splitlines()[0]
    assert "Sam Jones" in table
    assert cli("withdraw", item_id, "--reason", "found safe and well").code == 0


def test_withdrawals_show_names_beside_ids(cli: Cli) -> None:
    item_id = add_appeal(cli, "Ada Lovelace, 15, missing from London")
    cli("withdraw", item_id, "--reason", "found safe and well")
    listing = cli("withdrawals").out
    assert item_id in listing and "Ada Lovelace" in listing


# --- 2. typos and wrong folders ------------------------------------------------------------


def test_a_mistyped_setting_in_the_settings_file_is_named(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "typo.env"
    env.write_text("APPEAL_FEED_URL=https://charity.example/feed\nPOST_SLOT=09:00\n")
    result = cli("--env-file", str(env), "status")
    assert "APPEAL_FEED_URL in the settings file" in result.err
    assert "did you mean APPEALS_FEED_URL?" in result.err
    assert "did you mean POST_SLOTS?" in result.err


def test_the_settings_file_is_read_once_for_the_settings_and_the_typo_check(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dotenv

    from bot.core import settings as settings_module

    reads: list[str] = []
    real = dotenv.dotenv_values

    def counted(path: str, *args: Any, **kwargs: Any) -> dict[str, str | None]:
        reads.append(str(path))
        return real(path, *args, **kwargs)

    for module in (dotenv, settings_module):  # wherever a command might read it from
        monkeypatch.setattr(module, "dotenv_values", counted)
    env = tmp_path / "typo.env"
    env.write_text("APPEAL_FEED_URL=https://charity.example/feed\nPOSTS_PER_SLOT=3\n")
    result = cli("--env-file", str(env), "schedule", "--json")
    assert result.code == 0, result.err
    assert result.json()["per_slot"] == 3  # the settings saw the file
    assert "did you mean APPEALS_FEED_URL?" in result.err  # and so did the check
    assert reads == [str(env)]


def test_status_and_run_agree_that_live_mode_needs_credentials(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDBOX", "0")
    status = cli("status", "--json").json()
    x = next(p for p in status["platforms"] if p["platform"] == "x")
    assert x["mode"] == "live" and x["not_ready"] and "X_API_KEY" in x["not_ready"]
    table = cli("status").out
    assert "NOT READY" in table and "live" in table
    refused = cli("post")
    assert_one_error_line(refused)
    assert "credentials" in refused.err


# --- 3. pipes and exits --------------------------------------------------------------------


class ClosedPipe(io.StringIO):
    """A stdout whose reader has gone: every write fails as a closed pipe does."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def _json_commands() -> list[list[str]]:
    """Every command (and ``users list``) that takes --json, with what else it needs."""
    parser = build_parser()
    found = []
    for name in COMMANDS:
        argv = [name, "users list"][0:1] if name != "users" else ["users", "list"]
        try:
            parser.parse_args([*argv, "--json", *_required(name)])
        except SystemExit:
            continue
        found.append([*argv, "--json", *_required(name)])
    return found


def _required(name: str) -> list[str]:
    return {"withdraw": ["nope", "--reason", "r"], "approve": ["1"]}.get(name, [])


def test_every_listing_command_that_should_has_json() -> None:
    commands = {argv[0] for argv in _json_commands()}
    wanted = {"post", "metrics", "check-credentials", "users", "withdraw", "fetch", "queue"}
    wanted |= {"log", "status", "withdrawals", "stats"}
    assert wanted <= commands


@pytest.mark.parametrize("argv", [[name, "--help"] for name in COMMANDS] + [["--help"]])
def test_help_into_a_closed_pipe_exits_quietly(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(argv) in (0, 141)
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("argv", _json_commands(), ids=" ".join)
def test_json_into_a_closed_pipe_exits_quietly(
    cli: Cli, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code in (0, 1, 141)


def test_a_real_closed_pipe_leaves_no_traceback(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_PATH": str(tmp_path / "p.db")}
    for argv in (["--help"], ["users", "add", "sam", "--role", "viewer", "--password-stdin"]):
        run = subprocess.run(
            [sys.executable, str(ROOT / "run_bot.py"), "--env-file", os.devnull, *argv],
            input="a long enough password\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stderr
    # The reader closes its end before the bot writes a byte.
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run_bot.py"), "--env-file", os.devnull, "users", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 141)
    assert "Traceback" not in err and "BrokenPipeError" not in err


@pytest.mark.parametrize(
    "argv", [["--help"], ["health", "--json"], ["stats", "--csv"], ["queue"]], ids=" ".join
)
def test_a_closed_stdout_leaves_no_traceback(
    cli: Cli, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run with stdout closed (``>&-`` in a cron line), Python's sys.stdout is None: the command
    still runs and keeps its exit code (health's is what a monitor reads); nothing crashes."""
    monkeypatch.setattr(sys, "stdout", None)
    result = cli(*argv)
    assert "Traceback" not in result.err and "Error" not in result.err, result.err
    assert result.code in (0, 1)


def test_a_closed_stdin_is_no_password(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    result = cli("users", "add", "sam", "--role", "viewer", "--password-stdin")
    assert_one_error_line(result)
    assert cli("users", "list", "--json").json() == []


def test_real_closed_descriptors_leave_no_traceback(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_PATH": str(tmp_path / "c.db")}
    bot = f"{sys.executable} {ROOT / 'run_bot.py'} --env-file {os.devnull}"
    for line, codes in (
        (f"{bot} --help >&-", (0,)),
        (f"{bot} health >&-", (1,)),  # no daemon: health's exit code survives
        (f"{bot} users add sam --role viewer --password-stdin <&-", (1,)),
    ):
        run = subprocess.run(
            ["sh", "-c", line], capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert run.returncode in codes, (line, run.stderr)
        assert "Traceback" not in run.stderr, (line, run.stderr)


# --- 4. JSON everywhere --------------------------------------------------------------------


def test_post_json_shape(cli: Cli) -> None:
    add_appeal(cli)
    result = cli("post", "--all", "--json")
    shape = result.json()
    assert set(shape) >= {"sent", "failed", "retried", "skipped", "summary"}
    assert shape["sent"] == {"x": 1, "facebook": 1}
    assert shape["summary"][0].startswith("sent 2 posts")


def test_withdraw_json_shape(cli: Cli) -> None:
    item_id = add_appeal(cli)
    cli("post", "--all")
    shape = cli("withdraw", item_id, "--reason", "found safe and well", "--json").json()
    assert shape["item_id"] == item_id and shape["title"].startswith("Sam Jones")
    assert shape["affected"] == 2 and shape["already_withdrawn_at"] is None
    assert set(shape) >= {"deleted_now", "pending", "thanks", "already_withdrawn_reason"}


def test_users_list_json_shape(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert cli("users", "add", "sam", "--role", "viewer", "--password-stdin").code == 0
    (user,) = cli("users", "list", "--json").json()
    assert user["name"] == "sam" and user["role"] == "viewer"
    assert set(user) == {"name", "role", "created_at", "last_login_at"}
    assert "password" not in json.dumps(user)


def test_check_credentials_json_shape(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fakes: tuple[FakeX, FakeFacebook],
) -> None:
    set_live(monkeypatch, tmp_path, *fakes)
    monkeypatch.setenv("X_ACCESS_TOKEN", "a-token-that-was-revoked")
    result = cli("check-credentials", "--json")
    assert result.code == 1
    by_platform = {row["platform"]: row for row in result.json()}
    assert by_platform["facebook"]["working"] is True
    assert by_platform["x"]["working"] is False and by_platform["x"]["error"]
    assert "a-token-that-was-revoked" not in result.out


def test_metrics_json_shape(cli: Cli) -> None:
    result = cli("metrics", "--json")
    if result.code != 0 and not result.out:
        # No sandbox of this database is running: refused in one line, as the text output is.
        assert_one_error_line(result)
        return
    shape = result.json()
    assert set(shape) >= {"taken", "gone", "deferred", "stopped", "summary"}


# --- 5. words that are true ----------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_withdraw_needs_a_reason(cli: Cli, reason: str) -> None:
    item_id = add_appeal(cli)
    result = cli("withdraw", item_id, "--reason", reason)
    assert_one_error_line(result)
    assert "--reason" in result.err
    assert cli("queue", "--json").json()[0]["status"] == "queued"


def test_withdrawing_twice_says_it_was_already_withdrawn(cli: Cli) -> None:
    item_id = add_appeal(cli)
    assert cli("withdraw", item_id, "--reason", "family's wish").code == 0
    again = cli("withdraw", item_id, "--reason", "found safe and well")
    assert again.code == 0
    assert "already withdrawn on" in again.out and "family's wish" in again.out
    assert "withdrew" not in again.out


def test_add_names_what_is_not_a_platform(cli: Cli) -> None:
    result = cli("add", "--title", "Sam Jones", "--platforms", "twitter")
    assert_one_error_line(result)
    assert "'twitter' is not a platform name" in result.err and "x, facebook" in result.err


# --- the README's commands table, both ways ------------------------------------------------


def _readme_commands() -> dict[str, str]:
    """Each `run_bot.py NAME …` row of the Commands table: its name and its usage text."""
    rows: dict[str, str] = {}
    for line in README.splitlines():
        if line.startswith("| `run_bot.py "):
            first_cell = line.split(" | ")[0]
            for span in first_cell.split("`")[1::2]:
                usage = span.removeprefix("run_bot.py ").strip()
                rows[usage.split()[0]] = rows.get(usage.split()[0], "") + " " + usage
    return rows


def test_every_documented_command_exists() -> None:
    documented = set(_readme_commands()) - {"--help"}
    assert documented <= set(COMMANDS)


def test_every_documented_option_exists() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and "run" in a.choices)
    for name, usage in _readme_commands().items():
        if name not in COMMANDS:
            continue
        sub = subparsers.choices[name]
        known = {opt for action in sub._actions for opt in action.option_strings}
        for nested in [a for a in sub._actions if a.choices and isinstance(a.choices, dict)]:
            for child in nested.choices.values():
                known |= {opt for action in child._actions for opt in action.option_strings}
        for word in (
            usage.replace("\\", " ").replace("[", " ").replace("]", " ").replace("|", " ").split()
        ):
            if word.startswith("--"):
                assert word.split("=")[0] in known, f"README documents {name} {word}"


def test_every_option_is_documented() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and "run" in a.choices)
    documented = _readme_commands()
    for name, sub in subparsers.choices.items():
        nested = [a for a in sub._actions if a.choices and isinstance(a.choices, dict)]
        actions = [
            *sub._actions,
            *(a for n in nested for c in n.choices.values() for a in c._actions),
        ]
        for action in actions:
            for option in action.option_strings:
                if option in ("-h", "--help"):
                    continue
                assert option in documented.get(name, ""), (
                    f"`run_bot.py {name} {option}` is not in the README's Commands table"
                )
