"""The dashboard's long lists a page at a time, with a count and previous/next links."""

from __future__ import annotations

import sqlite_utils
from flask import Flask

from bot.core import events
from bot.core.settings import Settings
from tests.factories import NOW
from tests.web.signin import login
from tests.web.test_web import mark_sent, queue_item


def test_the_log_pages_with_a_count(app: Flask, db: sqlite_utils.Database) -> None:
    for n in range(130):
        events.record(db, "send", "sent", f"entry {n:03d}", platform="x", now=NOW)
    client = app.test_client()
    login(client, "alice")
    first = client.get("/log").get_data(as_text=True)
    total = events.count_events(db)
    assert f"{total} entries" in first and "Page 1 of 3" in first and 'rel="next"' in first
    assert "entry 129" in first and "entry 000" not in first
    last = client.get("/log?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last and 'rel="prev"' in last and "entry 000" in last
    filtered = client.get("/log?platform=x&page=2").get_data(as_text=True)
    assert "platform=x" in filtered.split('rel="prev"')[0].rsplit("href=", 1)[1]


def test_the_shares_page_pages_most_shared_first(
    app: Flask,
    db: sqlite_utils.Database,
    settings: Settings,
) -> None:
    for n in range(1, 36):
        for post_id in queue_item(db, settings, n):
            mark_sent(db, post_id, n)
    client = app.test_client()
    login(client, "alice")
    first = client.get("/shares").get_data(as_text=True)
    assert "35 appeals posted" in first and "Page 1 of 2" in first
    main = first.split("<main")[1].split("</main>")[0]
    assert main.count('class="bar"') == 30
    assert main.index("Person 35,") < main.index("Person 34,") and "Person 5," not in main
    second = client.get("/shares?page=2").get_data(as_text=True)
    assert "Person 5," in second and "Person 35," not in second


def test_appeal_cards_show_their_shares(
    app: Flask,
    db: sqlite_utils.Database,
    settings: Settings,
) -> None:
    for post_id in queue_item(db, settings, 1):
        mark_sent(db, post_id, 21)
    client = app.test_client()
    login(client, "alice")
    page = client.get("/appeals").get_data(as_text=True)
    assert "Shares: <strong>42</strong>" in page
