"""Every row of the error table, served by the fakes in the platform's own words and met by the
real clients (tweepy for X, requests for Graph), ends as the table says: retried, held, paused,
sent without the photo, failed in the platform's words, or recorded as a duplicate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import from_iso
from bot.core.errors import RemoteGone
from bot.platforms.error_table import RULES, Rule, readme_rows
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.sending import health
from bot.sending.policy import UNKNOWN_TRIES
from tests.live_fakes import Live, image_site, make_item

SENDING_RULES = [r for r in RULES if r.outcome != "gone"]


@pytest.fixture(scope="module")
def _photos() -> Iterator[str]:
    with image_site() as base:
        yield base + "/photo.png"


def queue_one(live: Live, platform: str, photo: str | None) -> int:
    item = make_item(1, image_url=photo)
    now = live.clock.utc()
    store_item(live.db, item, now)
    (post_id,) = enqueue(
        live.db, item.id, plan_posts(item, live.settings, now, platforms=(platform,)), now
    )
    return post_id


def words(rule: Rule) -> str:
    """The start of the platform's own message, which the post's error must carry."""
    return rule.example[:25]


@pytest.mark.parametrize("rule", SENDING_RULES, ids=lambda r: r.name)
def test_each_documented_refusal_ends_as_the_table_says(
    live: Live, _photos: str, rule: Rule
) -> None:
    platform = rule.platform
    with_photo = rule.outcome in ("fallback", "photo_retry")
    post_id = queue_one(live, platform, _photos if with_photo else None)
    fake = live.fake(platform)
    now = live.clock.utc()
    fake.inject(fake.rule_fault(rule))

    live.run(platform)

    row = live.row(post_id)
    state = health.get_health(live.db, platform)
    if rule.outcome == "retry":
        assert row["status"] == "queued" and words(rule) in row["last_error"]
        assert from_iso(row["next_attempt_at"]) > now
        assert not state.paused_reason
    elif rule.outcome == "hold":
        assert row["status"] == "queued" and words(rule) in row["last_error"]
        assert state.held(now) and not state.paused_reason
        if rule.wait:
            assert from_iso(state.hold_until or "") >= now + rule.wait
    elif rule.outcome == "pause":
        assert row["status"] == "queued" and row["attempts"] == 0
        assert state.paused_reason and words(rule) in state.paused_reason
        assert rule.fix and rule.fix in state.paused_reason
    elif rule.outcome == "fail":
        assert row["status"] == "failed" and words(rule) in row["last_error"]
    elif rule.outcome == "duplicate":
        assert row["status"] == "sent"
        assert ("send", "duplicate") in live.outcomes(post_id)
    else:
        if rule.outcome == "photo_retry":
            # Facebook may fetch the photo next time: one more try with it, then without.
            assert row["status"] == "queued"
            live.clock.set(from_iso(row["next_attempt_at"]))
            fake.inject(fake.rule_fault(rule))
            live.run(platform)
        assert_sent_without_photo(live, post_id, platform, rule)


def assert_sent_without_photo(live: Live, post_id: int, platform: str, rule: Rule) -> None:
    row = live.row(post_id)
    assert row["status"] == "sent"
    (stored,) = live.stored(platform)
    if platform == "facebook":
        assert stored["photo_id"] is None and stored["link"] == row["link"]
    else:
        assert stored["media_ids"] == []
    detail = next(
        e["detail"]
        for e in live.db.query(
            "SELECT detail FROM events WHERE post_id = ? AND outcome = 'sent'", [post_id]
        )
    )
    assert "sent without photo" in detail and words(rule) in detail


@pytest.mark.parametrize("rule", [r for r in RULES if r.outcome == "gone"], ids=lambda r: r.name)
def test_a_post_gone_from_the_platform_is_gone_on_delete(live: Live, rule: Rule) -> None:
    post_id = queue_one(live, rule.platform, None)
    live.run(rule.platform)
    remote_id = live.row(post_id)["remote_id"]
    live.fake(rule.platform).posts[remote_id]["deleted"] = True
    with pytest.raises(RemoteGone):
        live.publishers[rule.platform].delete(remote_id)


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_an_unknown_refusal_is_retried_a_few_times_then_fails_in_the_platforms_words(
    live: Live, platform: str
) -> None:
    post_id = queue_one(live, platform, None)
    fake = live.fake(platform)
    odd = Rule(platform, "odd", 418, "fail", "", "", "I'm a teapot today", code=987654)  # type: ignore[arg-type]
    for attempt in range(1, UNKNOWN_TRIES + 1):
        fake.inject(fake.rule_fault(odd))
        live.run(platform, due_only=False)
        row = live.row(post_id)
        assert "teapot" in row["last_error"]
        expected = "failed" if attempt == UNKNOWN_TRIES else "queued"
        assert row["status"] == expected, f"try {attempt}"
        live.clock.advance(timedelta(hours=1).total_seconds())
    assert live.stored(platform) == []


def test_the_table_names_a_source_and_an_outcome_for_every_row() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert rule.source.startswith("https://") and rule.meaning and rule.example
        if rule.outcome == "pause":
            assert rule.fix, f"{rule.name}: a pause must say what a person must do"


def test_the_readme_shows_the_table_in_words() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for row in readme_rows():
        assert row in readme, f"README.md lacks (or has an old) row: {row}"
