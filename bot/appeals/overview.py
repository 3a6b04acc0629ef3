"""Appeals as the comms team looks them up: each one's state in words, where it went out, its
thank-you, and a search over them by name, id, region, state and date, a page at a time.

Read-only. The state words come from three columns: ``closed_at`` (set by any withdrawal),
``status`` (the appeal's own: "found" once a person or the feed says so, "withdrawn" when the
feed says so) and ``close_reason`` (a withdrawal because the appeal left the feed says so, see
:data:`bot.appeals.withdrawal.LEFT_FEED_REASON`). Anything else closed was closed by a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

import sqlite_utils

from bot.appeals.thanks import THANKS_SUFFIX
from bot.appeals.withdrawal import LEFT_FEED_REASON
from bot.core.clock import to_iso
from bot.posts.regions import region_key

State = Literal["missing", "found", "withdrawn", "closed by hand"]
STATES: tuple[State, ...] = ("missing", "found", "withdrawn", "closed by hand")
PAGE_SIZE = 20

# One SQL condition per state word, over the ``items`` row aliased ``i``; together they cover
# every appeal exactly once (tested), so a filter and the word on a card never disagree.
_LEFT_FEED = f"COALESCE(i.close_reason, '') LIKE '{LEFT_FEED_REASON}%'"
STATE_SQL: dict[State, str] = {
    "missing": "i.closed_at IS NULL",
    "found": "i.closed_at IS NOT NULL AND i.status = 'found'",
    "withdrawn": (
        "i.closed_at IS NOT NULL AND COALESCE(i.status, '') != 'found'"
        f" AND (i.status = 'withdrawn' OR {_LEFT_FEED})"
    ),
    "closed by hand": (
        "i.closed_at IS NOT NULL AND COALESCE(i.status, '') NOT IN ('found', 'withdrawn')"
        f" AND NOT {_LEFT_FEED}"
    ),
}


def appeal_state(closed_at: str | None, status: str | None, close_reason: str | None) -> State:
    """The word for an appeal's state (the Python twin of :data:`STATE_SQL`)."""
    if closed_at is None:
        return "missing"
    if status == "found":
        return "found"
    if status == "withdrawn" or (close_reason or "").startswith(LEFT_FEED_REASON):
        return "withdrawn"
    return "closed by hand"


@dataclass(frozen=True)
class Place:
    """One post of an appeal: a platform (and Facebook page), its state, and its live link."""

    post_id: int
    platform: str
    target: str
    status: str
    remote_url: str | None
    sent_at: str | None
    scheduled_at: str
    # Why it went out without its photo ("sent without photo"), else None.
    degraded: str | None = None
    # Why its photo will not go, found before sending (bot/sending/photo_check.py), else None.
    photo_problem: str | None = None


@dataclass(frozen=True)
class AppealCard:
    """What one appeal's card shows. Times are stored UTC text (shown in TIMEZONE by the page)."""

    id: str
    title: str
    summary: str
    link: str | None
    image_url: str | None
    alt_text: str
    urgent: bool
    region: str | None
    state: State
    first_seen_at: str
    closed_at: str | None
    close_reason: str | None
    purged: bool
    places: list[Place] = field(default_factory=list)
    thanks: str = ""  # "", "waiting for approval", "queued", "posted", "taken down"
    thanks_places: list[Place] = field(default_factory=list)

    @property
    def live(self) -> list[Place]:
        """Posts up on a platform now: the ones a withdrawal deletes."""
        return [p for p in self.places if p.status == "sent"]

    @property
    def waiting(self) -> list[Place]:
        """Posts not out yet: the ones a withdrawal cancels."""
        return [p for p in self.places if p.status in ("draft", "queued", "failed")]

    @property
    def sending(self) -> list[Place]:
        """Posts going out this moment: deleted as soon as the platform confirms them."""
        return [p for p in self.places if p.status == "sending"]

    def count(self, *statuses: str) -> int:
        return sum(1 for p in self.places if p.status in statuses)


@dataclass(frozen=True)
class AppealQuery:
    """A search over appeals. ``since``/``until`` are local dates (TIMEZONE) the appeal was
    first seen on, both ends included; ``page`` counts from 1."""

    text: str = ""
    state: State | None = None
    region: str | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1


@dataclass(frozen=True)
class AppealPage:
    cards: list[AppealCard]
    total: int
    page: int
    pages: int


def thanks_state(statuses: list[str]) -> str:
    """A found appeal's thank-you update in words, from the statuses of its posts."""
    if not statuses:
        return ""
    if "sent" in statuses:
        return "posted"
    if "draft" in statuses:
        return "waiting for approval"
    if any(s in ("queued", "sending", "failed") for s in statuses):
        return "queued"
    return "taken down"


