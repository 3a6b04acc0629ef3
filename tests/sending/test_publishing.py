"""The failure policy applied by the sender, against the in-memory sandbox publisher."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from bot.appeals.withdrawal import process_deletions, withdraw_item
from bot.core.clock import from_iso
from bot.core.db import open_db
from bot.core.errors import (
    AppealBotError,
    AuthExpired,
    DuplicatePost,
    OutcomeUnknown,
    PermanentError,
    PhotoUnusable,
    PublishError,
    RateLimited,
    TransientError,
)
from bot.core.events import list_events
from bot.platforms.base import PostRequest, Published
from bot.platforms.sandbox import SandboxPublisher
from bot.posts.approval import edit, retry
from bot.posts.planner import plan_posts
from bot.posts.queue import (
    PlannedPost,
    claim_next,
    enqueue,
    get_post,
    list_posts,
    store_item,
    transition,
)
from bot.posts.states import PostStatus
from bot.sending import health
from bot.sending.policy import MAX_ATTEMPTS, backoff, decide
from bot.sending.publishing import RESUME_CHECK_INTERVAL, SlotReport, reconcile_stale, run_slot
from tests.factories import NOW, make_item, make_settings

LATER = NOW + timedelta(minutes=5)


class ScriptedPublisher(SandboxPublisher):
    """A sandbox that first raises the scripted errors, then behaves."""

    def __init__(self, *errors: PublishError, credentials_ok: bool = True) -> None:
        super().__init__("x")
        self.errors = list(errors)
        self.credentials_ok = credentials_ok

    def publish(self, post: PostRequest) -> Published:
        if self.errors:
            raise self.errors.pop(0)
        return super().publish(post)

    def check_credentials(self) -> str:
        if not self.credentials_ok:
            raise AuthExpired("x", "token expired")
        return "@sandbox"


def setup(tmp_path: Path, n: int = 1):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    for i in range(n):
        item = make_item(i)
        store_item(db, item, NOW)
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    return settings, db


def test_backoff_grows_and_is_jittered() -> None:
    rng = random.Random(1)
    delays = [backoff(n, rng) for n in range(1, 8)]
    assert all(timedelta(seconds=30) <= d <= timedelta(hours=6) for d in delays)
    assert delays[-1] > delays[0]


def test_decide_honours_the_reset_time_and_gives_up_eventually() -> None:
    rng = random.Random(1)
    reset = NOW + timedelta(hours=2)
    assert decide(RateLimited("x", "429", reset), 1, NOW, rng).retry_at == reset
    assert decide(TransientError("x", "503"), MAX_ATTEMPTS, NOW, rng).action == "failed"
    assert decide(OutcomeUnknown("x", "timeout"), 1, NOW, rng).action == "reconcile"


def test_transient_error_keeps_the_post_queued_and_costs_no_budget(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    publisher = ScriptedPublisher(TransientError("x", "503 Service Unavailable"))
    report = run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    post = list_posts(db)[0]
    assert report.sent == {} and post["status"] == "queued"
    assert from_iso(post["next_attempt_at"]) > LATER
    # Not due yet: nothing is sent before the retry time, then it goes.
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: LATER).sent == {}
    retry = from_iso(post["next_attempt_at"]) + timedelta(seconds=1)
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: retry).sent == {"x": 1}
    assert [e["outcome"] for e in list_events(db)][:2] == ["sent", "retry"]


def test_rate_limit_holds_the_platform_until_the_reset(tmp_path: Path) -> None:
    settings, db = setup(tmp_path, n=3)
    reset = LATER + timedelta(minutes=15)
    publisher = ScriptedPublisher(RateLimited("x", "429 Too Many Requests", reset))
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    assert health.get_health(db, "x").held(LATER)
    assert len(publisher.posts) == 0  # the other two were not even tried
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: reset).sent == {"x": 3}


def test_permanent_error_fails_the_post_with_the_api_message(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    publisher = ScriptedPublisher(PermanentError("x", "Your Tweet text is too long."))
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    post = list_posts(db)[0]
    assert post["status"] == "failed" and post["last_error"] == "Your Tweet text is too long."


def test_duplicate_counts_as_sent_and_is_never_resent(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    publisher = ScriptedPublisher(DuplicatePost("x", "duplicate content"))
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    assert list_posts(db)[0]["status"] == "sent"
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: LATER).sent == {}
    assert publisher.posts == {}


def test_expired_credentials_pause_the_platform_until_they_work(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    publisher = ScriptedPublisher(AuthExpired("x", "Unauthorized"), credentials_ok=False)
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    assert health.get_health(db, "x").paused_reason == "Unauthorized"
    assert list_posts(db)[0]["status"] == "queued"
    assert (
        run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
        .skipped["x"]
        .startswith("paused")
    )
    publisher.credentials_ok = True
    # The daemon's 15-second urgent tick checks the credentials at most once a minute...
    throttled = {"resume_check_interval": RESUME_CHECK_INTERVAL, "max_priority": 1}
    held = run_slot(db, {"x": publisher}, settings, clock=lambda: LATER, **throttled)
    assert held.skipped["x"].startswith("paused")
    a_minute_on = LATER + RESUME_CHECK_INTERVAL
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: a_minute_on, **throttled).sent
    assert health.get_health(db, "x").paused_reason is None


def test_a_person_running_post_gets_a_credentials_check_every_time(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    publisher = ScriptedPublisher(AuthExpired("x", "Unauthorized"), credentials_ok=False)
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    publisher.credentials_ok = True
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: LATER).sent == {"x": 1}


def test_unknown_outcome_is_reconciled_not_resent(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    publisher = ScriptedPublisher()
    post = claim_next(db, "x", LATER, "me")
    assert post is not None
    # The platform got it, but we never heard back.
    publisher.publish(PostRequest(post.id, post.text, post.link, marker=post.link or ""))
    db.execute("UPDATE posts SET status = 'queued', needs_reconcile = 1 WHERE id = ?", [post.id])
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    assert len(publisher.posts) == 1
    assert get_post(db, post.id).status == "sent"


def test_a_post_left_in_sending_by_a_dead_process_is_requeued_for_reconciliation(
    tmp_path: Path,
) -> None:
    _, db = setup(tmp_path)
    post = claim_next(db, "x", LATER, "otherhost:1")
    assert post is not None
    assert reconcile_stale(db, is_alive=lambda owner: False) == [post.id]
    again = get_post(db, post.id)
    assert again.status == "queued" and again.needs_reconcile


class NoPhotoPublisher(SandboxPublisher):
    """A platform that cannot fetch the photo (gone, or not an image)."""

    def publish(self, post: PostRequest) -> Published:
        if post.image_url:
            raise PhotoUnusable("x", f"the image at {post.image_url} is gone (404)")
        return super().publish(post)


def test_an_unusable_photo_sends_the_appeal_without_it_and_says_so(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    item = make_item(1, image_url="https://charity.example/gone.jpg")
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    publisher = NoPhotoPublisher("x")
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: LATER).sent == {"x": 1}
    [stored] = publisher.posts.values()
    assert stored.request.image_url is None
    assert "sent without photo" in list_events(db, outcome="sent")[0]["detail"]
    [post] = list_posts(db)
    assert post["status"] == "sent" and "gone.jpg" in post["degraded"]


def test_a_failed_post_can_be_edited_and_retried_but_not_once_withdrawn(tmp_path: Path) -> None:
    settings, db = setup(tmp_path, n=2)
    publisher = ScriptedPublisher(
        PermanentError("x", "Your Tweet text is too long."),
        PermanentError("x", "Your Tweet text is too long."),
    )
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    first, second = (row["id"] for row in list_posts(db, ("failed",)))
    assert edit(db, str(first), "Shorter: Person 0, 15, missing from Leeds.", LATER) == [first]
    assert retry(db, str(first), LATER) == [first]
    again = get_post(db, first)
    assert (again.status, again.attempts) == ("queued", 0)
    assert run_slot(db, {"x": publisher}, settings, clock=lambda: LATER).sent == {"x": 1}
    assert [s.request.text for s in publisher.posts.values()] == [
        "Shorter: Person 0, 15, missing from Leeds."
    ]
    withdraw_item(db, get_post(db, second).item_id, "found", LATER)
    with pytest.raises(AppealBotError):
        retry(db, str(second), LATER)  # cancelled by the withdrawal: nothing to retry


class WithdrawnInFlightPublisher(SandboxPublisher):
    """The appeal is withdrawn (on the dashboard, another connection) while its post is in
    flight, and the platform then answers with ``error``."""

    def __init__(self, path: Path, error: PublishError) -> None:
        super().__init__("x")
        self.path = path
        self.error: PublishError | None = error

    def publish(self, post: PostRequest) -> Published:
        if self.error is not None:
            error, self.error = self.error, None
            other = open_db(self.path)
            withdraw_item(other, "item-0", "found safe", LATER)
            other.close()
            raise error
        return super().publish(post)


@pytest.mark.parametrize(
    "error",
    [
        TransientError("x", "503 Service Unavailable"),
        RateLimited("x", "429 Too Many Requests", LATER + timedelta(minutes=1)),
        AuthExpired("x", "Unauthorized"),
    ],
    ids=["transient", "rate-limited", "auth"],
)
def test_a_post_withdrawn_while_in_flight_is_never_sent_after_a_failed_try(
    tmp_path: Path, error: PublishError
) -> None:
    settings, db = setup(tmp_path)
    publisher = WithdrawnInFlightPublisher(settings.database_path, error)
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    tomorrow = LATER + timedelta(days=1)
    run_slot(db, {"x": publisher}, settings, clock=lambda: tomorrow)
    assert publisher.posts == {}  # the found person's appeal never went out
    assert [p["status"] for p in list_posts(db)] == ["cancelled"]


class CrashingPublisher(SandboxPublisher):
    """A client with a bug: something other than a PublishError escapes."""

    def publish(self, post: PostRequest) -> Published:
        raise KeyError("data")


def test_an_unexpected_error_never_strands_a_post_in_sending(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    run_slot(db, {"x": CrashingPublisher("x")}, settings, clock=lambda: LATER)
    [post] = list_posts(db)
    assert post["status"] == "queued" and post["next_attempt_at"]
    assert get_post(db, post["id"]).needs_reconcile  # did it go out? look before resending
    assert "unexpected KeyError" in list_events(db, outcome="retry")[0]["detail"]


def test_rate_limits_never_make_a_post_give_up() -> None:
    rng = random.Random(3)
    decision = decide(RateLimited("x", "429"), MAX_ATTEMPTS + 5, NOW, rng)
    assert decision.action == "retry"


def _crash_while_sending(db: sqlite_utils.Database, platform: str = "x") -> int:
    """Claim the next due post in a process that then dies; returns its id, back in the queue."""
    post = claim_next(db, platform, LATER, "otherhost:1")
    assert post is not None
    assert reconcile_stale(db, is_alive=lambda owner: False, now=LATER) == [post.id]
    return post.id


def _post_of(db: sqlite_utils.Database, item_id: str, round: int = 0) -> dict[str, Any]:
    [row] = [p for p in list_posts(db) if p["item_id"] == item_id and p["round"] == round]
    return row


def test_a_crash_never_takes_another_appeals_post_that_shares_its_link(tmp_path: Path) -> None:
    """Issue 11 item 1: both appeals link to the police force's page. A is out; the daemon dies
    while B is claimed, before B reached X. B must not be recorded with A's id, and B's
    withdrawal must not delete A's post while A is still missing."""
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    police = "https://police.example/appeal/missing-people"
    for n in (1, 2):
        item = make_item(n, link=police)
        store_item(db, item, NOW)
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    publisher = SandboxPublisher("x")
    assert run_slot(db, {"x": publisher}, settings, limit=1, clock=lambda: LATER).sent == {"x": 1}
    crashed = _crash_while_sending(db)
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    a, b = sorted(list_posts(db), key=lambda p: p["id"] == crashed)
    assert a["status"] == b["status"] == "sent"
    assert b["remote_id"] != a["remote_id"] and b["remote_id"] in publisher.posts
    assert publisher.posts[b["remote_id"]].request.text == b["text"]  # B really went out
    withdraw_item(db, b["item_id"], "found", LATER)
    process_deletions(db, {"x": publisher}, LATER)
    assert publisher.posts[b["remote_id"]].deleted
    assert not publisher.posts[a["remote_id"]].deleted  # A's appeal stays up
    why = [e["detail"] for e in list_events(db, outcome="retry") if e["action"] == "reconcile"]
    assert why == ["no post with this text on x: treated as not sent, sending it now"]


