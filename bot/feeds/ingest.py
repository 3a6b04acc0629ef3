"""Polling the feeds into the items table and the queue: the first step of the flow.

Each feed is fetched with its stored ETag/Last-Modified, parsed, and its entries upserted by id.
A new entry is queued once per platform; a changed entry updates its item (and the text of posts
not yet sent) but is never queued again. What an appeal's change means (closing it everywhere,
reopening it, taking a thank-you down) is not decided here: each change is reported to a
:class:`FeedChanges` that the caller passes in (the appeals wing's, wired by
:mod:`bot.polling`), inside the same transaction as the entry, so a found appeal is stored and
withdrawn together or not at all. A feed that fails leaves its items untouched, records why on
its row, and the other feeds carry on.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

import sqlite_utils

from bot.core import events
from bot.core.clock import to_iso
from bot.core.db import CommitBehind, immediate, is_busy
from bot.core.errors import FeedError
from bot.core.gc_pause import collector_paused
from bot.core.net import NetPolicy
from bot.core.settings import Settings
from bot.feeds.fetch import FeedRules, FetchResult, ParsedFeed, fetch_feed, parse_feed
from bot.feeds.identity import keep_stored_ids
from bot.feeds.items import CLOSED_STATUSES, Item, Kind
from bot.posts.planner import plan_posts, post_content
from bot.posts.queue import PlannedPost, enqueue, store_item, store_new_items

log = logging.getLogger("appeal_bot")

# Items stored per write transaction in a poll: for typical entries about 50 ms of work,
# composing included. Each commit writes the pages it changed to the WAL again (index pages,
# the tables' last pages), so 500 writes an eighth fewer pages than 250 in a first poll; much
# more and a batch outgrows SQLite's default 2 MB page cache and spills to the WAL mid-way.
STORE_BATCH = 500

# A feed whose text may be wrong: its new entries' drafts say why on the approval page.
_NOTE_DRAFTS = "UPDATE posts SET last_error = ? WHERE item_id = ? AND status = 'draft'"


@dataclass(frozen=True)
class FeedReport:
    """One feed's poll, for the CLI and the log."""

    url: str
    kind: str
    outcome: str  # "ok", "not_modified" or "error"
    new: int = 0
    updated: int = 0
    closed: int = 0
    error: str | None = None
    # Recorded but not queued: older than FEED_MAX_AGE_DAYS at the feed's first poll.
    old: int = 0
    notice: str | None = None


# What a stored entry's change means for its appeal, reported to :class:`FeedChanges`:
# - "first_seen_closed": new to the bot, already found or withdrawn on the site;
# - "closed": an open appeal the site now says is found or withdrawn;
# - "reopened": a closed appeal the site says is missing again;
# - "found_to_withdrawn": a found appeal changed to withdrawn (its thank-you must come down).
ChangeKind = Literal["first_seen_closed", "closed", "reopened", "found_to_withdrawn"]


@dataclass(frozen=True)
class EntryChange:
    """One stored entry whose appeal changed state, as the feed says it."""

    kind: ChangeKind
    item: Item
    previous_status: str | None


class FeedChanges(Protocol):
    """Who acts on what a poll found. Both calls run inside the poll's write transaction."""

    def entry_changed(self, db: sqlite_utils.Database, change: EntryChange, now: datetime) -> None:
        """Act on one entry's change, through ``db`` only: the batch's transaction may be rolled
        back and the change reported again (see :func:`store_entries`)."""

    def feed_seen(
        self, db: sqlite_utils.Database, url: str, ids: Sequence[str], now: datetime
    ) -> int:
        """A complete, well-formed appeals feed listed exactly ``ids``; how many appeals closed."""


def feeds_of(settings: Settings) -> list[tuple[str, Kind]]:
    return [(url, "appeal") for url in settings.appeals_feed_urls] + [
        (url, "news") for url in settings.news_feed_urls
    ]


