"""``schedule``: the coming slots by the plan, each with its posts per platform and page."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.command import Command, emit_json, existing_db

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--days", type=int, default=7, help="how many days, today first (default 7, at most 60)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _page(row: dict[str, Any]) -> str:
    return f"{row['platform']}, page {row['page']}" if row["page"] else row["platform"]


def _titles(posts: list[dict[str, Any]]) -> str:
    return "; ".join(f"#{p['id']} {p['title'][:40]}" for p in posts)


def lines(plan: dict[str, Any]) -> list[str]:
    """The plan in words, one day after another (see bot.sending.week for its shape)."""
    out = [
        f"Schedule in {plan['timezone']}; at most {plan['per_slot']} per platform and page a slot"
    ]
    for day in plan["days"]:
        totals = ", ".join(
            f"{p['platform']} {p['posts']} of {p['limit']}"
            + (" (DAILY LIMIT REACHED)" if p["at_limit"] else "")
            for p in day["platforms"]
        )
        out.append(f"\n{day['label']} {day['date'][:4]}: {totals}")
        moments = [(s["at"], "slot", s) for s in day["slots"]]
        moments += [(p["at"], "pin", p) for p in day["outside_slots"]]
        for _, kind, entry in sorted(moments, key=lambda m: m[0]):
            if kind == "pin":
                out.append(f"  {entry['label']}  {entry['how']}: {_page(entry)} {_titles([entry])}")
                continue
            out.append(f"  {entry['label']}  slot")
            for row in entry["pages"]:
                room = "FULL" if row["full"] else f"{row['room']} free"
                posts = _titles(row["posts"]) or "-"
                out.append(f"      {_page(row)} ({room}): {posts}")
    if plan["waiting"]:
        out.append("\nNo time yet:")
        out += [f"  #{p['id']} {_page(p)} {p['title'][:40]}: {p['note']}" for p in plan["waiting"]]
    return out


def schedule(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import utcnow
    from bot.core.errors import AppealBotError
    from bot.sending.week import week

    if not 1 <= args.days <= 60:
        raise AppealBotError(f"--days {args.days}: use 1 to 60")
    plan = week(existing_db(settings), settings, utcnow(), args.days)
    if args.json:
        emit_json(plan)
    else:
        print("\n".join(lines(plan)))
    return 0


COMMANDS = [
    Command(
        "schedule",
        "the coming slots by the plan: each slot's posts per platform and page, its free room",
        schedule,
        arguments,
    ),
]
