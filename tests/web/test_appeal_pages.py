"""The Appeals page through Flask's client: compact cards (state in words, live links, thank-you),
search links that can be bookmarked, paging, and the withdraw confirmation step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlite_utils
from flask import Flask

from bot.appeals.lifecycle import close_appeal
from bot.core.settings import Settings
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, store_item
from tests.factories import NOW, make_item, make_settings
from tests.web.signin import login

REGIONAL = {
    "FACEBOOK_PAGE_ID": "100",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "main-token",
    "FACEBOOK_REGIONAL_PAGES": "north-west=200",
    "FACEBOOK_PAGE_ACCESS_TOKEN_200": "nw-token",
    "REGION_HASHTAGS": "north-west=#NorthWest",
    "PLATFORMS": "x,facebook",
    "FOUND_THANKS": "1",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, **REGIONAL)


def published(db: sqlite_utils.Database, settings: Settings, n: int, **fields: object) -> str:
    """An appeal live on X and both Facebook pages."""
    item = make_item(n, region="north-west", **fields)
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    db.execute(
        "UPDATE posts SET status = 'sent', sent_at = ?, remote_id = id,"
        " remote_url = 'https://social.example/' || platform || '/' || id WHERE item_id = ?",
        ["2026-11-25T09:00:00.000000Z", item.id],
    )
    return item.id


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="card appeal.*?</li>', html, re.S)


def test_cards_say_the_state_in_words_with_live_links_and_the_thank_you(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    found_id = published(db, settings, 1)
    store_item(db, make_item(1, region="north-west", status="found"), NOW)
    close_appeal(db, settings, found_id, "found in the feed", NOW, found=True)
    published(db, settings, 2, image_url="https://charity.example/p.jpg", image_alt="Sam smiling")
    client = app.test_client()
    login(client, "alice")
    html = client.get("/appeals").get_data(as_text=True)
    open_card, found_card = cards(html)
    assert '<span class="badge state">found</span>' in found_card
    assert "withdrawn" not in found_card
    assert "Thank-you: queued" in found_card
    assert '<span class="badge state">missing</span>' in open_card
    assert 'alt="Sam smiling"' in open_card and "Photo description: “Sam smiling”" in open_card
    for where in ("X", "Facebook", "Facebook, north-west page"):
        assert f">Live on {where}</a>" in open_card
    assert 'href="https://social.example/x/' in open_card
    # One button, no form on the card: the withdrawal is a step of its own.
    assert "<form" not in open_card and "Withdraw…" in open_card
    assert "Withdraw…" not in found_card
    assert "first seen 2026-11-25 10:00 GMT" in html  # times carry their zone


def test_withdraw_is_a_confirmation_step_listing_what_goes_where(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    item_id = published(db, settings, 1)
    client = app.test_client()
    token = login(client, "alice")
    page = client.get(f"/appeals/{item_id}/withdraw")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    plan = re.search(r'<ul class="plan">(.*?)</ul>', html, re.S)
    assert plan is not None
    items = re.findall(r"<li>(.*?)</li>", plan.group(1), re.S)
    deleted = [i for i in items if i.startswith("Deleted from")]
    assert len(deleted) == 3 and all("the live post" in i for i in deleted)
    assert any("Facebook, north-west page" in i for i in deleted)
    assert 'name="csrf_token"' in html
    # Nothing pre-chosen: whether the person was found is a decision, not a default.
    assert "checked" not in re.search(r"<fieldset>.*?</fieldset>", html, re.S).group(0)  # type: ignore[union-attr]
    refused = client.post(
        f"/appeals/{item_id}/withdraw", data={"csrf_token": token, "reason": "found safe"}
    )
    assert refused.status_code == 400
    assert "Say whether the person was found" in refused.get_data(as_text=True)
    assert db.execute("SELECT closed_at FROM items WHERE id = ?", [item_id]).fetchone()[0] is None
    done = client.post(
        f"/appeals/{item_id}/withdraw",
        data={"csrf_token": token, "reason": "found safe", "outcome": "found"},
    )
    assert done.status_code == 302
    statuses = {r[0] for r in db.execute("SELECT status FROM posts WHERE item_id = ?", [item_id])}
    assert statuses == {"deleting"}
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "A thank-you update is queued" in after
    assert '<span class="badge state">found</span>' in after


def test_an_id_with_a_slash_has_a_withdraw_page(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    item_id = published(db, settings, 1, id="https://charity.example/appeals/1")
    client = app.test_client()
    login(client, "alice")
    assert client.get(f"/appeals/{item_id}/withdraw").status_code == 200


def test_a_viewer_sees_no_withdraw_button_and_cannot_open_the_step(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    item_id = published(db, settings, 1)
    client = app.test_client()
    token = login(client, "victor")
    assert "Withdraw" not in client.get("/appeals").get_data(as_text=True)
    assert client.get(f"/appeals/{item_id}/withdraw").status_code == 403
    response = client.post(
        f"/appeals/{item_id}/withdraw",
        data={"csrf_token": token, "reason": "x", "outcome": "found"},
    )
    assert response.status_code == 403


def test_search_filters_are_links_and_pages_keep_them(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    for n in range(25):
        store_item(db, make_item(n, region="north west" if n % 2 else None), NOW)
    client = app.test_client()
    login(client, "alice")
    html = client.get("/appeals?region=north-west").get_data(as_text=True)
    assert "12 appeals found" in html
    assert len(cards(html)) == 12
    html = client.get("/appeals?q=Person+1").get_data(as_text=True)
    assert "11 appeals found" in html  # 1, 10-19
    html = client.get("/appeals").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert 'href="/appeals?page=2"' in html
    html = client.get("/appeals?state=missing&page=2").get_data(as_text=True)
    assert len(cards(html)) == 5
    assert 'href="/appeals?state=missing&amp;page=1"' in html
    bad = client.get("/appeals?since=yesterday")
    assert bad.status_code == 400
    assert "is not a date like 2026-11-20" in bad.get_data(as_text=True)
    empty = client.get("/appeals?q=nobody").get_data(as_text=True)
    assert "No appeal matches this search" in empty


@pytest.mark.parametrize("query", ["²", "#①", "₁₂"])
def test_a_queue_search_in_digits_int_refuses_finds_nothing_instead_of_failing(
    app: Flask, db: sqlite_utils.Database, query: str
) -> None:
    # A number search also looks for that queue id; "²" passes str.isdigit() but not int().
    client = app.test_client()
    login(client, "alice")
    response = client.get("/queue", query_string={"q": query})
    assert response.status_code == 200
