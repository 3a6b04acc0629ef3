"""How far each appeal travelled: totals per appeal and platform, the week's top appeals, share
counts over time and per week, as rows for a table, JSON or CSV, and series for
:mod:`bot.shares.plots`.

Read-only over the ``metrics`` rows that :mod:`bot.shares.metrics` stores. A post's count at a
moment is its latest reading at or before that moment, and 0 before its first reading: counts only
ever come from readings, never from guesses between them. "Shares in the last 7 days" is
therefore the latest count minus the count a week ago, and a post first read within the week
credits all its shares to the week.

An appeal posted on several pages or rounds on one platform adds up their posts: the comms team
asks "how often was Sam's appeal shared on Facebook", not "on which copy".
"""

from __future__ import annotations

import csv
import io
import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import sqlite_utils

from bot.core.clock import from_iso, to_iso
from bot.core.display import shorten, table

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Reading:
    """One stored reading of one post."""

    taken_at: datetime
    shares: int
    quotes: int
    likes: int
    replies: int
    impressions: int | None


@dataclass
class PostHistory:
    """A sent post and its readings, oldest first."""

    post_id: int
    item_id: str
    platform: str
    title: str
    kind: str
    closed: bool
    sent_at: datetime
    readings: list[Reading]

    def at(self, moment: datetime) -> Reading | None:
        """The latest reading at or before ``moment``; None before the first."""
        index = bisect_right([r.taken_at for r in self.readings], moment)
        return self.readings[index - 1] if index else None

    def shares_at(self, moment: datetime) -> int:
        reading = self.at(moment)
        return reading.shares if reading else 0


def load_histories(
    db: sqlite_utils.Database, item_ids: Iterable[str] | None = None
) -> list[PostHistory]:
    """Every post that was ever sent (deleted ones too: their shares happened), with readings."""
    where, params = "p.sent_at IS NOT NULL", []
    wanted = list(item_ids) if item_ids is not None else None
    if wanted is not None:
        if not wanted:
            return []
        where += f" AND p.item_id IN ({', '.join('?' * len(wanted))})"
        params = wanted
    posts = {
        row["id"]: PostHistory(
            post_id=row["id"],
            item_id=row["item_id"],
            platform=row["platform"],
            title=row["title"] or row["item_id"],
            kind=row["kind"],
            closed=row["closed_at"] is not None,
            sent_at=from_iso(row["sent_at"]),
            readings=[],
        )
        for row in db.query(
            "SELECT p.id, p.item_id, p.platform, p.sent_at, i.title, i.kind, i.closed_at"
            f" FROM posts p JOIN items i ON i.id = p.item_id WHERE {where} ORDER BY p.id",
            params,
        )
    }
    if not posts:
        return []
    for row in db.query(
        "SELECT m.post_id, m.taken_at, m.shares, m.quotes, m.likes, m.replies, m.impressions"
        f" FROM metrics m JOIN posts p ON p.id = m.post_id WHERE {where}"
        " ORDER BY m.taken_at, m.id",
        params,
    ):
        history = posts.get(row["post_id"])
        if history is not None:
            history.readings.append(
                Reading(
                    from_iso(row["taken_at"]),
                    row["shares"],
                    row["quotes"],
                    row["likes"],
                    row["replies"],
                    row["impressions"],
                )
            )
    return list(posts.values())


# --- totals per appeal and platform ----------------------------------------------------------
@dataclass(frozen=True)
class AppealStats:
    """One appeal on one platform: its posts' latest counts added up."""

    item_id: str
    title: str
    kind: str
    platform: str
    closed: bool
    posts: int
    shares: int
    shares_7d: int
    quotes: int
    likes: int  # X likes, Facebook reactions
    replies: int  # X replies, Facebook comments
    impressions: int | None  # None when the platform never said (Facebook)
    latest_reading_at: datetime | None
    latest_reading_age: timedelta | None


@dataclass(frozen=True)
class TopAppeal:
    item_id: str
    title: str
    shares_7d: int
    shares: int


@dataclass(frozen=True)
class StatsReport:
    generated_at: datetime
    appeals: list[AppealStats]
    top: list[TopAppeal]