def poll_feeds(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    net: NetPolicy | None = None,
    *,
    changes: FeedChanges,
) -> list[FeedReport]:
    """Poll every configured feed once, reporting appeals' changes to ``changes``.

    Each feed on its own: whatever goes wrong with one (a fault storing an entry, the database
    locked past its timeout) is reported on its row and in the log, and the others carry on, so
    an appeal found in one feed is still taken down when another feed fails.
    """
    net = net or NetPolicy.from_settings(settings, settings.feed_max_bytes)
    rules = FeedRules.from_settings(settings)
    reports = []
    for url, kind in feeds_of(settings):
        try:
            reports.append(poll_feed(db, settings, url, kind, rules, net, now, changes))
        except Exception as error:
            if is_busy(error):
                raise  # every feed would wait as long: the caller says "locked, try again"
            log.debug("poll of %s failed", url, exc_info=True)  # for a developer, LOG_LEVEL=DEBUG
            reports.append(_poll_failed(db, url, kind, error, now))
    return reports


def _poll_failed(
    db: sqlite_utils.Database, url: str, kind: Kind, error: Exception, now: datetime
) -> FeedReport:
    """Record an unexpected failure on the feed's row and in the log (one line either way)."""
    reason = f"could not be stored ({type(error).__name__}: {error}); it is tried again next poll"
    try:
        db.execute(
            "UPDATE feeds SET last_polled_at = ?, last_error = ?, last_error_at = ?,"
            " failures_in_a_row = failures_in_a_row + 1 WHERE url = ?",
            [to_iso(now), reason, to_iso(now), url],
        )
        events.record(db, "fetch", "error", f"{url} {reason}", now=now)
    except sqlite3.Error:  # the database itself is the trouble: the log still says so
        log.error("fetch error %s %s", url, reason)
    return FeedReport(url, kind, "error", error=reason)