def _where(query: AppealQuery, zone: tzinfo) -> tuple[str, list[Any]]:
    clauses = ["i.kind = 'appeal'"]
    params: list[Any] = []
    text = query.text.strip()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(i.title LIKE ? ESCAPE '\\' OR i.id LIKE ? ESCAPE '\\'"
            " OR COALESCE(i.region, '') LIKE ? ESCAPE '\\')"
        )
        params += [like, like, like]
    if query.state:
        clauses.append(f"({STATE_SQL[query.state]})")
    if query.region:
        clauses.append("region_key(i.region) = ?")
        params.append(region_key(query.region))
    if query.since:
        clauses.append("i.first_seen_at >= ?")
        params.append(to_iso(datetime.combine(query.since, time(), zone)))
    if query.until:
        clauses.append("i.first_seen_at < ?")
        params.append(to_iso(datetime.combine(query.until + timedelta(days=1), time(), zone)))
    return " AND ".join(clauses), params


def known_regions(db: sqlite_utils.Database, configured: list[str]) -> list[str]:
    """Every region the settings name or an appeal has, one name per region (the configured
    name first) under :func:`bot.posts.regions.region_key`'s rule, for a filter's choices."""
    names: dict[str, str] = {}
    for name in configured:
        names.setdefault(region_key(name), name)
    for (name,) in db.execute(
        "SELECT DISTINCT region FROM items WHERE kind = 'appeal' AND region IS NOT NULL"
    ):
        if region_key(name):
            names.setdefault(region_key(name), name)
    return sorted(names.values(), key=region_key)


def find_appeals(db: sqlite_utils.Database, query: AppealQuery, zone: tzinfo) -> AppealPage:
    """One page of the appeals matching ``query``: open ones first, then newest first."""
    db.conn.create_function("region_key", 1, region_key, deterministic=True)
    where, params = _where(query, zone)
    total = db.execute(f"SELECT COUNT(*) FROM items i WHERE {where}", params).fetchone()[0]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    cards = _cards(db, where, params, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return AppealPage(cards, total, page, pages)


def get_card(db: sqlite_utils.Database, item_id: str) -> AppealCard | None:
    """One appeal's card, or None when there is no appeal ``item_id``."""
    cards = _cards(db, "i.kind = 'appeal' AND i.id = ?", [item_id], 1, 0)
    return cards[0] if cards else None


def _cards(
    db: sqlite_utils.Database, where: str, params: list[Any], limit: int, offset: int
) -> list[AppealCard]:
    rows = db.execute(
        "SELECT i.id, i.title, i.summary, i.link, i.image_url, i.image_alt, i.urgent, i.region,"
        " i.status, i.first_seen_at, i.closed_at, i.close_reason, i.purged_at"
        f" FROM items i WHERE {where}"
        " ORDER BY i.closed_at IS NOT NULL, i.first_seen_at DESC, i.id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    ids = [row[0] for row in rows]
    places = _places(db, ids + [i + THANKS_SUFFIX for i in ids])
    return [
        AppealCard(
            id=item_id,
            title=title,
            summary=summary,
            link=link,
            image_url=image_url,
            alt_text=image_alt or f"Photo of {title}",
            urgent=bool(urgent),
            region=region,
            state=appeal_state(closed_at, status, reason),
            first_seen_at=first_seen,
            closed_at=closed_at,
            close_reason=reason,
            purged=purged is not None,
            places=places.get(item_id, []),
            thanks=thanks_state([p.status for p in places.get(item_id + THANKS_SUFFIX, [])]),
            thanks_places=places.get(item_id + THANKS_SUFFIX, []),
        )
        for (
            item_id, title, summary, link, image_url, image_alt, urgent, region, status,
            first_seen, closed_at, reason, purged,
        ) in rows
    ]  # fmt: skip


def _places(db: sqlite_utils.Database, item_ids: list[str]) -> dict[str, list[Place]]:
    if not item_ids:
        return {}
    marks = ", ".join("?" * len(item_ids))
    result: dict[str, list[Place]] = {}
    for row in db.execute(
        "SELECT item_id, id, platform, target, status, remote_url, sent_at, scheduled_at, degraded,"
        " CASE WHEN status IN ('draft', 'queued') THEN photo_problem END"
        f" FROM posts WHERE item_id IN ({marks}) ORDER BY platform DESC, target, round, id",
        item_ids,
    ):
        result.setdefault(row[0], []).append(Place(*row[1:]))
    return result
