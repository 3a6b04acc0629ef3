"""Issue 11 items 2 and 7: nothing slow holds up a found appeal, nothing stranded stays up.

A publisher whose ``publish`` blocks until released stands in for a photo trickling in: the
sending thread is stuck in it while the test polls, withdraws and stops the daemon.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.appeals.withdrawal import process_deletions, withdraw_item
from bot.core.clock import to_iso
from bot.core.db import open_db
from bot.platforms.base import PostRequest, Published
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.planner import plan_posts
from bot.posts.queue import claim_next, enqueue, get_post, list_posts, process_owner, store_item
from bot.scheduler import WITHDRAWALS_EXECUTOR, Daemon
from tests.factories import NOW, make_item, make_settings
from tests.live_fakes import fake_x, live_env

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]  # the feed_server fixture
ROOT = Path(__file__).resolve().parents[1]

LATER = NOW + timedelta(minutes=5)
WAIT = 10.0  # bound on every wait for a thread; the healthy path takes milliseconds


class HeldPublisher(SandboxPublisher):
    """Publishes only once ``release`` is set; ``entered`` says a send is stuck inside."""

    def __init__(self) -> None:
        super().__init__("x")
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def publish(self, post: PostRequest) -> Published:
        self.calls += 1
        self.entered.set()
        assert self.release.wait(WAIT), "the test never released the publisher"
        return super().publish(post)


def urgent_appeal(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    item = make_item(1, urgent=True)
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    return settings, db, item


def test_the_poll_job_never_sends(tmp_path: Path) -> None:
    """It once sent urgent posts itself: a photo trickling in held it, later polls were skipped
    ("maximum number of running instances") and a FOUND appeal went out four minutes late."""
    settings, _db, _item = urgent_appeal(tmp_path)
    publisher = HeldPublisher()
    publisher.release.set()
    Daemon(settings, {"x": publisher}, clock=lambda: LATER).poll_job()
    assert publisher.calls == 0


def test_polling_and_withdrawal_run_on_their_own_threads(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    daemon = Daemon(settings, {"x": SandboxPublisher("x")})
    daemon.schedule()
    jobs = {job.id: job.executor for job in daemon.scheduler.get_jobs()}
    assert jobs["poll-feeds"] == jobs["deletions"] == jobs["sweep"] == WITHDRAWALS_EXECUTOR
    assert jobs["urgent"] == "default"


def test_a_post_withdrawn_while_it_was_being_sent_comes_down_as_it_lands(tmp_path: Path) -> None:
    settings, db, item = urgent_appeal(tmp_path)
    publisher = HeldPublisher()
    daemon = Daemon(settings, {"x": publisher}, clock=lambda: LATER)
    sender = threading.Thread(target=daemon.urgent_job)
    sender.start()
    try:
        assert publisher.entered.wait(WAIT)
        withdraw_item(db, item.id, "found safe and well", LATER)  # the poll, meanwhile
    finally:
        publisher.release.set()
        sender.join(WAIT)
    [post] = list_posts(db)
    assert post["status"] == "deleted"  # without waiting for the deletions job
    assert all(stored.deleted for stored in publisher.posts.values())


def test_a_stop_does_not_wait_for_a_send_stuck_in_the_network(tmp_path: Path) -> None:
    settings, db, _item = urgent_appeal(tmp_path)
    publisher = HeldPublisher()
    daemon = Daemon(settings, {"x": publisher})
    result: list[bool] = []
    runner = threading.Thread(target=lambda: result.append(daemon.run(timedelta(seconds=0.5))))
    runner.start()
    try:
        deadline = time.monotonic() + WAIT
        while not (daemon.scheduler.running and daemon.scheduler.get_job("urgent")):
            assert time.monotonic() < deadline, "the daemon did not start"
            time.sleep(0.01)
        daemon.scheduler.modify_job("urgent", next_run_time=datetime.now(UTC))
        assert publisher.entered.wait(WAIT)  # the urgent job is stuck in publish
        stopped_at = time.monotonic()
        daemon.stop.set()
        runner.join(WAIT)
        assert not runner.is_alive() and result == [False]
        assert time.monotonic() - stopped_at < 3
    finally:
        daemon.stop.set()
        publisher.release.set()
        runner.join(WAIT)
    post = get_post(db, list_posts(db)[0]["id"])
    assert post.needs_reconcile  # looked up on the platform at the next start


def strand(db, post_id: int, minutes_ago: int) -> None:  # type: ignore[no-untyped-def]
    """What a live daemon leaves when saving "sent" failed (a full disk): its own claim."""
    db.execute(
        "UPDATE posts SET status = 'sending', claimed_by = ?, claimed_at = ? WHERE id = ?",
        [process_owner(), to_iso(LATER - timedelta(minutes=minutes_ago)), post_id],
    )


def test_the_daemon_sweeps_a_claim_stranded_in_its_own_process(tmp_path: Path) -> None:
    settings, db, _item = urgent_appeal(tmp_path)
    [post_id] = [p["id"] for p in list_posts(db)]
    strand(db, post_id, minutes_ago=1)
    daemon = Daemon(settings, {"x": SandboxPublisher("x")}, clock=lambda: LATER)
    assert daemon.sweep_job() == []  # a minute: it may still be in flight
    strand(db, post_id, minutes_ago=10)
    assert daemon.sweep_job() == [post_id]
    post = get_post(db, post_id)
    assert post.status == "queued" and post.needs_reconcile


def test_withdrawing_a_stranded_post_finds_it_on_the_platform_and_deletes_it(
    tmp_path: Path,
) -> None:
    """The platform took the post, then writing "sent" failed: a withdrawal must still find
    and delete it, not wait for a restart."""
    _, db, item = urgent_appeal(tmp_path)
    publisher = SandboxPublisher("x")
    post = claim_next(db, "x", LATER, process_owner())
    assert post is not None
    published = publisher.publish(PostRequest(post.id, post.text, post.link))
    strand(db, post.id, minutes_ago=10)
    withdraw_item(db, item.id, "found safe and well", LATER)
    assert process_deletions(db, {"x": publisher}, LATER) == 1
    assert publisher.posts[published.remote_id].deleted
    assert get_post(db, post.id).status == "deleted"


def test_sigterm_stops_the_daemon_within_ten_seconds_while_a_photo_trickles_in(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Issue 11: SIGTERM during a trickling photo download took 120 s (systemd kills at 90)."""
    photo = feed_server.serve(
        "/photo.png", b"\\x89PNG" + b"0" * 4000, content_type="image/png", chunk_size=1, trickle=0.5
    )
    feed = feed_server.serve(
        "/appeals.xml",
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Appeals</title><item>'
            "<title>Sam Jones, 15, missing from Leeds</title><guid>sam</guid>"
            "<link>https://charity.example/appeals/sam</link><category>urgent</category>"
            f'<enclosure url="{photo}" type="image/png" length="4004"/>'
            "<description>Last seen on Monday.</description></item></channel></rss>"
        ).encode(),
    )
    with fake_x() as fake:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1"}
        env.update(live_env(tmp_path / "bot.db", x=fake), APPEALS_FEED_URL=feed)
        command = [sys.executable, str(ROOT / "run_bot.py"), "--env-file", os.devnull, "run"]
        daemon = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while not feed_server.requests_to("/photo.png"):
                assert daemon.poll() is None, daemon.communicate()[0].decode()
                assert time.monotonic() < deadline, "the daemon never fetched the photo"
                time.sleep(0.05)
            sent_at = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
            took = time.monotonic() - sent_at
        finally:
            if daemon.poll() is None:
                daemon.kill()
            output = daemon.communicate()[0].decode()
        assert took < 10, output
        assert not fake.posts  # nothing went out half-made
    db = open_db(tmp_path / "bot.db")
    [post] = list_posts(db)
    assert post["status"] == "queued" and get_post(db, post["id"]).needs_reconcile
