"""Storing a feed's entries in bulk leaves the database exactly as one entry at a time does.

The reference is the one-entry-at-a-time loop :func:`store_entries` used before it stored runs
of new entries in bulk, kept here unchanged as the oracle: each batch one transaction, each
entry its own savepoint around :func:`store_entry`.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.appeals.feed_changes import AppealFeedChanges
from bot.core.db import immediate, open_db
from bot.core.settings import Settings
from bot.feeds.ingest import FeedChanges, _plan_ahead, _store_in_bulk, store_entries, store_entry
from bot.feeds.items import Item
from tests.factories import NOW, doom_commits, make_item, make_settings

HERE = Path(tempfile.gettempdir())  # settings want a database path; these tests open none there
PLAIN = make_settings(HERE)
APPROVAL = make_settings(HERE, REQUIRE_APPROVAL="1")
CUTOFF = NOW - timedelta(days=30)


def reference_store_entries(
    db: sqlite_utils.Database,
    settings: Settings,
    items: Sequence[Item],
    now: datetime,
    changes: FeedChanges,
    *,
    cutoff: datetime | None = None,
    note: str | None = None,
    batch_size: int,
) -> Counter[str | None]:
    counts: Counter[str | None] = Counter()
    for start in range(0, len(items), batch_size):
        failure: Exception | None = None
        with immediate(db):
            for item in items[start : start + batch_size]:
                try:
                    with immediate(db):
                        counts[
                            store_entry(db, settings, item, now, changes, cutoff=cutoff, note=note)
                        ] += 1
                except Exception as error:
                    failure = error
                    break
        if failure is not None:
            raise failure
    return counts


IDS = [f"a{n}" for n in range(8)]


@st.composite
def entries(draw: st.DrawFn, most: int = 14) -> list[Item]:
    """Appeals and news over a few ids (so repeats, updates and reopenings happen), some
    closed, some older than the cutoff, some with photos and regions."""
    items = []
    for _ in range(draw(st.integers(0, most))):
        number = draw(st.integers(0, len(IDS) - 1))
        kind = draw(st.sampled_from(["appeal", "appeal", "appeal", "news"]))
        published = draw(
            st.sampled_from([None, NOW - timedelta(days=400), NOW - timedelta(hours=3)])
        )
        items.append(
            make_item(
                number,
                id=IDS[number],
                kind=kind,
                status=draw(st.sampled_from(["missing", "missing", "found", "withdrawn"]))
                if kind == "appeal"
                else None,
                summary=draw(st.sampled_from(["Seen Monday.", "Seen Tuesday in York."])),
                published_at=published,
                image_url=draw(st.sampled_from([None, f"https://charity.example/{number}.jpg"])),
                urgent=draw(st.booleans()),
                categories=draw(st.sampled_from([(), ("child",), ("child", "Léeds")])),
                facts=draw(
                    st.sampled_from([(), (("age", "15"),), (("age", "15½"), ("height", "5ft"))])
                ),
            )
        )
    return items


def dump(db: sqlite_utils.Database) -> list[str]:
    """The whole database, schema and rows in rowid order, as SQL text."""
    return list(db.conn.iterdump())


def clone(db: sqlite_utils.Database) -> sqlite_utils.Database:
    copy = open_db(":memory:")
    db.conn.backup(copy.conn)
    return copy


def run(store, db, settings, items, **options):  # type: ignore[no-untyped-def]
    """What storing returned or raised (as text, so two runs' errors compare)."""
    try:
        return dict(store(db, settings, items, NOW, AppealFeedChanges(settings), **options))
    except Exception as error:
        return f"{type(error).__name__}: {error}"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=entries(),
    purged=st.sets(st.sampled_from(IDS), max_size=2),
    items=entries(most=20),
    approval=st.booleans(),
    cutoff=st.sampled_from([None, CUTOFF]),
    note=st.sampled_from([None, "read with a workaround"]),
    batch_size=st.integers(1, 7),
    refuse=st.sampled_from([None, "items", "posts", "update"]),
    refused=st.sampled_from(IDS),
)
def test_bulk_storing_leaves_the_database_as_one_at_a_time_does(
    before: list[Item],
    purged: set[str],
    items: list[Item],
    approval: bool,
    cutoff: datetime | None,
    note: str | None,
    batch_size: int,
    refuse: str | None,
    refused: str,
) -> None:
    settings = APPROVAL if approval else PLAIN
    start = open_db(":memory:")
    # An earlier poll, and what people did since: an appeal's data purged, one marked found.
    reference_store_entries(
        start, PLAIN, before, NOW - timedelta(days=1), AppealFeedChanges(PLAIN), batch_size=5
    )
    for item_id in purged:
        start.execute("UPDATE items SET purged_at = ? WHERE id = ?", ["2026-11-24", item_id])
    start.execute("UPDATE items SET status = 'found' WHERE id = 'a1'")
    if refuse is not None:
        # A real failure inside SQLite partway through (a disk problem, a bug...).
        table, when = {
            "items": ("items", "INSERT"),
            "posts": ("posts", "INSERT"),
            "update": ("items", "UPDATE"),
        }[refuse]
        column = "item_id" if table == "posts" else "id"
        start.execute(
            f"CREATE TRIGGER refuse BEFORE {when} ON {table} WHEN NEW.{column} = '{refused}'"
            f" BEGIN SELECT RAISE(ABORT, 'cannot store {refused}'); END"
        )
    expected_db, actual_db = clone(start), clone(start)
    options = {"cutoff": cutoff, "note": note, "batch_size": batch_size}
    expected = run(reference_store_entries, expected_db, settings, items, **options)
    actual = run(store_entries, actual_db, settings, items, **options)
    assert actual == expected
    assert dump(actual_db) == dump(expected_db)