def test_a_reappeal_worded_as_its_first_post_never_shares_its_remote_id(tmp_path: Path) -> None:
    """Issue 11 item 1: the first post owns its remote post; the re-appeal, identical in text,
    crashes mid-send and must not be recorded with the first post's id."""
    settings, db = setup(tmp_path)
    publisher = SandboxPublisher("x")
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    first = _post_of(db, "item-0")
    again = PlannedPost("x", first["text"], LATER, first["priority"], link=first["link"], round=1)
    enqueue(db, "item-0", [again], LATER)
    _crash_while_sending(db)
    run_slot(db, {"x": publisher}, settings, clock=lambda: LATER)
    reappeal = _post_of(db, "item-0", round=1)
    assert reappeal["status"] == "sent" and reappeal["remote_id"] is None
    [duplicate] = list_events(db, outcome="duplicate")
    assert f"the post there is post {first['id']}'s" in duplicate["detail"]
    assert _post_of(db, "item-0")["remote_id"] == first["remote_id"]


def test_reconciliation_never_guesses_between_two_posts_with_its_text() -> None:
    publisher = SandboxPublisher("x")
    text = "Have you seen Person 1? https://charity.example/appeals/1"
    publisher.publish(PostRequest(1, text))
    publisher.posts["2"] = replace(publisher.posts[next(iter(publisher.posts))])
    assert publisher.find_published(PostRequest(3, text)) is None
    assert publisher.find_published(PostRequest(3, text, taken=frozenset({"2"}))) is not None


