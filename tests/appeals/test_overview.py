"""The appeals overview: state words agree with the search's SQL, search by name, id, region,
state and date, paging; the one region rule shared by the CLI, dashboard and planner."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from bot.appeals.lifecycle import close_appeal
from bot.appeals.overview import (
    PAGE_SIZE,
    STATE_SQL,
    STATES,
    AppealQuery,
    appeal_state,
    find_appeals,
    get_card,
    thanks_state,
)
from bot.appeals.withdrawal import record_feed_presence, withdraw_item
from bot.core.db import open_db
from bot.core.settings import Settings
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from bot.posts.regions import configured_regions, match_region, region_key
from tests.factories import NOW, make_item, make_settings

LONDON = ZoneInfo("Europe/London")
REGIONAL = {
    "FACEBOOK_PAGE_ID": "100",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "main-token",
    "FACEBOOK_REGIONAL_PAGES": "north-west=200",
    "FACEBOOK_PAGE_ACCESS_TOKEN_200": "nw-token",
    "REGION_HASHTAGS": "north-west=#NorthWest,scotland=#Scotland",
    "PLATFORMS": "x,facebook",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, FOUND_THANKS="1", **REGIONAL)


@pytest.fixture
def db(settings: Settings) -> sqlite_utils.Database:
    return open_db(settings.database_path)


def sent(db: sqlite_utils.Database, item_id: str) -> None:
    db.execute(
        "UPDATE posts SET status = 'sent', sent_at = ?, remote_url = 'https://x.example/p/' || id"
        " WHERE item_id = ?",
        ["2026-11-25T09:00:00.000000Z", item_id],
    )


def four_states(db: sqlite_utils.Database, settings: Settings) -> dict[str, str]:
    """One appeal in each state, as each comes about: ids by the word each must show."""
    for n in range(1, 6):
        item = make_item(n, feed_url="https://charity.example/feed")
        store_item(db, item, NOW)
        enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    sent(db, "item-2")
    store_item(db, make_item(2, status="found", feed_url="https://charity.example/feed"), NOW)
    close_appeal(db, settings, "item-2", "found in the feed", NOW, found=True)  # the feed said
    store_item(db, make_item(3, status="withdrawn", feed_url="https://charity.example/feed"), NOW)
    withdraw_item(db, "item-3", "withdrawn in the feed", NOW)
    close_appeal(db, settings, "item-4", "family's wish (by alice)", NOW, found=False)
    record_feed_presence(db, "https://charity.example/feed", ["item-1", "item-2"], 1, NOW)
    return {
        "item-1": "missing",
        "item-2": "found",
        "item-3": "withdrawn",
        "item-4": "closed by hand",
        "item-5": "withdrawn",  # left the feed
    }


def test_each_appeal_has_one_state_word_and_the_filter_agrees(
    db: sqlite_utils.Database, settings: Settings
) -> None:
    expected = four_states(db, settings)
    cards = {c.id: c for c in find_appeals(db, AppealQuery(), LONDON).cards}
    assert {i: c.state for i, c in cards.items()} == expected
    # The SQL conditions partition the appeals exactly as the words do.
    for state in STATES:
        ids = {c.id for c in find_appeals(db, AppealQuery(state=state), LONDON).cards}
        assert ids == {i for i, word in expected.items() if word == state}, state
        sql = f"SELECT COUNT(*) FROM items i WHERE i.kind = 'appeal' AND {STATE_SQL[state]}"
        rows = db.execute(sql).fetchone()
        assert rows[0] == len(ids)


def test_a_found_appeal_says_found_and_its_thank_you_is_queued(
    db: sqlite_utils.Database, settings: Settings
) -> None:
    four_states(db, settings)
    card = get_card(db, "item-2")
    assert card is not None and card.state == "found"
    assert card.thanks == "queued"
    assert {p.platform for p in card.thanks_places} == {"x", "facebook"}
    assert get_card(db, "item-1") is not None and get_card(db, "item-1").thanks == ""  # type: ignore[union-attr]
    assert get_card(db, "nope") is None


@pytest.mark.parametrize(
    ("statuses", "word"),
    [
        ([], ""),
        (["draft", "draft"], "waiting for approval"),
        (["queued", "failed"], "queued"),
        (["sent", "deleting"], "posted"),
        (["deleted", "cancelled"], "taken down"),
    ],
)
def test_thanks_state(statuses: list[str], word: str) -> None:
    assert thanks_state(statuses) == word


def test_appeal_state_words() -> None:
    assert appeal_state(None, "found", None) == "missing"  # reopened: open again
    assert appeal_state("t", "found", "anything") == "found"
    assert appeal_state("t", "missing", "missing from the feed for 3 complete polls") == (
        "withdrawn"
    )
    assert appeal_state("t", None, "no longer needed (by alice)") == "closed by hand"


def test_search_by_name_id_region_state_and_date(
    db: sqlite_utils.Database, settings: Settings
) -> None:
    for n, region, day in [(1, "north west", 0), (2, "scotland", 1), (3, None, 2)]:
        item = make_item(n, title=f"Person {n} 50%_off", region=region)
        store_item(db, item, NOW - timedelta(days=day))

    def ids(**query: object) -> list[str]:
        return [c.id for c in find_appeals(db, AppealQuery(**query), LONDON).cards]  # type: ignore[arg-type]

    assert ids(text="person 2") == ["item-2"]
    assert ids(text="item-3") == ["item-3"]
    assert ids(text="scot") == ["item-2"]
    assert ids(text="%") == ids() and len(ids()) == 3  # LIKE wildcards are plain text
    assert ids(text="0%_") == ids()
    assert ids(text="_x") == []
    assert ids(region="North-West") == ["item-1"]  # one region rule
    assert ids(state="missing") == ["item-1", "item-2", "item-3"]
    assert ids(state="found") == []
    day = NOW.astimezone(LONDON).date()
    assert ids(since=day - timedelta(days=1)) == ["item-1", "item-2"]
    assert ids(until=day - timedelta(days=1)) == ["item-2", "item-3"]
    assert ids(since=day - timedelta(days=1), until=day - timedelta(days=1)) == ["item-2"]
    assert ids(since=date(2030, 1, 1)) == []


def test_lists_are_paged(db: sqlite_utils.Database) -> None:
    for n in range(PAGE_SIZE + 5):
        store_item(db, make_item(n), NOW - timedelta(minutes=n))
    first = find_appeals(db, AppealQuery(), LONDON)
    second = find_appeals(db, AppealQuery(page=2), LONDON)
    assert (first.total, first.pages, len(first.cards), len(second.cards)) == (
        PAGE_SIZE + 5, 2, PAGE_SIZE, 5,
    )  # fmt: skip
    assert not {c.id for c in first.cards} & {c.id for c in second.cards}
    assert find_appeals(db, AppealQuery(page=99), LONDON).page == 2


@pytest.mark.parametrize("typed", ["North West", "north-west", "NORTH_WEST", " north  west "])
def test_one_region_rule_picks_the_same_page_and_hashtags(settings: Settings, typed: str) -> None:
    assert region_key(typed) == "north-west"
    assert match_region(settings, typed) == "north-west"
    item = make_item(1, region=typed)
    planned = plan_posts(item, settings, NOW)
    assert sorted(p.target for p in planned if p.platform == "facebook") == ["", "200"]
    assert all("#NorthWest" in p.text for p in planned)


def test_configured_regions_name_their_page_and_hashtags(settings: Settings) -> None:
    regions = {r.name: r for r in configured_regions(settings)}
    assert set(regions) == {"north-west", "scotland"}
    assert regions["north-west"].page_ids == ("200",)
    assert regions["north-west"].hashtags == ("#NorthWest",)
    assert regions["scotland"].page_ids == ()
    assert match_region(settings, "Wales") is None
