"""The command line, in process: ``bot.cli.main([...])`` with the environment a user would set.

Every command has help and a README entry (sqlite-utils' ``test_docs`` habit); the JSON outputs
carry the fields scripts rely on; filters filter; errors are one line on stderr and a non-zero
exit; ``check-credentials`` tells working credentials from refused ones, on the fakes.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import COMMANDS, main
from bot.cli.main import build_parser
from bot.core import db as db_module
from bot.core import events
from bot.core.clock import utcnow
from bot.core.db import open_db
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.x_server import FakeX
from bot.posts.queue import store_item
from tests.cli.conftest import Cli, Result
from tests.factories import make_item
from tests.live_fakes import live_env

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SAMPLE_FEED = ROOT / "bot" / "data" / "sample_appeals.xml"


def assert_one_error_line(result: Result) -> None:
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.err


# --- documentation ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: run_bot.py {command}")
    assert COMMANDS[command].help.split(":")[0] in " ".join(out.split())


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert re.search(rf"`run_bot\.py {re.escape(command)}(?![\w-])", README), (
        f"README.md has no entry `run_bot.py {command}` in its Commands table"
    )


# --- queue and add ---------------------------------------------------------------------------


def add_appeal(cli: Cli, title: str = "Sam Jones, 15, missing from Leeds", *extra: str) -> str:
    result = cli("add", "--title", title, "--link", "https://charity.example/appeals/sam", *extra)
    assert result.code == 0, result.err
    match = re.search(r"queued (\S+) as queue entries ([\d, ]+)", result.out)
    assert match, result.out
    return match.group(1)


def test_add_then_queue_shows_the_post(cli: Cli) -> None:
    assert "the queue is empty" in cli("queue").out
    add_appeal(cli, "Sam Jones, 15, missing from Leeds", "--platforms", "x")

    table = cli("queue")

    assert table.code == 0
    assert "Sam Jones, 15, missing from Leeds" in table.out
    assert "queued" in table.out and "x" in table.out


def test_queue_json_is_an_array_of_posts(cli: Cli) -> None:
    item_id = add_appeal(cli)

    rows = cli("queue", "--json").json()

    assert isinstance(rows, list) and {r["platform"] for r in rows} == {"x", "facebook"}
    for row in rows:
        for key in ("id", "item_id", "kind", "platform", "status", "scheduled_at", "text"):
            assert key in row, key
        assert row["item_id"] == item_id
        assert row["kind"] == "appeal" and row["status"] == "queued"
        assert "Sam Jones" in row["text"]
        assert "https://charity.example/appeals/sam" in row["text"]


def test_queue_filters_by_platform_and_status(cli: Cli) -> None:
    add_appeal(cli)
    assert {r["platform"] for r in cli("queue", "--json", "--platform", "x").json()} == {"x"}
    assert cli("queue", "--json", "--status", "sent").json() == []


@pytest.mark.parametrize("at", ["25:00", "12:60", "2026-02-30 10:00"])
def test_an_impossible_time_is_one_line_on_stderr(cli: Cli, at: str) -> None:
    result = cli("add", "--title", "Sam Jones", "--at", at)
    assert_one_error_line(result)
    assert "--at" in result.err
    assert cli("queue", "--json").json() == []


@pytest.mark.parametrize("option", ["--link", "--image"])
def test_add_refuses_a_link_that_is_not_a_web_address(cli: Cli, option: str) -> None:
    result = cli("add", "--title", "Sam Jones", option, "javascript:alert(1)")
    assert_one_error_line(result)
    assert "https://" in result.err
    assert cli("queue", "--json").json() == []


def test_a_database_locked_past_the_busy_timeout_is_one_line_on_stderr(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the write lock past the busy timeout (10 s; 1 s here, since
    what is tested is what comes after it): say so, no traceback."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 1_000)
    assert cli("queue").code == 0  # creates the database
    holder = open_db(tmp_path / "cli.db")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("add", "--title", "Sam Jones")
    finally:
        holder.execute("ROLLBACK")
    assert_one_error_line(result)
    assert "locked" in result.err and "try again" in result.err


def test_web_on_a_port_already_in_use_is_one_line_on_stderr(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    # Not the sandbox's warning that another process (a test run beside this one) holds its
    # fixed ports: that is a log line of its own, not part of this error.
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("web", "--host", "127.0.0.1", "--port", str(port))
    assert_one_error_line(result)
    assert f"127.0.0.1:{port}" in result.err


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_web_refuses_a_port_outside_1_to_65535(cli: Cli, port: str) -> None:
    result = cli("web", "--host", "127.0.0.1", "--port", port)
    assert result.code == 2
    assert_one_error_line(result)
    assert "--port" in result.err and "1 to 65535" in result.err


def test_a_bad_template_stops_fetch_with_one_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPEALS_FEED_URL", SAMPLE_FEED.as_uri())
    monkeypatch.setenv("X_TEMPLATE", "{nope} {title}")
    result = cli("fetch")
    assert result.code == 2
    assert_one_error_line(result)
    assert "X_TEMPLATE: template '{nope} {title}' has unknown placeholder {nope}" in result.err


def test_queue_status_takes_spaces_and_refuses_an_unknown_status(cli: Cli) -> None:
    add_appeal(cli)
    assert len(cli("queue", "--json", "--status", "sent, queued").json()) == 2
    result = cli("queue", "--status", "qeued")
    assert_one_error_line(result)
    assert "qeued" in result.err and "queued" in result.err


# --- log ---------------------------------------------------------------------------------------


@pytest.fixture
def logged(cli: Cli, tmp_path: Path) -> Cli:
    """A log with events on both platforms, of several outcomes, over three days, appended in
    time order as the bot appends them."""
    db = open_db(tmp_path / "cli.db")
    now = utcnow()
    rows = [
        ("send", "sent", "x", now - timedelta(hours=1)),
        ("send", "failed", "x", now - timedelta(hours=2)),
        ("send", "sent", "facebook", now - timedelta(hours=3)),
        ("send", "retry", "facebook", now - timedelta(days=2)),
        ("send", "failed", "facebook", now - timedelta(days=3)),
    ]
    for action, outcome, platform, at in sorted(rows, key=lambda row: row[3]):
        events.record(db, action, outcome, f"{outcome} on {platform}", platform=platform, now=at)
    db.conn.close()
    return cli


def test_log_json_is_an_array_of_events_newest_first(logged: Cli) -> None:
    rows = logged("log", "--json").json()
    assert isinstance(rows, list) and len(rows) == 5
    for row in rows:
        for key in ("at", "action", "outcome", "detail"):
            assert key in row, key
    assert [r["at"] for r in rows] == sorted((r["at"] for r in rows), reverse=True)


def test_log_filters(logged: Cli) -> None:
    on_x = logged("log", "--json", "--platform", "x").json()
    assert len(on_x) == 2 and {r["platform"] for r in on_x} == {"x"}

    failed = logged("log", "--json", "--status", "failed").json()
    assert len(failed) == 2 and {r["outcome"] for r in failed} == {"failed"}

    recent = logged("log", "--json", "--since", "24h").json()
    assert len(recent) == 3
    assert len(logged("log", "--json", "--since", "30m").json()) == 0
    since_date = (utcnow() - timedelta(days=10)).date().isoformat()
    assert len(logged("log", "--json", "--since", since_date).json()) == 5

    both = logged("log", "--json", "--platform", "facebook", "--status", "failed").json()
    assert [r["detail"] for r in both] == ["failed on facebook"]


def test_since_a_date_means_midnight_in_timezone_not_the_machines(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    machine_zone = os.environ.get("TZ")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("TIMEZONE", "Pacific/Kiritimati")  # UTC+14
    db = open_db(tmp_path / "cli.db")
    # 2026-11-19 12:00 UTC is 2026-11-20 02:00 in Kiritimati: after its midnight.
    at = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    events.record(db, "send", "sent", "after local midnight", platform="x", now=at)
    db.conn.close()
    try:
        rows = cli("log", "--json", "--since", "2026-11-20").json()
        assert [r["detail"] for r in rows] == ["after local midnight"]
        assert cli("log", "--json", "--since", "2026-11-20T03:00").json() == []
    finally:
        if machine_zone is None:
            monkeypatch.delenv("TZ")
        else:
            monkeypatch.setenv("TZ", machine_zone)
        time.tzset()


def test_log_table_shows_the_reason(logged: Cli) -> None:
    result = logged("log", "--platform", "x")
    assert result.code == 0 and "failed on x" in result.out and "facebook" not in result.out


def test_log_refuses_an_unknown_status_like_queue(logged: Cli) -> None:
    result = logged("log", "--status", "nonsense")
    assert result.code == 1
    assert_one_error_line(result)
    assert "'nonsense'" in result.err and "sent, failed, retry" in result.err
    assert result.out == ""


def test_every_outcome_the_bot_records_is_a_known_log_status() -> None:
    """``log --status`` checks against events.OUTCOMES: a new outcome must be listed there."""
    import ast

    recorded = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            position = {"record": 2, "record_post": 3}.get(node.func.attr)
            if position is None or len(node.args) <= position:
                continue
            for value in ast.walk(node.args[position]):
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    recorded.add(value.value)
    assert recorded and recorded <= set(events.OUTCOMES), recorded - set(events.OUTCOMES)


def test_bad_since_is_one_line_on_stderr(cli: Cli) -> None:
    result = cli("log", "--since", "last tuesday")
    assert_one_error_line(result)
    assert "--since" in result.err
    assert result.out == ""


# --- status, fetch ---------------------------------------------------------------------------


READ_ONLY = [
    ("queue",),
    ("queue", "--json"),
    ("status",),
    ("status", "--json"),
    ("log",),
    ("withdrawals",),
    ("stats",),
    ("users", "list"),
    ("approve", "1"),
]


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_read_only_commands_never_create_a_database(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    # Run from the wrong folder, `status` made a new empty appeals.db there and showed an
    # empty bot as if all were well.
    elsewhere = tmp_path / "elsewhere" / "appeals.db"
    elsewhere.parent.mkdir()
    monkeypatch.setenv("DATABASE_PATH", str(elsewhere))
    result = cli(*command)
    assert_one_error_line(result)
    assert f"no database at {elsewhere}" in result.err
    assert list(elsewhere.parent.iterdir()) == []


def test_status_prints_feeds_and_platforms(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPEALS_FEED_URL", SAMPLE_FEED.as_uri())
    assert "none polled yet" in cli("status").out
    assert cli("fetch").code == 0

    result = cli("status")

    assert result.code == 0
    feeds, _, platforms = result.out.partition("Platforms")
    assert feeds.startswith("Feeds") and "sample_appeals.xml" in feeds
    assert re.search(r"^x\s+yes\s+sandbox", platforms, re.M)
    assert re.search(r"^facebook\s+yes\s+sandbox", platforms, re.M)
    as_json = cli("status", "--json").json()
    assert [f["url"] for f in as_json["feeds"]] == [SAMPLE_FEED.as_uri()]
    assert as_json["feeds"][0]["entries"] > 0
    assert [p["platform"] for p in as_json["platforms"]] == ["x", "facebook", "bluesky", "mastodon"]
    assert {p["platform"] for p in as_json["platforms"] if p["enabled"]} == {"x", "facebook"}
    assert re.search(r"^bluesky\s+no\s+sandbox", platforms, re.M)


# --- check-credentials -----------------------------------------------------------------------


def set_live(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, x: FakeX, facebook: FakeFacebook
) -> None:
    for name, value in live_env(tmp_path / "cli.db", x, facebook).items():
        monkeypatch.setenv(name, value)


def test_check_credentials_working(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fakes: tuple[FakeX, FakeFacebook],
) -> None:
    set_live(monkeypatch, tmp_path, *fakes)
    result = cli("check-credentials")
    assert result.code == 0, result.out
    assert "x (live): working, signed in as @charity" in result.out
    assert "facebook (live): working, signed in as Charity Page" in result.out


@pytest.mark.parametrize(
    ("variable", "platform"), [("X_ACCESS_TOKEN", "x"), ("FACEBOOK_PAGE_ACCESS_TOKEN", "facebook")]
)
def test_check_credentials_with_a_wrong_token(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fakes: tuple[FakeX, FakeFacebook],
    variable: str,
    platform: str,
) -> None:
    set_live(monkeypatch, tmp_path, *fakes)
    monkeypatch.setenv(variable, "a-token-that-was-revoked")

    result = cli("check-credentials")

    assert result.code == 1
    lines = result.out.strip().splitlines()
    refused = [line for line in lines if "NOT working" in line]
    assert len(refused) == 1
    assert refused[0].startswith(f"{platform} (live): NOT working: ")
    other = "facebook" if platform == "x" else "x"
    assert any(line.startswith(f"{other} (live): working") for line in lines)
    assert "a-token-that-was-revoked" not in result.out + result.err


# --- unknown ids -----------------------------------------------------------------------------


QUEUE_ID_COMMANDS = {
    "approve": (),
    "edit": ("--text", "New text"),
    "reject": (),
}


@pytest.mark.parametrize("command", sorted(QUEUE_ID_COMMANDS))
def test_an_unknown_queue_id_is_one_line_on_stderr(cli: Cli, command: str) -> None:
    if command not in COMMANDS:
        pytest.skip(f"no {command} command")
    add_appeal(cli)
    result = cli(command, "999999", *QUEUE_ID_COMMANDS[command])
    assert_one_error_line(result)
    assert "999999" in result.err


def test_withdraw_found_says_when_no_thank_you_is_queued(cli: Cli) -> None:
    item_id = add_appeal(cli)
    assert cli("post", "--all").code == 0
    result = cli("withdraw", item_id, "--reason", "found safe and well", "--found")
    assert result.code == 0, result.err
    assert "no thank-you update: FOUND_THANKS is off" in result.out
    assert "2 posts taken down" in result.out


def test_withdraw_found_with_found_thanks_on_queues_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOUND_THANKS", "1")
    item_id = add_appeal(cli)
    assert cli("post", "--all").code == 0
    result = cli("withdraw", item_id, "--reason", "found safe and well", "--found")
    assert "thank-you update queued (2 posts)" in result.out
    assert "no thank-you" not in result.out


def test_post_says_what_failed_and_exits_1(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fakes: tuple[FakeX, FakeFacebook],
) -> None:
    from bot.fakes.base import Fault
    from bot.fakes.x_server import invalid_request

    x, facebook = fakes
    set_live(monkeypatch, tmp_path, x, facebook)
    add_appeal(cli, "Sam Jones, 15, missing from Leeds")
    add_appeal(cli, "Jo Bloggs, 16, missing from York")
    refusal = invalid_request("The text is not allowed.")
    x.inject(Fault("refuse", response=refusal, method="POST", path_contains="/2/tweets", times=2))
    try:
        result = cli("post", "--all")
    finally:
        x.reset()
    assert result.code == 1, result.out + result.err
    assert "sent 2 posts: facebook 2" in result.out
    assert "2 posts failed: x 2" in result.out and "log --status failed" in result.out
    assert "{" not in result.out


def test_post_with_nothing_due_says_so(cli: Cli) -> None:
    result = cli("post")
    assert result.code == 0 and result.out.strip() == "sent nothing: no post was due"


def test_post_counts_are_words_not_python(cli: Cli) -> None:
    add_appeal(cli)
    result = cli("post", "--all")
    assert result.code == 0
    assert result.out.strip() == "sent 2 posts: x 1, facebook 1"


def test_stats_of_an_unknown_appeal_is_an_error_with_or_without_plot(
    cli: Cli, tmp_path: Path
) -> None:
    for extra in ((), ("--json",), ("--plot", str(tmp_path / "a.png"))):
        result = cli("stats", "--appeal", "nope", *extra)
        assert result.code == 1
        assert_one_error_line(result)
        assert "no appeal or news item nope" in result.err
        assert result.out == ""


def test_withdrawing_an_unknown_appeal_is_one_line_on_stderr(cli: Cli) -> None:
    result = cli("withdraw", "no-such-appeal", "--reason", "found safe")
    assert_one_error_line(result)
    assert "no-such-appeal" in result.err


def test_a_bad_setting_exits_2_naming_the_variable(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTS_PER_SLOT", "lots")
    result = cli("queue")
    assert result.code == 2
    assert_one_error_line(result)
    assert "POSTS_PER_SLOT" in result.err


@pytest.mark.parametrize(
    "args", [("queue", "--nope"), ("nosuch",), ("add", "--kind", "video", "--title", "Sam")]
)
def test_a_mistyped_command_or_option_is_one_line_and_exit_2(
    cli: Cli, args: tuple[str, ...]
) -> None:
    result = cli(*args)
    assert_one_error_line(result)
    assert result.code == 2 and "--help" in result.err


def test_times_inside_log_details_are_shown_in_local_time(cli: Cli, tmp_path: Path) -> None:
    # The bot stores "next try <UTC time>"; the comms team reads TIMEZONE (London: BST here).
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.core import events
    from bot.core.clock import local_times_in, to_iso

    retry = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert cli("queue").code == 0  # creates the database
    db = open_db(tmp_path / "cli.db")
    events.record(db, "send", "retry", f"X is down; next try {to_iso(retry)}", platform="x")
    out = cli("log").out
    assert "next try 2026-07-01 13:00" in out and to_iso(retry) not in out
    assert cli("log", "--json").json()[0]["detail"].endswith(to_iso(retry))  # stored as is
    assert local_times_in("no time here", ZoneInfo("Europe/London")) == "no time here"


def test_add_notes_a_time_in_the_past_and_a_photo_without_alt_text(cli: Cli) -> None:
    result = cli(
        "add", "--title", "Sam Jones", "--at", "2020-01-01 10:00",
        "--image", "https://charity.example/sam.jpg",
    )  # fmt: skip
    assert result.code == 0
    assert "note: That time has already passed" in result.out
    assert "note: The photo has no description (alt text)" in result.out
    quiet = cli("add", "--title", "Jo Bloggs", "--image", "https://x.example/j.jpg", "--alt", "Jo")
    assert "note:" not in quiet.out


@pytest.mark.parametrize(
    "item_id",
    ["https://charity.example/appeals/7", "appeals?id=7#top", "appeal 7", "Zoë/ünïcode//x"],
)
def test_withdraw_takes_any_id_a_feed_can_give(cli: Cli, tmp_path: Path, item_id: str) -> None:
    """Issue 11 item 6: an RSS guid is a URL by default; the CLI takes it as it is."""
    db = open_db(tmp_path / "cli.db")
    store_item(db, make_item(1, id=item_id), utcnow())
    db.conn.close()
    result = cli("withdraw", item_id, "--reason", "found safe and well")
    assert result.code == 0, result.err
    db = open_db(tmp_path / "cli.db")
    assert db.execute("SELECT closed_at FROM items WHERE id = ?", [item_id]).fetchone()[0]


# --- listings that page ----------------------------------------------------------------------
def test_log_pages_with_limit_and_offset_and_streams_compact_json(logged: Cli) -> None:
    everything = logged("log", "--json").json()
    pages = [logged("log", "--json", "--limit", "2", "--offset", str(n)) for n in (0, 2, 4)]
    assert [row for page in pages for row in page.json()] == everything
    assert len(pages[0].out.splitlines()) == 2  # one row a line, no indent
    assert "\n  " not in pages[0].out
    pretty = logged("log", "--json", "--pretty", "--limit", "2")
    assert pretty.json() == pages[0].json() and "\n  " in pretty.out
    assert logged("log", "--json", "--offset", "9").json() == []


def test_queue_and_withdrawals_page_too(cli: Cli) -> None:
    add_appeal(cli)
    everything = cli("queue", "--json").json()
    first, second = (cli("queue", "--json", "--limit", "1", "--offset", str(n)) for n in (0, 1))
    assert first.json() + second.json() == everything
    assert cli("withdrawals", "--json", "--limit", "1", "--offset", "5").json() == []


def paged_commands() -> list[str]:
    """Every command whose arguments include --limit (found in the parser, not listed here, so
    a listing added later is checked too)."""
    sub = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    return sorted(
        name
        for name, parser in sub.choices.items()
        if any("--limit" in action.option_strings for action in parser._actions)
    )


def test_the_paged_commands_are_found() -> None:
    assert {"log", "queue", "withdrawals", "stats"} <= set(paged_commands())


@pytest.mark.parametrize("option", ["--limit", "--offset"])
@pytest.mark.parametrize("command", paged_commands())
def test_a_negative_page_bound_is_one_line(logged: Cli, command: str, option: str) -> None:
    refused = logged(command, option, "-1")
    assert refused.code == 1 and f"{option} must be 0 or more, got -1" in refused.err
    assert_one_error_line(refused)
    assert refused.out == ""


@pytest.mark.parametrize("option", ["--limit", "--offset"])
@pytest.mark.parametrize("command", paged_commands())
def test_a_page_bound_past_what_sqlite_counts_is_one_line(
    logged: Cli, command: str, option: str
) -> None:
    # SQLite's integers stop at 2**63 - 1: a bigger bound was once a traceback.
    refused = logged(command, option, str(2**63))
    assert refused.code == 1 and f"{option} must be at most {2**63 - 1}" in refused.err
    assert_one_error_line(refused)


@pytest.mark.parametrize("command", paged_commands())
def test_pretty_without_json_is_one_line(logged: Cli, command: str) -> None:
    # Once silently ignored: the operator thought the output was indented JSON.
    refused = logged(command, "--pretty")
    assert refused.code == 1 and "--pretty indents --json" in refused.err
    assert_one_error_line(refused)


@pytest.mark.parametrize("paging", [("--limit", "0"), ("--offset", "1000")])
@pytest.mark.parametrize("command", paged_commands())
def test_an_empty_page_is_not_called_an_empty_history(
    logged: Cli, command: str, paging: tuple[str, str]
) -> None:
    # `queue --limit 0` once said "the queue is empty" of a full queue.
    withdrawn = logged("withdraw", add_appeal(logged), "--reason", "found safe")
    assert withdrawn.code == 0, withdrawn.err
    shown = logged(command, *paging)
    assert shown.code == 0, shown.err
    assert f"no rows on this page ({' '.join(paging)})" in shown.out
    for claim in ("empty", "no appeal has been withdrawn", "nothing posted yet"):
        assert claim not in shown.out
