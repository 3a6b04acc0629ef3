"""The built-in sandbox: one per machine, shared by the daemon, the dashboard and each command."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from bot.cli import main
from bot.core.db import open_db
from bot.platforms import build_publishers
from bot.platforms.base import PostRequest
from bot.runtime import start_runtime
from bot.sandbox import (
    SANDBOX_FACEBOOK_PORT,
    SANDBOX_FEED_PORT,
    SANDBOX_X_PORT,
    Sandbox,
    sandbox_key,
)
from bot.status import gather_status
from tests.factories import make_settings

PORTS = (SANDBOX_FEED_PORT, SANDBOX_X_PORT, SANDBOX_FACEBOOK_PORT)


def _free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(autouse=True)
def _sandbox_ports_free() -> None:
    busy = [port for port in PORTS if not _free(port)]
    if busy:
        pytest.skip(f"a sandbox (or something else) already listens on {busy} on this machine")


class _NotOurs(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def stranger_on_the_x_port() -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", SANDBOX_X_PORT), _NotOurs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_the_dashboard_and_the_daemon_share_one_sandbox(tmp_path: Path) -> None:
    # The daemon starts first and serves the sandbox; the dashboard, started next, joins it, so
    # a post it sends now is one the daemon can read share counts of and delete.
    settings = make_settings(tmp_path)
    with start_runtime(settings) as daemon:
        with start_runtime(settings) as dashboard:
            assert daemon.sandbox is not None and dashboard.sandbox is not None
            assert not daemon.sandbox.joined and dashboard.sandbox.joined
            for name in ("x_api_base_url", "facebook_graph_url", "appeals_feed_urls"):
                assert getattr(dashboard.settings, name) == getattr(daemon.settings, name)
            request = PostRequest(post_id=1, text="Sam Jones, 15, missing from Leeds")
            published = dashboard.publishers["x"].publish(request)
            assert published.remote_id in daemon.sandbox.x.posts
        # The dashboard stops: the daemon's sandbox carries on, with the post.
        counts = daemon.publishers["x"].metrics(published.remote_id)
        assert counts.likes >= 0
        feed = requests.get(daemon.settings.appeals_feed_urls[0], timeout=5)
        assert feed.status_code == 200


def test_a_process_that_joined_takes_the_sandbox_over_when_its_server_stops(
    tmp_path: Path,
) -> None:
    # The dashboard started first and served the sandbox; the daemon joined. The dashboard is
    # stopped: the daemon serves the sandbox itself, on the same ports, and posting goes on.
    settings = make_settings(tmp_path)
    daemon = Sandbox(watch_seconds=0.05)
    try:
        with start_runtime(settings) as dashboard:
            daemon.start(share=True, key=sandbox_key(settings.database_path))
            assert daemon.joined and daemon.x_url == dashboard.settings.x_api_base_url
        # The dashboard has stopped.
        deadline = time.monotonic() + 10
        while daemon.joined and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not daemon.joined
        daemon_settings = daemon.configure(settings)
        assert daemon_settings.x_api_base_url == f"http://127.0.0.1:{SANDBOX_X_PORT}"
        publisher = build_publishers(daemon_settings)["x"]
        request = PostRequest(post_id=1, text="Sam Jones, 15, missing from Leeds")
        assert publisher.publish(request).remote_id in daemon.x.posts
        assert requests.get(daemon_settings.appeals_feed_urls[0], timeout=5).status_code == 200
    finally:
        daemon.stop()


def test_a_bot_on_another_database_never_shares_the_sandbox(tmp_path: Path) -> None:
    # Two bots on one machine (or a test beside a running daemon) must never post into, read
    # from or delete in each other's fakes: the same appeal would look like a duplicate of the
    # other's post, and withdrawing it in one would delete the other's.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        start_runtime(make_settings(tmp_path / "a")) as first,
        start_runtime(make_settings(tmp_path / "b")) as second,
    ):
        assert first.sandbox is not None and second.sandbox is not None
        assert not first.sandbox.joined and not second.sandbox.joined
        assert second.settings.x_api_base_url != first.settings.x_api_base_url
        assert second.settings.appeals_feed_urls != first.settings.appeals_feed_urls


def test_something_else_on_a_sandbox_port_is_left_alone(
    tmp_path: Path, stranger_on_the_x_port: None
) -> None:
    with start_runtime(make_settings(tmp_path)) as runtime:
        assert runtime.sandbox is not None and not runtime.sandbox.joined
        assert runtime.settings.x_api_base_url != f"http://127.0.0.1:{SANDBOX_X_PORT}"
        request = PostRequest(post_id=1, text="Sam Jones, 15, missing from Leeds")
        assert runtime.publishers["x"].publish(request).remote_id in runtime.sandbox.x.posts


def test_the_demo_and_tests_keep_a_sandbox_of_their_own(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with start_runtime(settings) as shared, start_runtime(settings, share=False) as own:
        assert own.sandbox is not None and not own.sandbox.joined
        assert own.settings.x_api_base_url != shared.settings.x_api_base_url
        assert own.settings.appeals_feed_urls != shared.settings.appeals_feed_urls


def test_metrics_reads_a_running_sandbox_and_refuses_a_fresh_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "sandbox.env"
    env_file.write_text(f"DATABASE_PATH={tmp_path / 'bot.db'}\nSANDBOX=1\n")
    # Alone, its fakes would know no post and call every one "deleted remotely": refused.
    assert main(["--env-file", str(env_file), "metrics"]) == 1
    assert "no sandbox is running" in capsys.readouterr().err
    daemon_settings = make_settings(tmp_path, DATABASE_PATH=str(tmp_path / "bot.db"))
    with start_runtime(daemon_settings):  # a daemon on the same database, serving the sandbox
        assert main(["--env-file", str(env_file), "metrics"]) == 0
    assert "took 0 readings" in capsys.readouterr().out


def test_another_databases_sandbox_is_named_and_this_one_says_it_runs_its_own(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first_settings, second_settings = make_settings(tmp_path / "a"), make_settings(tmp_path / "b")
    with start_runtime(first_settings), caplog.at_level("WARNING", logger="appeal_bot"):
        with start_runtime(second_settings) as second:
            assert second.sandbox is not None
            assert any("held by another sandbox" in note for note in second.sandbox.notes)
            second.announce_sandbox()  # as the daemon and the dashboard do when they start
            assert "runs its own fake x" in caplog.text
            db = open_db(second_settings.database_path)
            seen = gather_status(db, second_settings, datetime.now(UTC))["sandbox"]
            assert seen["database"] == str(second_settings.database_path.resolve())
            by_kind = {s["kind"]: s["serving"] for s in seen["servers"]}
            assert by_kind["x"] == by_kind["facebook"] == "another database"
        db = open_db(first_settings.database_path)
        mine = gather_status(db, first_settings, datetime.now(UTC))["sandbox"]
        assert {s["serving"] for s in mine["servers"] if s["kind"] in ("x", "facebook")} == {
            "this database"
        }