def poll_feed(
    db: sqlite_utils.Database,
    settings: Settings,
    url: str,
    kind: Kind,
    rules: FeedRules,
    net: NetPolicy,
    now: datetime,
    changes: FeedChanges,
) -> FeedReport:
    db.execute("INSERT OR IGNORE INTO feeds (url, kind) VALUES (?, ?)", [url, kind])
    etag, last_modified, body_hash, first_poll = db.execute(
        "SELECT etag, last_modified, body_hash, last_success_at IS NULL FROM feeds WHERE url = ?",
        [url],
    ).fetchone()
    try:
        fetched = fetch_feed(url, etag, last_modified, net)
        digest = hashlib.sha256(fetched.body).hexdigest() if fetched.body is not None else None
        # Many charity sites answer every request in full: an identical body is as good as a 304.
        unchanged = digest is not None and digest == body_hash
        if fetched.status == "not_modified" or unchanged:
            notice = _feed_notice(db, url, fetched, None, now)
            closed = 0
            if unchanged and kind == "appeal" and settings.withdraw_when_missing_from_feed:
                # Still a complete poll listing what the last one listed: an appeal gone from
                # the site keeps counting towards WITHDRAW_WHEN_MISSING_FROM_FEED.
                closed = changes.feed_seen(db, url, _listed_last_time(db, url), now)
            db.execute(
                "UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,"
                " failures_in_a_row = 0, etag = coalesce(?, etag),"
                " last_modified = coalesce(?, last_modified) WHERE url = ?",
                [to_iso(now), to_iso(now), fetched.etag, fetched.last_modified, url],
            )
            return FeedReport(url, kind, "not_modified", closed=closed, notice=notice)
        parsed = parse_feed(
            fetched.body or b"",
            url,
            kind,
            rules,
            content_type=fetched.content_type,
            base_url=fetched.final_url,
        )
    except FeedError as error:
        db.execute(
            "UPDATE feeds SET last_polled_at = ?, last_error = ?, last_error_at = ?,"
            " failures_in_a_row = failures_in_a_row + 1 WHERE url = ?",
            [to_iso(now), error.reason, to_iso(now), url],
        )
        events.record(db, "fetch", "error", str(error), now=now)
        return FeedReport(url, kind, "error", error=error.reason)

    stored_ids = [row[0] for row in db.execute("SELECT id FROM items WHERE feed_url = ?", [url])]
    items, renamed = keep_stored_ids(parsed.items, stored_ids)
    if renamed:
        new_id, old_id = renamed[0]
        events.record(
            db,
            "fetch",
            "ok",
            f"{url} changed the ids of {len(renamed)} entries (e.g. {old_id} is now {new_id}):"
            " kept as the appeals already stored, nothing queued again",
            now=now,
        )
    cutoff = _old_before(settings, now) if first_poll else None
    counts = store_entries(db, settings, items, now, changes, cutoff=cutoff, note=parsed.note)
    new, updated, closed = counts["new"], counts["updated"] + counts["closed"], counts["closed"]
    if kind == "appeal" and parsed.complete and settings.withdraw_when_missing_from_feed:
        # Only a complete, well-formed, non-empty poll is evidence that an appeal was taken down.
        closed += changes.feed_seen(db, url, [item.id for item in items], now)
    notice = _feed_notice(db, url, fetched, parsed, now)
    if not parsed.complete or parsed.note:
        digest = None  # a body read with a workaround is read again, never taken as known
    # Validators are saved only after a good parse: a 304 must never hide a feed we failed to read.
    db.execute(
        "UPDATE feeds SET etag = ?, last_modified = ?, last_polled_at = ?, last_success_at = ?,"
        " last_error = NULL, failures_in_a_row = 0, entries = ?, body_hash = ? WHERE url = ?",
        [fetched.etag, fetched.last_modified, to_iso(now), to_iso(now), len(items), digest, url],
    )
    if new or updated or closed or counts["old"]:
        old = f", {counts['old']} older than {settings.feed_max_age_days} days not queued"
        events.record(
            db,
            "fetch",
            "ok",
            f"{url}: {new} new, {updated} updated, {closed} closed"
            + (old if counts["old"] else ""),
            now=now,
        )
    if parsed.note and new:
        events.record(
            db, "fetch", "held", f"{url}: {new} new held as drafts: {parsed.note}", now=now
        )
    return FeedReport(
        url,
        kind,
        "ok",
        new=new,
        updated=updated,
        closed=closed,
        old=counts["old"],
        notice=notice,
    )


def _listed_last_time(db: sqlite_utils.Database, url: str) -> list[str]:
    """The open appeals of the feed that its last parsed body listed (none missing since)."""
    rows = db.execute(
        "SELECT id FROM items WHERE feed_url = ? AND kind = 'appeal' AND source = 'feed'"
        " AND closed_at IS NULL AND purged_at IS NULL AND missing_polls = 0",
        [url],
    )
    return [row[0] for row in rows]


def _old_before(settings: Settings, now: datetime) -> datetime | None:
    days = settings.feed_max_age_days
    return now - timedelta(days=days) if days else None


def _feed_notice(
    db: sqlite_utils.Database,
    url: str,
    fetched: FetchResult,
    parsed: ParsedFeed | None,
    now: datetime,
) -> str | None:
    """What the operator must know about the feed, kept on its row for ``status`` and logged
    once when it changes. An unchanged body (``parsed`` None) keeps the parse's part of it."""
    previous = db.execute("SELECT notice FROM feeds WHERE url = ?", [url]).fetchone()[0]
    parts = []
    if fetched.moved_to:
        parts.append(
            f"moved permanently to {fetched.moved_to}: put that address in the settings"
            " (APPEALS_FEED_URL or NEWS_FEED_URL)"
        )
    if parsed is None:
        kept = [p for p in (previous or "").split("; ") if p and not p.startswith("moved ")]
        parts.extend(kept)
    elif parsed.shared_ids:
        shown = ", ".join(parsed.shared_ids[:3])
        parts.append(
            f"{len(parsed.shared_ids)} id(s) shared by different entries ({shown}):"
            " each kept, told apart by link and title; ask the webmaster to fix the feed's guids"
        )
    notice = "; ".join(parts) or None
    if notice != previous:
        db.execute("UPDATE feeds SET notice = ? WHERE url = ?", [notice, url])
        if notice:
            events.record(db, "fetch", "warning", f"{url} {notice}", now=now)
    return notice