def test_reconciliation_compares_the_whole_text_not_the_link() -> None:
    publisher = SandboxPublisher("x")
    link = "https://charity.example/appeals/1"
    publisher.publish(PostRequest(1, f"Have you seen Ann? {link}", link, marker=link))
    other = PostRequest(2, f"Have you seen Bea? {link}", link, marker=link)
    assert publisher.find_published(other) is None
    same = PostRequest(2, f"Have  you seen Ann?\n{link.replace('https', 'HTTPS')}/", link)
    assert publisher.find_published(same) is not None  # spacing and link form as X gives it


def test_a_remote_id_can_never_be_recorded_on_two_posts(tmp_path: Path) -> None:
    _, db = setup(tmp_path, n=2)
    first, second = (p["id"] for p in list_posts(db))
    db.execute("UPDATE posts SET remote_id = '42' WHERE id = ?", [first])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE posts SET remote_id = '42' WHERE id = ?", [second])
    db.execute("UPDATE posts SET remote_id = '42', platform = 'facebook' WHERE id = ?", [second])


def test_recovering_a_dead_claim_never_takes_over_a_live_one(tmp_path: Path) -> None:
    _, db = setup(tmp_path)
    post = claim_next(db, "x", LATER, "otherhost:1")
    assert post is not None
    # Between reading the dead claim and recovering it, a live process re-claimed the post.
    db.execute("UPDATE posts SET claimed_by = 'thishost:2' WHERE id = ?", [post.id])
    assert not transition(db, post.id, PostStatus.QUEUED, claimed_by_was="otherhost:1")
    assert get_post(db, post.id).status == "sending"
    assert transition(db, post.id, PostStatus.QUEUED, claimed_by_was="thishost:2")


def test_a_rate_limit_hold_is_only_ever_lengthened(tmp_path: Path) -> None:
    _, db = setup(tmp_path)
    health.hold(db, "x", LATER + timedelta(hours=6))  # the daily cap
    health.hold(db, "x", LATER + timedelta(minutes=15))  # a 15-minute window, reported later
    assert health.get_health(db, "x").held(LATER + timedelta(hours=5))


def test_slot_report_summary_is_words_not_python_dicts() -> None:
    report = SlotReport(
        sent={"x": 1, "facebook": 2},
        retried={"facebook": 1},
        failed={"x": 2},
        skipped={"facebook": "daily limit of 25 reached"},
    )
    assert report.summary_lines() == [
        "sent 3 posts: x 1, facebook 2",
        "2 posts failed: x 2; see why with `run_bot.py log --status failed`",
        "1 post to try again later: facebook 1; `run_bot.py log` says why",
        "facebook: skipped, daily limit of 25 reached",
    ]
    assert report.summary() == "; ".join(report.summary_lines())
    assert SlotReport().summary_lines() == ["sent nothing: no post was due"]
    assert SlotReport(failed={"x": 1}).summary_lines()[0] == "sent nothing"