def appeal_stats(histories: Sequence[PostHistory], now: datetime) -> list[AppealStats]:
    """Per (appeal, platform): appeals in the order they were first posted, then platforms by
    name. Pure."""
    first_sent: dict[str, datetime] = {}
    for history in histories:
        first_sent[history.item_id] = min(first_sent.get(history.item_id, now), history.sent_at)
    groups: dict[tuple[str, str], list[PostHistory]] = defaultdict(list)
    for history in sorted(
        histories,
        key=lambda h: (first_sent[h.item_id], h.item_id, h.platform, h.sent_at, h.post_id),
    ):
        groups[(history.item_id, history.platform)].append(history)
    rows = []
    for (item_id, platform), posts in groups.items():
        latest = [r for r in (p.at(now) for p in posts) if r is not None]
        impressions = [r.impressions for r in latest if r.impressions is not None]
        newest = max((r.taken_at for r in latest), default=None)
        rows.append(
            AppealStats(
                item_id=item_id,
                title=posts[0].title,
                kind=posts[0].kind,
                platform=platform,
                closed=posts[0].closed,
                posts=len(posts),
                shares=sum(r.shares for r in latest),
                shares_7d=sum(p.shares_at(now) - p.shares_at(now - WEEK) for p in posts),
                quotes=sum(r.quotes for r in latest),
                likes=sum(r.likes for r in latest),
                replies=sum(r.replies for r in latest),
                impressions=sum(impressions) if impressions else None,
                latest_reading_at=newest,
                latest_reading_age=now - newest if newest else None,
            )
        )
    return rows


def top_appeals(rows: Sequence[AppealStats], n: int = 5) -> list[TopAppeal]:
    """The open appeals shared most in the last 7 days, all platforms together; none with 0.

    A closed appeal (found, withdrawn) never ranks: its person's name does not belong in a
    chart of what to promote; the table still counts its shares.
    """
    totals: dict[str, list[Any]] = {}
    for row in rows:
        if row.kind != "appeal" or row.closed:
            continue
        entry = totals.setdefault(row.item_id, [row.title, 0, 0])
        entry[1] += row.shares_7d
        entry[2] += row.shares
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][1], -kv[1][2], kv[0]))
    return [
        TopAppeal(item_id, title, week, total)
        for item_id, (title, week, total) in ranked
        if week > 0
    ][:n]


def as_of(db: sqlite_utils.Database, now: datetime) -> datetime:
    """``now``, or the newest reading if that is later, so a reading stamped by a clock ahead of
    ours (another host's skew, the demo's fast-forwarded sandbox) counts instead of vanishing."""
    row = db.execute("SELECT MAX(taken_at) FROM metrics").fetchone()
    return max(now, from_iso(row[0])) if row and row[0] else now


# The reading of post ``p`` that counts at a moment: its latest at or before ``:moment``, ties by
# id (as :meth:`PostHistory.at`), found through ``metrics_post`` (post_id, taken_at).
def _reading_at(moment: str) -> str:
    return (
        "(SELECT id FROM metrics WHERE post_id = p.id AND taken_at <= :"
        + moment
        + " ORDER BY taken_at DESC, id DESC LIMIT 1)"
    )