def store_entries(
    db: sqlite_utils.Database,
    settings: Settings,
    items: Sequence[Item],
    now: datetime,
    changes: FeedChanges,
    *,
    cutoff: datetime | None = None,
    note: str | None = None,
    batch_size: int = STORE_BATCH,
) -> Counter[str | None]:
    """Store a feed's entries (see :func:`store_entry`); how many were new, updated, closed,
    and "old" (new, but published before ``cutoff``, so recorded and not queued).

    ``batch_size`` entries per transaction: a commit per entry costs more than the rest of a
    first poll of a big feed, while a batch never holds the write lock long enough to delay a
    slot. Each entry is all or nothing; if one fails, the entries before it are kept and the
    error goes on up, so the poll saves no validators and the next one tries it again. The
    database ends exactly as :func:`store_entry` on each entry in turn leaves it.

    The posts of a batch's new entries are composed before its transaction begins, so the write
    lock is held only to write them; the next batch's are composed while the previous one
    commits (:class:`~bot.core.db.CommitBehind`).
    """
    counts: Counter[str | None] = Counter()
    batches = [items[start : start + batch_size] for start in range(0, len(items), batch_size)]
    draft = settings.require_approval or note is not None
    # Thousands of posts made and stored, no cycles among them (see collector_paused).
    with collector_paused(), CommitBehind(db) as committer:
        stored = _look_ahead(db, batches[0]) if batches else None
        for number, batch in enumerate(batches):
            # Composed outside any transaction, for the entries that look new; the transaction
            # decides again which are, and composes any this could not foresee.
            plans = _plan_ahead(settings, batch, stored, now, cutoff, draft)
            committer.wait()
            following = batches[number + 1] if number + 1 < len(batches) else ()
            db.execute("BEGIN IMMEDIATE")
            try:
                done = _store_in_bulk(db, settings, batch, now, changes, cutoff, note, plans)
                stored = _look_ahead(db, following)  # in the transaction: sees this batch's ids
            except BaseException as error:
                if db.conn.in_transaction:
                    db.rollback()
                if not isinstance(error, _BulkFailed):
                    raise
                # The whole batch is undone; one entry at a time keeps those before the one that
                # fails and raises its error (or stores them all, if the trouble has passed).
                _store_one_at_a_time(db, settings, batch, now, changes, counts, cutoff, note)
                stored = _look_ahead(db, following)
                continue
            committer.commit()  # while the next batch is composed
            counts.update(done)  # a failed commit raises (at the next wait) before they are told
    return counts


def _look_ahead(db: sqlite_utils.Database, batch: Sequence[Item]) -> set[str] | None:
    """Which of ``batch``'s ids the items table holds, for :func:`_plan_ahead`; None if that
    cannot be read. Only a hint (the batch's transaction decides again), so a failure to read
    it must not fail the batch being stored: then nothing is composed ahead."""
    try:
        return _stored_ids(db, [item.id for item in batch])
    except sqlite3.Error:
        return None