def statements(db: sqlite_utils.Database) -> list[str]:
    """Every SQL statement ``db`` runs from now on (appended as they run)."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    return seen


def test_a_first_poll_stores_its_new_entries_in_bulk() -> None:
    db = open_db(":memory:")
    ran = statements(db)
    items = [make_item(n, id=f"n{n}") for n in range(40)]
    counts = store_entries(db, PLAIN, items, NOW, AppealFeedChanges(PLAIN), batch_size=20)
    assert counts == {"new": 40}
    assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 80
    # Per batch: BEGIN, which ids are stored, the items, the posts, COMMIT (the trace shows
    # an executemany once per row, so only its statements' kinds are counted here).
    assert not [sql for sql in ran if sql.startswith(("SAVEPOINT", "RELEASE"))]
    assert sum(sql.startswith("COMMIT") for sql in ran) == 2


def test_a_failure_in_the_middle_of_a_bulk_batch_keeps_the_entries_before_it() -> None:
    db = open_db(":memory:")
    store_entries(db, PLAIN, [make_item(1, id="old")], NOW, AppealFeedChanges(PLAIN))
    db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON posts WHEN NEW.item_id = 'n4'"
        " BEGIN SELECT RAISE(ABORT, 'cannot queue n4'); END"
    )
    items = [make_item(n, id=f"n{n}") for n in range(8)]
    with pytest.raises(sqlite3.IntegrityError, match="cannot queue n4"):
        store_entries(db, PLAIN, items, NOW, AppealFeedChanges(PLAIN), batch_size=3)
    # The first batch (n0-n2) is committed, n3 of the second kept, n4 whole or not at all.
    stored = [row[0] for row in db.execute("SELECT id FROM items ORDER BY rowid")]
    assert stored == ["old", "n0", "n1", "n2", "n3"]
    queued = db.execute("SELECT item_id, COUNT(*) FROM posts GROUP BY item_id").fetchall()
    assert dict(queued) == {"old": 2, "n0": 2, "n1": 2, "n2": 2, "n3": 2}
    assert not db.conn.in_transaction


def test_a_batch_whose_commit_fails_is_undone_and_its_error_goes_up() -> None:
    # A commit can fail after every statement of the batch went in (here a deferred foreign
    # key, as SQLite checks them at COMMIT; in life a full disk): batches commit behind the
    # next batch's composing, so the error surfaces a batch later, and must still go up.
    db = open_db(":memory:")
    doom_commits(db, "items", "id", "n4")
    items = [make_item(n, id=f"n{n}") for n in range(8)]
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        store_entries(db, PLAIN, items, NOW, AppealFeedChanges(PLAIN), batch_size=3)
    assert not db.conn.in_transaction
    stored = [row[0] for row in db.execute("SELECT id FROM items ORDER BY rowid")]
    assert stored == ["n0", "n1", "n2"]  # the second batch (n3-n5) whole or not at all
    assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 6
    db.execute("DROP TRIGGER doom")  # the trouble passes: the next poll stores the rest
    counts = store_entries(db, PLAIN, items, NOW, AppealFeedChanges(PLAIN), batch_size=3)
    assert counts == {"new": 5, None: 3}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=entries(),
    items=entries(most=10),
    foreseen=st.sampled_from(["nothing stored", "everything stored"]),
    approval=st.booleans(),
    cutoff=st.sampled_from([None, CUTOFF]),
)
def test_posts_composed_ahead_against_a_stale_view_store_as_one_at_a_time_does(
    before: list[Item],
    items: list[Item],
    foreseen: str,
    approval: bool,
    cutoff: datetime | None,
) -> None:
    # A batch's posts are composed before its transaction, from which ids looked stored then;
    # another process may store or purge some in between. Whatever was foreseen, the batch
    # must end as one at a time leaves it.
    settings = APPROVAL if approval else PLAIN
    start = open_db(":memory:")
    reference_store_entries(start, PLAIN, before, NOW, AppealFeedChanges(PLAIN), batch_size=5)
    expected_db, actual_db = clone(start), clone(start)
    expected = run(
        reference_store_entries, expected_db, settings, items, batch_size=100, cutoff=cutoff
    )
    stored = set() if foreseen == "nothing stored" else set(IDS)
    draft = settings.require_approval
    plans = _plan_ahead(settings, items, stored, NOW, cutoff, draft)
    with immediate(actual_db):
        counts = _store_in_bulk(
            actual_db, settings, items, NOW, AppealFeedChanges(settings), cutoff, None, plans
        )
    assert dict(counts) == expected
    assert dump(actual_db) == dump(expected_db)


@pytest.mark.parametrize("refused", [None, "n0", "n120", "n149"])
def test_a_big_batch_stores_as_one_at_a_time_does(refused: str | None) -> None:
    # Rows go to SQLite a hundred to a statement: a batch of 150 entries (300 posts) spans
    # several statements per table, with a short last one; a row refused in any of them undoes
    # the batch, which is then stored one entry at a time.
    items = [
        make_item(n, id=f"n{n}", urgent=n % 7 == 0, categories=("child",) if n % 3 else ())
        for n in range(150)
    ]
    start = open_db(":memory:")
    if refused is not None:
        start.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON posts WHEN NEW.item_id = '{refused}'"
            f" BEGIN SELECT RAISE(ABORT, 'cannot queue {refused}'); END"
        )
    expected_db, actual_db = clone(start), clone(start)
    expected = run(reference_store_entries, expected_db, PLAIN, items, batch_size=500)
    ran = statements(actual_db)
    assert run(store_entries, actual_db, PLAIN, items, batch_size=500) == expected
    assert dump(actual_db) == dump(expected_db)
    # Stored in bulk unless refused (one at a time, each entry in a savepoint, would hide a
    # bulk insert that went wrong by falling back to the reference's own way).
    assert any(sql.startswith("SAVEPOINT") for sql in ran) == (refused is not None)


def test_new_entries_go_in_bulk_under_the_variable_limit_of_sqlite_before_3_32() -> None:
    # SQLite before 3.32.0 (Ubuntu 20.04's 3.31, RHEL 8's 3.26), and builds that lower
    # SQLITE_MAX_VARIABLE_NUMBER, allow 999 ``?`` a statement: a hundred items of 19 columns
    # (1,900) would be refused with "too many SQL variables", and every batch of more than 52
    # new entries stored again one entry at a time, silently slower.
    db = open_db(":memory:")
    db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    ran = statements(db)
    items = [make_item(n, id=f"n{n}") for n in range(60)]
    assert store_entries(db, PLAIN, items, NOW, AppealFeedChanges(PLAIN)) == {"new": 60}
    assert not any(sql.startswith("SAVEPOINT") for sql in ran), "fell back to one at a time"
