"""The coming days of the plan, slot by slot: what ``schedule`` prints and the dashboard's week
view shows. Built from :func:`bot.sending.plan.current_plan`, so it never disagrees with the
sender, ``queue`` or the dashboard's queue.

Shape (JSON-ready; times ISO 8601 with the zone's offset, labels local with the zone's name)::

    {"timezone": "Europe/London", "generated_at": "...", "per_slot": 2,
     "days": [{"date": "2026-11-25", "label": "Wed 25 Nov",
               "platforms": [{"platform": "x", "posts": 3, "limit": 17, "at_limit": false}],
               "slots": [{"key": "2026-11-25T09:00", "at": "...", "label": "09:00 GMT",
                          "pages": [{"platform": "x", "page": "", "posts": [POST, ...],
                                     "room": 0, "full": true}]}],
               "outside_slots": [POST, ...]}],
     "waiting": [POST, ...]}

POST: ``id``, ``title``, ``kind``, ``urgent``, ``platform``, ``page``, ``image_url``, ``at``,
``label``, ``how`` (urgent, pinned, slot, waiting), ``slot``, ``note``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from bot.core.clock import from_iso, to_iso
from bot.core.settings import Settings
from bot.posts.schedule import Placement, Rules, iso_local, slot_key, slot_times
from bot.posts.states import BUDGET_STATUSES
from bot.sending.plan import current_plan


def _posts_info(db: sqlite_utils.Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    info: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in db.query(
            "SELECT p.id, p.platform, p.target, p.image_url, i.title, i.kind, i.urgent"
            " FROM posts p JOIN items i ON i.id = p.item_id"
            f" WHERE p.id IN ({','.join('?' for _ in chunk)})",
            chunk,
        ):
            info[row["id"]] = row
    return info


def _post(placement: Placement, row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    zone = settings.timezone
    return {
        "id": placement.post_id,
        "title": row["title"],
        "kind": row["kind"],
        "urgent": bool(row["urgent"]),
        "platform": placement.platform,
        "page": placement.target,
        "image_url": row["image_url"],
        "at": iso_local(placement.at, zone),
        "label": placement.at.astimezone(zone).strftime("%H:%M %Z") if placement.at else "",
        "how": placement.how,
        "slot": placement.slot,
        "note": placement.note,
    }


def _sent_per_day(
    db: sqlite_utils.Database, settings: Settings, start: datetime
) -> Counter[tuple[str, str]]:
    """Posts already out per (local date, platform) since ``start``: they count to the day."""
    marks = ",".join("?" for _ in BUDGET_STATUSES)
    counts: Counter[tuple[str, str]] = Counter()
    for platform, at in db.execute(
        f"SELECT platform, sent_at FROM posts WHERE status IN ({marks}) AND sent_at >= ?",
        [*map(str, BUDGET_STATUSES), to_iso(start)],
    ).fetchall():
        day = from_iso(at).astimezone(settings.timezone).date().isoformat()
        counts[(day, platform)] += 1
    return counts


def _slot_used(db: sqlite_utils.Database, keys: list[str]) -> Counter[tuple[str, str, str]]:
    """Posts already sent in these slots, per (slot key, platform, page)."""
    if not keys:
        return Counter()
    marks = ",".join("?" for _ in BUDGET_STATUSES)
    rows = db.execute(
        "SELECT sent_slot, platform, target, COUNT(*) FROM posts"
        f" WHERE sent_slot IN ({','.join('?' for _ in keys)}) AND status IN ({marks})"
        " GROUP BY sent_slot, platform, target",
        [*keys, *map(str, BUDGET_STATUSES)],
    ).fetchall()
    return Counter({(key, platform, page): count for key, platform, page, count in rows})


def week(
    db: sqlite_utils.Database, settings: Settings, now: datetime, days: int = 7
) -> dict[str, Any]:
    """The plan for today and the next ``days - 1`` days in TIMEZONE (see the module docstring)."""
    zone = settings.timezone
    rules = Rules.from_settings(settings)
    placements = current_plan(db, settings, now)
    info = _posts_info(db, sorted(placements))
    today = now.astimezone(zone).date()
    dates = [today + timedelta(days=n) for n in range(max(1, days))]
    start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(dates[-1] + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    slots = [t for t in slot_times(rules, start, end) if t.astimezone(zone).date() in dates]
    keys = [slot_key(t, zone) for t in slots]
    used = _slot_used(db, keys)
    in_slot: dict[str, list[dict[str, Any]]] = defaultdict(list)
    outside: dict[str, list[dict[str, Any]]] = defaultdict(list)
    per_day: Counter[tuple[str, str]] = _sent_per_day(db, settings, start)
    waiting = []
    for placement in sorted(placements.values(), key=lambda p: (p.at or end, p.order)):
        row = info.get(placement.post_id)
        if row is None:
            continue
        post = _post(placement, row, settings)
        if placement.at is None:
            waiting.append(post)
            continue
        day = placement.at.astimezone(zone).date().isoformat()
        per_day[(day, placement.platform)] += 1
        if placement.slot is not None and placement.slot in keys:
            in_slot[placement.slot].append(post)
        elif placement.slot is None:
            outside[day].append(post)
    return {
        "timezone": zone.key,
        "generated_at": iso_local(now, zone),
        "per_slot": settings.posts_per_slot,
        "days": [
            _day(settings, date.isoformat(), slots, keys, in_slot, outside, per_day, used)
            for date in dates
        ],
        "waiting": waiting,
    }


def _day(
    settings: Settings,
    day: str,
    slots: list[datetime],
    keys: list[str],
    in_slot: dict[str, list[dict[str, Any]]],
    outside: dict[str, list[dict[str, Any]]],
    per_day: Counter[tuple[str, str]],
    used: Counter[tuple[str, str, str]],
) -> dict[str, Any]:
    zone = settings.timezone
    day_slots = []
    for moment, key in zip(slots, keys, strict=True):
        if not key.startswith(day):
            continue
        posts = in_slot.get(key, [])
        pages = {(name, "") for name in settings.platforms}
        pages |= {(p["platform"], p["page"]) for p in posts}
        pages |= {(name, page) for (k, name, page) in used if k == key}
        rows = []
        for name, page in sorted(pages):
            mine = [p for p in posts if p["platform"] == name and p["page"] == page]
            taken = len(mine) + used.get((key, name, page), 0)
            room = max(0, settings.posts_per_slot - taken)
            rows.append(
                {"platform": name, "page": page, "posts": mine, "room": room, "full": room == 0}
            )
        day_slots.append(
            {
                "key": key,
                "at": iso_local(moment, zone),
                "label": moment.astimezone(zone).strftime("%H:%M %Z"),
                "pages": rows,
            }
        )
    label = datetime.fromisoformat(day).strftime("%a %d %b")
    platforms = []
    for name in settings.platforms:
        count, limit = per_day.get((day, name), 0), settings.daily_limit(name)
        platforms.append(
            {"platform": name, "posts": count, "limit": limit, "at_limit": count >= limit}
        )
    return {
        "date": day,
        "label": label,
        "platforms": platforms,
        "slots": day_slots,
        "outside_slots": outside.get(day, []),
    }