def _plan_ahead(
    settings: Settings,
    batch: Sequence[Item],
    stored: set[str] | None,
    now: datetime,
    cutoff: datetime | None,
    draft: bool,
) -> dict[int, list[PlannedPost]]:
    """The posts of each entry of ``batch`` that :func:`_store_new` would queue if the database
    held just the ids in ``stored``, keyed by ``id(item)`` (the batch keeps each item alive, and
    two entries may share an id and differ): those it would store in bulk (see :func:`_runs`),
    open and not older than ``cutoff``.

    Composing is pure, so posts composed here are the ones :func:`_store_new` would compose
    itself; it uses them only for entries it stores in bulk, whatever the database holds by
    then. An entry whose composing fails is left out, to be composed in the transaction, where
    its error is handled as one entry's failure. None for ``stored`` (not known): none."""
    plans: dict[int, list[PlannedPost]] = {}
    if stored is None:
        return plans
    seen = set(stored)
    for item in batch:
        new = item.id not in seen
        seen.add(item.id)
        if new and not item.is_closed and not _older_than(item, cutoff):
            try:
                plans[id(item)] = plan_posts(item, settings, now, draft=draft)
            except Exception:  # composed again in the transaction, which handles its error
                continue
    return plans


class _BulkFailed(Exception):
    """Storing a batch in bulk raised (the cause): its transaction is to be rolled back."""


def _store_in_bulk(
    db: sqlite_utils.Database,
    settings: Settings,
    batch: Sequence[Item],
    now: datetime,
    changes: FeedChanges,
    cutoff: datetime | None,
    note: str | None,
    plans: dict[int, list[PlannedPost]],
) -> Counter[str | None]:
    """Store ``batch`` inside the caller's transaction; what each entry was. Raises
    :class:`_BulkFailed` if anything fails, leaving the caller to roll it all back.

    Runs of entries new to the database and to the batch, and open, go in a few statements
    (:func:`_store_new`, with the posts in ``plans`` where :func:`_plan_ahead` composed them);
    the others (updates, repeated ids, closed appeals, whose changes are reported) by
    :func:`store_entry`, in feed order, so ids and events come out as one at a time gives them.
    No savepoint per entry or run: SQLite copies every page a savepoint changes aside, which
    made up a third of a first poll's storing.
    """
    counts: Counter[str | None] = Counter()
    try:
        stored = _stored_ids(db, [item.id for item in batch])
        for bulk, run in _runs(batch, stored):
            if bulk:
                counts.update(_store_new(db, settings, run, now, cutoff, note, plans))
            else:
                for item in run:
                    counts[
                        store_entry(db, settings, item, now, changes, cutoff=cutoff, note=note)
                    ] += 1
    except Exception as error:
        raise _BulkFailed from error
    return counts


def _store_one_at_a_time(
    db: sqlite_utils.Database,
    settings: Settings,
    batch: Sequence[Item],
    now: datetime,
    changes: FeedChanges,
    counts: Counter[str | None],
    cutoff: datetime | None,
    note: str | None,
) -> None:
    """Store ``batch`` in one transaction, each entry in its own savepoint, adding to
    ``counts``. Raises the first entry's error, after committing the entries before it."""
    failure: Exception | None = None
    with immediate(db):
        for item in batch:
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