def stats_report(
    db: sqlite_utils.Database,
    now: datetime,
    top: int = 5,
    item_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> StatsReport:
    """Everything ``run_bot.py stats`` shows; ``item_id`` narrows it to one appeal.

    The rows (per appeal and platform, as :func:`appeal_stats` orders them) are paged by
    ``limit`` (None: all) and ``offset``, and only the page's posts have their readings added
    up, in SQL. The top is over every open appeal, whatever the page; only appeals read in the
    last 7 days can have gained shares in them, so only those are added up for it.
    """
    now = as_of(db, now)
    moments = {"now": to_iso(now), "week_ago": to_iso(now - WEEK), "item_id": item_id}
    one = "AND p.item_id = :item_id" if item_id is not None else ""
    keys = db.execute(
        # Each appeal's first post sent orders the appeals (never after ``now``, as in
        # appeal_stats), then its platforms by name: one pass over the posts' item index.
        "WITH f AS (SELECT item_id, MIN(MIN(sent_at), :now) AS first FROM posts p"
        " WHERE sent_at IS NOT NULL " + one + " GROUP BY item_id)"
        " SELECT p.item_id, p.platform FROM f CROSS JOIN posts p ON p.item_id = f.item_id"
        " WHERE p.sent_at IS NOT NULL GROUP BY f.first, p.item_id, p.platform"
        " ORDER BY f.first, p.item_id, p.platform LIMIT :limit OFFSET :offset",
        {**moments, "limit": -1 if limit is None else limit, "offset": offset},
    ).fetchall()
    place = {tuple(key): n for n, key in enumerate(keys)}
    found = db.execute(
        "SELECT p.item_id, p.platform, i.title, i.kind, i.closed_at IS NOT NULL, COUNT(*),"
        " COALESCE(SUM(l.shares), 0), COALESCE(SUM(l.shares), 0) - COALESCE(SUM(w.shares), 0),"
        " COALESCE(SUM(l.quotes), 0), COALESCE(SUM(l.likes), 0), COALESCE(SUM(l.replies), 0),"
        " SUM(l.impressions), MAX(l.taken_at)"
        " FROM posts p CROSS JOIN items i ON i.id = p.item_id"
        " LEFT JOIN metrics l ON l.id = "
        + _reading_at("now")
        + " LEFT JOIN metrics w ON w.id = "
        + _reading_at("week_ago")
        + " WHERE p.sent_at IS NOT NULL AND p.item_id IN (SELECT value FROM json_each(:items))"
        " GROUP BY p.item_id, p.platform",
        {**moments, "items": json.dumps(sorted({key[0] for key in keys}))},
    ).fetchall()
    rows = []
    for key, title, kind, closed, posts, shares, week, quotes, likes, replies, shown, newest in (
        ((row[0], row[1]), *row[2:]) for row in found
    ):
        if key not in place:
            continue  # another platform of an appeal at the page's edge
        latest = from_iso(newest) if newest else None
        rows.append(
            AppealStats(
                item_id=key[0],
                title=title or key[0],
                kind=kind,
                platform=key[1],
                closed=bool(closed),
                posts=posts,
                shares=shares,
                shares_7d=week,
                quotes=quotes,
                likes=likes,
                replies=replies,
                impressions=shown,
                latest_reading_at=latest,
                latest_reading_age=now - latest if latest else None,
            )
        )
    rows.sort(key=lambda row: place[(row.item_id, row.platform)])
    return StatsReport(now, rows, _top_of_the_week(db, moments, one, top))


def _top_of_the_week(
    db: sqlite_utils.Database, moments: dict[str, Any], one: str, n: int
) -> list[TopAppeal]:
    """:func:`top_appeals` in SQL: the open appeals with a reading in the last 7 days (found
    through ``metrics_taken``), all their posts added up."""
    found = db.execute(
        "SELECT p.item_id, i.title, COALESCE(SUM(l.shares), 0) - COALESCE(SUM(w.shares), 0)"
        " AS week, COALESCE(SUM(l.shares), 0) AS total"
        " FROM posts p CROSS JOIN items i ON i.id = p.item_id"
        " LEFT JOIN metrics l ON l.id = "
        + _reading_at("now")
        + " LEFT JOIN metrics w ON w.id = "
        + _reading_at("week_ago")
        + " WHERE p.sent_at IS NOT NULL AND i.kind = 'appeal' AND i.closed_at IS NULL "
        + one
        + " AND p.item_id IN (SELECT r.item_id FROM metrics m CROSS JOIN posts r"
        " ON r.id = m.post_id WHERE m.taken_at > :week_ago)"
        " GROUP BY p.item_id HAVING week > 0 ORDER BY week DESC, total DESC, p.item_id"
        " LIMIT :n",
        {**moments, "n": n},
    ).fetchall()
    return [
        TopAppeal(item_id, title or item_id, week, total) for item_id, title, week, total in found
    ]


def age_text(age: timedelta | None) -> str:
    """``3d 4h``, ``2h 5m``, ``12m``, ``just now``; ``-`` for no reading yet."""
    if age is None:
        return "-"
    minutes = int(age.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m" if mins else "just now"


def _row_dict(row: AppealStats) -> dict[str, Any]:
    # Flat fields copied as they are: asdict's deep copy cost seconds on a year of appeals.
    data = {name: getattr(row, name) for name in _ROW_FIELDS}
    data["latest_reading_at"] = to_iso(row.latest_reading_at) if row.latest_reading_at else None
    data["latest_reading_age_seconds"] = (
        int(row.latest_reading_age.total_seconds()) if row.latest_reading_age else None
    )
    return data


_ROW_FIELDS = tuple(f.name for f in fields(AppealStats) if f.name != "latest_reading_age")


def report_head(report: StatsReport) -> dict[str, Any]:
    """The report's JSON without its rows: the time (UTC ISO-8601) and the week's top."""
    return {
        "generated_at": to_iso(report.generated_at),
        "top_7d": [asdict(top) for top in report.top],
    }


def json_rows(report: StatsReport) -> Iterator[dict[str, Any]]:
    """The report's rows as JSON-ready data, one at a time; ages in seconds."""
    return (_row_dict(row) for row in report.appeals)


def report_json(report: StatsReport) -> dict[str, Any]:
    """The report as JSON-ready data: :func:`report_head` and ``appeals``, the rows."""
    return {**report_head(report), "appeals": list(json_rows(report))}


CSV_COLUMNS = (
    "item_id",
    "title",
    "kind",
    "platform",
    "closed",
    "posts",
    "shares",
    "shares_7d",
    "quotes",
    "likes",
    "replies",
    "impressions",
    "latest_reading_at",
    "latest_reading_age_seconds",
)


def report_csv(report: StatsReport) -> str:
    """One line per appeal and platform, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.appeals:
        writer.writerow(_row_dict(row))
    return out.getvalue()


TITLE_WIDTH = 45


def kind_label(kind: str, item_id: str) -> str:
    """``appeal``, ``news`` or ``thank-you`` (the found update, a news item of its own)."""
    from bot.appeals.thanks import THANKS_SUFFIX

    return "thank-you" if item_id.endswith(THANKS_SUFFIX) else kind


def table_rows(report: StatsReport, zone: tzinfo) -> list[dict[str, Any]]:
    """Rows for :func:`bot.core.display.table`, times local."""
    return [
        {
            **_row_dict(row),
            # The marker is kept whole: cut after it, "(closed)" read as "(clos…".
            "title": shorten(row.title, TITLE_WIDTH - len(" (closed)")) + " (closed)"
            if row.closed
            else row.title,
            "kind": kind_label(row.kind, row.item_id),
            "latest": row.latest_reading_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            if row.latest_reading_at
            else "no reading yet",
            "age": age_text(row.latest_reading_age),
            "impressions": "-" if row.impressions is None else row.impressions,
        }
        for row in report.appeals
    ]


def stats_text(report: StatsReport, zone: tzinfo) -> str:
    """The report as the terminal shows it: per appeal and platform, then the week's top."""
    if not report.appeals:
        return "nothing posted yet: no share counts to show"
    zone_name = getattr(zone, "key", str(zone))
    lines = [
        table(
            table_rows(report, zone),
            [
                ("item_id", "item", 20),
                ("kind", "kind", 9),
                ("title", "title", TITLE_WIDTH),
                ("platform", "platform", 8),
                ("posts", "posts", 5),
                ("shares", "shares", 7),
                ("shares_7d", "7 days", 7),
                ("likes", "likes/reactions", 15),
                ("replies", "replies", 7),
                ("impressions", "impressions", 11),
                ("latest", f"latest reading ({zone_name})", 16),
                ("age", "age", 8),
            ],
        ),
        "",
        "Top appeals this week (shares in the last 7 days, all platforms):",
    ]
    if not report.top:
        lines.append("  none shared in the last 7 days")
    for rank, top in enumerate(report.top, 1):
        lines.append(
            f"  {rank}. {top.title} ({top.item_id}): {top.shares_7d} ({top.shares} in all)"
        )
    return "\n".join(lines)


# --- over time -------------------------------------------------------------------------------
Series = list[tuple[datetime, int]]


def shares_series(posts: Sequence[PostHistory]) -> Series:
    """The posts' shares added up, at each moment something changed: each post starts at 0
    when it is sent, then steps to each reading. Pure."""
    moments = sorted({p.sent_at for p in posts} | {r.taken_at for p in posts for r in p.readings})
    return [(t, sum(p.shares_at(t) for p in posts if p.sent_at <= t)) for t in moments]


def appeal_series(db: sqlite_utils.Database, item_id: str) -> dict[str, Series]:
    """One appeal's shares over time, one series per platform."""
    by_platform: dict[str, list[PostHistory]] = defaultdict(list)
    for history in load_histories(db, [item_id]):
        by_platform[history.platform].append(history)
    return {platform: shares_series(posts) for platform, posts in by_platform.items()}


def top_series(db: sqlite_utils.Database, now: datetime, n: int = 5) -> dict[str, Series]:
    """The top ``n`` appeals (by shares in the last 7 days, else all time) over time, all
    platforms together; keyed by the appeal's title."""
    histories = load_histories(db)
    rows = appeal_stats(histories, as_of(db, now))
    chosen = top_appeals(rows, n)
    if len(chosen) < n:  # a quiet week: fill up with the most shared appeals of all time
        seen = {t.item_id for t in chosen}
        rest = sorted(top_appeals_all_time(rows), key=lambda t: (-t.shares, t.item_id))
        chosen += [t for t in rest if t.item_id not in seen][: n - len(chosen)]
    series = {}
    for top in chosen:
        posts = [h for h in histories if h.item_id == top.item_id]
        series[top.title] = shares_series(posts)
    return series


def top_appeals_all_time(rows: Sequence[AppealStats]) -> list[TopAppeal]:
    """Every open appeal with its total shares, for filling a chart in a quiet week."""
    totals: dict[str, TopAppeal] = {}
    for row in rows:
        if row.kind != "appeal" or row.closed:
            continue
        old = totals.get(row.item_id)
        totals[row.item_id] = TopAppeal(
            row.item_id,
            row.title,
            row.shares_7d + (old.shares_7d if old else 0),
            row.shares + (old.shares if old else 0),
        )
    return list(totals.values())


def week_start(moment: datetime, zone: tzinfo) -> date:
    """The Monday (local date in ``zone``) of the week ``moment`` falls in."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def weekly_shares(
    db: sqlite_utils.Database, now: datetime, zone: tzinfo, weeks: int = 8
) -> list[tuple[date, dict[str, int]]]:
    """Shares gained per week (Monday to Monday in ``zone``) and platform, the last ``weeks``
    weeks up to ``now``, oldest first, from the week of the first post sent (weeks before the
    bot posted anything are not shown as weeks of nothing)."""
    histories = load_histories(db)
    now = as_of(db, now)
    platforms = sorted({h.platform for h in histories})
    this_week = week_start(now, zone)
    first_week = min((week_start(h.sent_at, zone) for h in histories), default=this_week)
    result = []
    for back in range(weeks - 1, -1, -1):
        monday = this_week - timedelta(days=7 * back)
        if monday < first_week:
            continue
        start = _local_midnight(monday, zone)
        end = min(_local_midnight(monday + timedelta(days=7), zone), now)
        gained = dict.fromkeys(platforms, 0)
        for history in histories:
            gained[history.platform] += history.shares_at(end) - history.shares_at(start)
        result.append((monday, gained))
    return result


def latest_shares(db: sqlite_utils.Database, post_ids: Iterable[int]) -> dict[int, int]:
    """Each post's latest share count, for posts that have a reading (``log`` shows them)."""
    wanted = sorted(set(post_ids))
    if not wanted:
        return {}
    rows = db.execute(
        f"SELECT post_id, shares FROM metrics WHERE post_id IN ({', '.join('?' * len(wanted))})"
        " ORDER BY taken_at, id",
        wanted,
    ).fetchall()
    return {post_id: shares for post_id, shares in rows}  # the last, latest, reading wins
