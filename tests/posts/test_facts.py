"""An appeal's facts: from the feed's own fields, else the common title and summary styles,
else left out (never invented)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.db import open_db
from bot.core.settings import FACT_SETTINGS
from bot.feeds.fetch import FeedRules, parse_feed
from bot.posts.facts import FACT_KEYS, MAX_FACT_CHARS, Facts, facts_of, read_facts
from bot.posts.queue import get_item, store_item
from tests.factories import NOW, make_item, make_settings


@pytest.mark.parametrize(
    ("title", "name", "age"),
    [
        ("Sam Jones, 15, missing from Leeds", "Sam Jones", "15"),
        ("Have you seen Sam Jones (15)?", "Sam Jones", "15"),
        ("Missing: Sam Jones (aged 15)", "Sam Jones", "15"),
        ("URGENT - Sam Jones, aged 15, missing from Leeds", "Sam Jones", "15"),
        ("Appeal to find Mary-Ann O'Neil, 71", "Mary-Ann O'Neil", "71"),
        ("Can you help find Sam Jones? 15-year-old missing", "Sam Jones", "15"),
        ("Sam Jones missing from Leeds", "Sam Jones", None),
    ],
)
def test_name_and_age_from_common_title_styles(title: str, name: str, age: str | None) -> None:
    facts = read_facts(title, "")
    assert (facts.name, facts.age) == (name, age)


@pytest.mark.parametrize(
    ("summary", "place", "when"),
    [
        (
            "Sam was last seen on Tuesday 4 November in Leeds city centre.",
            "Leeds",
            "Tuesday 4 November",
        ),
        ("He was last seen in Bristol on 3 May at 9pm.", "Bristol", "3 May at 9pm"),
        (
            "Alex was last seen leaving school on Library Street, Wigan, at 3.30pm on Sunday"
            " 2 March.",
            "Library Street, Wigan",
            "3.30pm on Sunday 2 March",
        ),
        (
            "Priya has been missing from Taunton since Friday 28 February.",
            "Taunton",
            "Friday 28 February",
        ),
        ("Jo was last seen at midday yesterday near Morecambe.", "Morecambe", "midday yesterday"),
        ("She was last seen on 12/03/2025.", None, "12/03/2025"),
        ("Last seen in Newcastle upon Tyne.", "Newcastle upon Tyne", None),
    ],
)
def test_where_and_when_last_seen(summary: str, place: str | None, when: str | None) -> None:
    facts = read_facts("Sam Jones", summary)
    assert (facts.place, facts.when) == (place, when)


def test_description_and_reference() -> None:
    facts = read_facts(
        "Sam Jones, 15",
        "Sam was last seen in Leeds, wearing a grey hoodie. Please quote reference 24-1234.",
    )
    assert facts.description == "Wearing a grey hoodie"
    assert facts.reference == "24-1234"
    described = read_facts("x", "She is described as 5ft 6in with long black hair. Call us.")
    assert described.description == "5ft 6in with long black hair"
    assert read_facts("x", "Police case number: 25/0001 please").reference == "25/0001"


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Have you seen this man?", "Please share this appeal."),
        ("Appeal", "We are worried about him. Call 116 000."),
        ("Missing person", "Missing since last year, number 5 in our list"),
        ("Sam, 150, missing", ""),
    ],
)
def test_nothing_is_invented(title: str, summary: str) -> None:
    facts = read_facts(title, summary)
    assert facts.name is None and facts.age is None and facts.place is None
    assert facts.when is None and facts.description is None


def test_given_facts_win_and_are_cleaned() -> None:
    facts = facts_of(
        "Sam Jones, 15, missing from Leeds",
        "",
        {"age": " 16 ", "place": "York\n station", "bogus": "x", "when": "  "},
    )
    assert facts == Facts(name="Sam Jones", age="16", place="York station")
    long = facts_of("x", "", {"description": "word " * 200}).description or ""
    assert len(long) <= MAX_FACT_CHARS + 1 and long.endswith("…")


def test_the_fact_settings_name_every_fact() -> None:
    assert tuple(FACT_SETTINGS) == FACT_KEYS


def test_feed_fields_named_by_settings_become_facts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, AGE_FIELD="charity_age", LAST_SEEN_FIELD="charity_lastseen")
    body = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:charity="https://charity.example/ns"><channel><title>t</title>
<item><title>Sam Jones missing</title><link>https://charity.example/a/1</link>
<charity:age>15</charity:age>
<charity:lastseen>Leeds &lt;b&gt;station&lt;/b&gt;</charity:lastseen></item>
</channel></rss>"""
    (item,) = parse_feed(
        body, "https://charity.example/feed", "appeal", FeedRules.from_settings(settings)
    ).items
    assert dict(item.facts) == {"age": "15", "place": "Leeds station"}
    db = open_db(tmp_path / "t.db")
    store_item(db, item, NOW)
    assert get_item(db, item.id).facts == item.facts
    changed = store_item(db, make_item(1, id=item.id, facts=(("age", "16"),)), NOW)
    assert changed.changed