def _stored_ids(db: sqlite_utils.Database, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` the items table holds (a batch: well within SQLite's 32,766 ``?``)."""
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    return {row[0] for row in db.execute(f"SELECT id FROM items WHERE id IN ({marks})", ids)}


def _runs(batch: Sequence[Item], stored: set[str]) -> list[tuple[bool, list[Item]]]:
    """``batch`` in order, cut into runs that can go in bulk (True: new to ``stored`` and to
    the batch, and open) and runs that cannot (False). Adds the batch's ids to ``stored``."""
    runs: list[tuple[bool, list[Item]]] = []
    for item in batch:
        bulk = item.id not in stored and not item.is_closed
        stored.add(item.id)
        if runs and runs[-1][0] == bulk:
            runs[-1][1].append(item)
        else:
            runs.append((bulk, [item]))
    return runs


def _store_new(
    db: sqlite_utils.Database,
    settings: Settings,
    run: Sequence[Item],
    now: datetime,
    cutoff: datetime | None,
    note: str | None,
    plans: dict[int, list[PlannedPost]],
) -> Counter[str | None]:
    """Store open entries new to the database as :func:`store_entry` would, in a few
    statements; what each was ("new", "old" or None when nothing was queued). ``plans``: posts
    composed ahead (:func:`_plan_ahead`), used where given.

    Raises what storing raises (:class:`sqlite3.IntegrityError` if an id turns out to be
    stored already, or a post queued), leaving the caller to roll back.
    """
    counts: Counter[str | None] = Counter()
    draft = settings.require_approval or note is not None
    entries: list[tuple[Item, list[PlannedPost]]] = []
    for item in run:
        if _older_than(item, cutoff):
            entries.append((item, []))
            counts["old"] += 1
        else:
            planned = plans.get(id(item))
            if planned is None:
                planned = plan_posts(item, settings, now, draft=draft)
            entries.append((item, planned))
            counts["new" if planned else None] += 1
    store_new_items(db, entries, now)
    if note is not None:
        db.conn.executemany(_NOTE_DRAFTS, [(note, item.id) for item, planned in entries if planned])
    return counts


def _older_than(item: Item, cutoff: datetime | None) -> bool:
    """Whether a new entry is a backlog entry: published (or updated) before ``cutoff``."""
    published = item.published_at or item.updated_at
    return cutoff is not None and published is not None and published < cutoff


def store_entry(
    db: sqlite_utils.Database,
    settings: Settings,
    item: Item,
    now: datetime,
    changes: FeedChanges,
    *,
    cutoff: datetime | None = None,
    note: str | None = None,
) -> str | None:
    """Store one feed entry: "new", "updated", "closed", "old" or None (nothing changed).

    New: its posts are queued (as drafts, with ``note`` as their last error, when the feed's
    text may be wrong). Published before ``cutoff`` (a backlog at a feed's first poll): stored,
    never queued, "old". Changed: posts not yet sent get the new text, and an appeal's change
    of state (closed, reopened…) is reported to ``changes``. Never queued twice.
    """
    result = store_item(db, item, now)
    if result.new:
        if _older_than(item, cutoff):
            if item.is_closed:
                changes.entry_changed(db, EntryChange("first_seen_closed", item, None), now)
            return "old"
        draft = settings.require_approval or note is not None
        planned = plan_posts(item, settings, now, draft=draft)
        queued = enqueue(db, item.id, planned, now)
        if queued and note is not None:
            db.execute(_NOTE_DRAFTS, [note, item.id])
        if item.is_closed:
            # First seen already found: nothing was queued, but it must be recorded as closed.
            changes.entry_changed(db, EntryChange("first_seen_closed", item, None), now)
        return "new" if queued else None
    if not result.changed:
        return None
    previous = result.previous_status
    if item.is_closed and previous not in ("found", "withdrawn"):
        changes.entry_changed(db, EntryChange("closed", item, previous), now)
        return "closed"
    if not item.is_closed and previous in CLOSED_STATUSES:
        changes.entry_changed(db, EntryChange("reopened", item, previous), now)
    elif item.status == "withdrawn" and previous == "found":
        changes.entry_changed(db, EntryChange("found_to_withdrawn", item, previous), now)
    refresh_unsent_text(db, item, settings)
    return "updated"


def refresh_unsent_text(db: sqlite_utils.Database, item: Item, settings: Settings) -> None:
    """An edited entry refreshes its waiting posts' text, unless a person edited them."""
    rows = db.execute(
        "SELECT id, platform FROM posts WHERE item_id = ? AND status IN ('queued', 'draft')"
        " AND edited = 0",
        [item.id],
    ).fetchall()
    for post_id, platform in rows:
        text, link = post_content(item, settings, platform)
        db.execute(
            "UPDATE posts SET text = ?, link = ?, image_url = ? WHERE id = ? AND status IN"
            " ('queued', 'draft')",
            [text, link, item.image_url, post_id],
        )
