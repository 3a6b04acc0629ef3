"""Forgetting a found person: which words of an appeal's title are the name the purge sweeps."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.appeals import retention
from bot.appeals.retention import names_in, purge_expired, purge_item
from bot.appeals.withdrawal import withdraw_item
from bot.core import events
from bot.core.db import open_db
from bot.posts.manual import ManualPost, add_manual
from tests.factories import NOW, make_settings


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Sam Jones, 15, missing from Leeds", "Sam Jones"),
        ("Missing: Sam Jones (15)", "Sam Jones"),
        ("URGENT - Mary-Ann O'Neil aged 15 missing from Hull", "Mary-Ann O'Neil"),
        ("Have you seen Sam Jones?", "Sam Jones"),
        ("Help us find Li Wei", "Li Wei"),
        ("Appeal for Thomas Keele, 71", "Thomas Keele"),
        ("Can you help find Jo Bloggs who was last seen in Derby", "Jo Bloggs"),
        ("Alex Marlowe (14) missing from Wigan", "Alex Marlowe"),
        ("Missing from Leeds: Sam Jones, 15", "Sam Jones"),
        ("Chris Navarro is missing", "Chris Navarro"),
        ("Zoë Łukasiewicz - last seen in Leeds", "Zoë Łukasiewicz"),
    ],
)
def test_the_name_is_read_from_the_ways_appeal_titles_are_written(title: str, name: str) -> None:
    assert name in names_in(title)


@pytest.mark.parametrize("title", ["Have you seen this man?", "Missing person appeal", ""])
def test_words_that_are_not_a_name_are_never_swept_on_their_own(title: str) -> None:
    # Only the title as a whole (or its part before a comma): sweeping "this man" would blank
    # those words in every other appeal.
    assert names_in(title) <= {title}


def test_the_purge_sweeps_the_name_from_other_rows_whatever_the_title_style(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    db = open_db(settings.database_path)
    item_id, _ = add_manual(db, settings, ManualPost("appeal", "Missing: Sam Jones (15)"), NOW)
    other, _ = add_manual(db, settings, ManualPost("news", "Helpline hours"), NOW)
    # A person's note on another item names the found person.
    events.record(db, "edit", "ok", "moved below the Sam Jones appeal", item_id=other, now=NOW)
    withdraw_item(db, item_id, "found safe", NOW)
    assert purge_item(db, item_id, NOW + timedelta(days=30))
    details = " ".join(row[0] for row in db.execute("SELECT detail FROM events"))
    assert "Sam Jones" not in details
    assert "moved below the [purged] appeal" in details
    assert db.execute("SELECT title FROM items WHERE id = ?", [other]).fetchone()[0] == (
        "Helpline hours"
    )


def test_the_sweep_reaches_every_table_a_copy_could_hide_in(tmp_path: Path) -> None:
    # The sweep skips only columns the bot fills itself (times, platforms, states); a table or
    # column added later, typed or not, is swept like the rest.
    settings = make_settings(tmp_path)
    db = open_db(settings.database_path)
    title = "Missing: Sam Jones (15)"
    item_id, _ = add_manual(db, settings, ManualPost("appeal", title), NOW)
    db.execute("CREATE TABLE later (id INTEGER PRIMARY KEY, note TEXT, loose, count INTEGER)")
    db.execute("INSERT INTO later (note, loose, count) VALUES (?, ?, 3)", ["saw Sam Jones", title])
    db.execute(
        "INSERT INTO alerts (cause, title, raised_at) VALUES ('feed:x', 'Sam Jones feed', 'now')"
    )
    db.execute("UPDATE platforms SET last_error = 'about Sam Jones'")
    db.execute("INSERT INTO platforms (name, last_error) VALUES ('x', 'about Sam Jones')")
    withdraw_item(db, item_id, "found safe", NOW)
    assert purge_item(db, item_id, NOW + timedelta(days=30))
    assert db.execute("SELECT note, loose, count FROM later").fetchone() == (
        "saw [purged]",
        "[purged]",
        3,
    )
    assert db.execute("SELECT title FROM alerts").fetchone()[0] == "[purged] feed"
    assert db.execute("SELECT last_error FROM platforms WHERE name = 'x'").fetchone()[0] == (
        "about [purged]"
    )


def test_many_appeals_due_are_purged_a_batch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, RETENTION_DAYS="30")
    db = open_db(settings.database_path)
    names = ["Sam Jones", "Jo Bloggs", "Li Wei", "Alex Marlowe", "Chris Navarro"]
    ids = [
        add_manual(db, settings, ManualPost("appeal", f"{name}, 15, missing"), NOW)[0]
        for name in names
    ]
    other, _ = add_manual(db, settings, ManualPost("news", "Thanks to Jo Bloggs' family"), NOW)
    for item_id in ids[:4]:
        withdraw_item(db, item_id, "found safe", NOW)
    monkeypatch.setattr(retention, "PURGE_BATCH", 3)
    assert purge_expired(db, settings, NOW + timedelta(days=30)) == ids[:4]
    assert purge_expired(db, settings, NOW + timedelta(days=31)) == []  # nothing twice
    texts = " ".join(
        str(value) for row in db.execute("SELECT * FROM items").fetchall() for value in row
    )
    assert not [name for name in names[:4] if name in texts]
    assert "Chris Navarro" in texts  # still missing: untouched
    assert db.execute("SELECT title FROM items WHERE id = ?", [other]).fetchone()[0] == (
        "Thanks to [purged]' family"
    )
    purges = db.execute("SELECT item_id FROM events WHERE action = 'purge'").fetchall()
    assert sorted(row[0] for row in purges) == sorted(ids[:4])
