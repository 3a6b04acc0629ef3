"""Alerts reach a person once per cause, with the fix, and never with a secret.

Apprise sends to a local webhook on 127.0.0.1 (its ``json://`` destination); the causes come from
the real pipeline: the real clients against the fakes, the real poll against a dead feed, the
real withdrawal against a fake that refuses deletes."""

# The fake-server fixtures are imported from the live pipeline's tests, so their names recur as
# test parameters.

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.appeals.withdrawal import process_deletions, withdraw_item
from bot.core.alerts import AppriseNotifier
from bot.core.watch import check_alerts
from bot.fakes.base import FakeResponse, Fault
from bot.fakes.facebook_server import graph_error_response
from bot.platforms.error_table import rule_named
from bot.polling import poll_feeds
from bot.posts.manual import ManualPost, add_manual
from tests.live_fakes import FB_TOKEN, SECRETS, Live, image_site

HOOK_TOKEN = "hook-LEAKCANARY-alerttoken-5e0f"


@dataclass
class Webhook:
    """A local webhook that keeps every alert Apprise posts to it."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [f"{m['title']}\n{m['message']}" for m in self.received]

    def take(self) -> list[str]:
        texts = self.texts()
        self.received.clear()
        return texts


@pytest.fixture(scope="module")
def _hook_server() -> Iterator[Webhook]:
    hook = Webhook("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook.received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    hook.url = f"json://127.0.0.1:{server.server_address[1]}/{HOOK_TOKEN}"
    yield hook
    server.shutdown()
    server.server_close()


@pytest.fixture
def hook(_hook_server: Webhook) -> Iterator[Webhook]:
    _hook_server.received.clear()
    yield _hook_server
    everything = "\n".join(_hook_server.texts())
    for secret in (*SECRETS, HOOK_TOKEN):
        assert secret not in everything, "a secret reached an alert"


@pytest.fixture
def live_options(hook: Webhook) -> dict[str, str]:
    """The ``live`` bot alerts to the webhook."""
    return {"ALERT_URLS": hook.url, "ALERT_DAILY_SUMMARY": "12:00", "TIMEZONE": "UTC"}


def check(live: Live) -> None:
    settings = live.settings
    notifier = AppriseNotifier(settings.alert_urls, settings.secrets())
    check_alerts(live.db, settings, notifier, live.clock.utc())


def test_a_paused_platform_alerts_once_with_the_fix_then_once_when_it_resumes(
    live: Live, hook: Webhook
) -> None:
    live.queue(2, "facebook")
    # Graph echoes the token it was sent: the alert must not.
    echo = graph_error_response(f"Error validating access token {FB_TOKEN}", 190, subcode=463)
    live.facebook.inject(Fault("echo", response=echo))
    live.run("facebook")

    check(live)
    (alert,) = hook.take()
    assert "Facebook is paused" in alert and "FACEBOOK_PAGE_ACCESS_TOKEN" in alert
    for _ in range(3):
        live.clock.advance(60)
        check(live)
    assert hook.take() == [], "the same pause alerted twice"

    live.clock.advance(120)
    assert live.run("facebook").sent == {"facebook": 2}
    check(live)
    (resumed,) = hook.take()
    assert "Facebook resumed" in resumed
    check(live)
    assert hook.take() == []


def test_failed_posts_and_dropped_photos_alert_once_each_in_one_message(
    live: Live, hook: Webhook
) -> None:
    live.queue(2, "x")
    for _ in range(2):
        live.x.inject(live.x.rule_fault(rule_named("x_too_long")))
    with image_site() as site:
        add_manual(
            live.db,
            live.settings,
            ManualPost(
                kind="appeal",
                title="Alex Doe, 40, missing from York",
                link="https://charity.example/appeals/alex",
                image_url=site + "/gone.png",
                platforms=("x",),
            ),
            live.clock.utc(),
        )
        live.run("x", due_only=False)

    check(live)
    (message,) = hook.take()
    assert message.count("failed on X for good") == 2
    assert "Your Tweet text is too long" in message and "run_bot.py retry" in message
    assert "without its photo" in message and "gone.png could not be fetched (404)" in message
    live.clock.advance(60)
    check(live)
    assert hook.take() == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_feed_alerts_after_the_set_number_of_failed_polls_in_a_row(
    live: Live, hook: Webhook
) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/appeals.xml"
    settings = live.settings.replace(appeals_feed_urls=(dead,), alert_feed_failures=3)
    for poll in range(1, 5):
        poll_feeds(live.db, settings, live.clock.utc())
        check_alerts(live.db, settings, AppriseNotifier(settings.alert_urls), live.clock.utc())
        texts = hook.take()
        if poll < 3:
            assert texts == [], f"alerted after {poll} failed polls"
        elif poll == 3:
            (alert,) = texts
            assert "failed 3 polls in a row" in alert and dead in alert
        else:
            assert texts == []
        live.clock.advance(600)


def test_a_withdrawal_still_online_after_15_minutes_alerts_with_the_links(
    live: Live, hook: Webhook
) -> None:
    (post_id,) = live.queue(1, "facebook")
    live.run("facebook")
    remote_url = live.row(post_id)["remote_url"]
    item_id = live.row(post_id)["item_id"]
    refuse = FakeResponse(500, {"error": {"message": "Please retry", "code": 2}})
    live.facebook.inject(Fault("no-delete", response=refuse, method="DELETE", times=99))
    withdraw_item(live.db, item_id, "found safe", live.clock.utc())
    process_deletions(live.db, live.publishers, live.clock.utc())

    live.clock.advance(10 * 60)
    check(live)
    assert hook.take() == [], "alerted before 15 minutes"
    live.clock.advance(6 * 60)
    check(live)
    (alert,) = hook.take()
    assert "withdrawn appeal is still online on Facebook" in alert and remote_url in alert
    check(live)
    assert hook.take() == []

    live.facebook.clear_faults()
    live.clock.advance(3600)
    process_deletions(live.db, live.publishers, live.clock.utc())
    check(live)
    (done,) = hook.take()
    assert "deleted everywhere" in done


def test_the_daily_summary_goes_once_a_day_at_its_time(live: Live, hook: Webhook) -> None:
    live.queue(1, "x")
    live.run("x")
    check(live)  # 10:00 UTC: before the 12:00 summary
    assert hook.take() == []
    live.clock.advance(2 * 3600 + 60)
    check(live)
    (summary,) = hook.take()
    assert "Daily summary" in summary and "X: 1 sent, 0 failed" in summary
    live.clock.advance(3600)
    check(live)
    assert hook.take() == []
    live.clock.advance(timedelta(days=1).total_seconds())
    check(live)
    assert len(hook.take()) == 1


def test_an_undeliverable_alert_is_tried_again_next_check(live: Live, hook: Webhook) -> None:
    live.queue(1, "x")
    live.x.inject(live.x.rule_fault(rule_named("x_unauthorized")))
    live.run("x")
    dead = live.settings.replace(alert_urls=(f"json://127.0.0.1:{_closed_port()}/hook",))
    assert check_alerts(live.db, dead, AppriseNotifier(dead.alert_urls), live.clock.utc()) == []
    check(live)
    (alert,) = hook.take()
    assert "X is paused" in alert
    logged = [
        e["outcome"] for e in live.db.query("SELECT outcome FROM events WHERE action = 'alert'")
    ]
    assert logged == ["error", "sent"]


def test_alert_test_command(tmp_path: Path, hook: Webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main

    env = tmp_path / "test.env"
    env.write_text(f"ALERT_URLS={hook.url}\nDATABASE_PATH={tmp_path / 'bot.db'}\n")
    assert main(["--env-file", str(env), "alert-test"]) == 0
    (alert,) = hook.take()
    assert "test alert" in alert
