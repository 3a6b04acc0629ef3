"""The schedule at the command line: `post ID …`, `post` by the plan, `add --at`, `queue --json`'s
planned time and `schedule`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.cli.conftest import Cli
from tests.cli.test_commands import add_appeal

LONDON = ZoneInfo("Europe/London")


def queued_ids(cli: Cli) -> list[int]:
    return [row["id"] for row in cli("queue", "--json").json()]


def test_post_with_ids_sends_exactly_those_and_says_what_went(cli: Cli) -> None:
    for n in range(4):
        add_appeal(cli, f"Person {n}, 15, missing from Leeds")
    ids = queued_ids(cli)
    chosen = ids[5]
    result = cli("post", str(chosen))
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "sent 1 of 1"
    assert re.search(rf"post {chosen} \((x|facebook)\): sent: https://", result.out)
    sent = [r["id"] for r in cli("queue", "--json", "--status", "sent").json()]
    assert sent == [chosen]
    again = cli("post", str(chosen), str(ids[0]))
    assert again.code == 1
    assert f"post {chosen} (" in again.out and "not sent: it is sent, not waiting" in again.out
    assert re.search(rf"post {ids[0]} \(\w+\): sent", again.out)
    assert len(cli("queue", "--json", "--status", "sent").json()) == 2


def test_post_with_an_appeal_id_sends_its_waiting_posts_only(cli: Cli) -> None:
    item = add_appeal(cli, "Alex Doe, 14, missing from York")
    add_appeal(cli, "Sam Roe, 15, missing from Hull")
    result = cli("post", item)
    assert result.code == 0 and result.out.splitlines()[0] == "sent 2 of 2"
    sent = cli("queue", "--json", "--status", "sent").json()
    assert {row["item_id"] for row in sent} == {item}


def test_post_without_ids_sends_what_the_plan_says_is_due(cli: Cli) -> None:
    add_appeal(cli, "Sam Jones, 15, missing from Leeds")  # takes the next slot: not due
    assert cli("post").out.strip() == "sent nothing: no post was due"
    add_appeal(cli, "Kim Lee, 13, missing from Leeds", "--urgent")  # due at once
    result = cli("post")
    assert result.out.strip() == "sent 2 posts: x 1, facebook 1"
    sent = cli("queue", "--json", "--status", "sent").json()
    assert {row["title"] for row in sent} == {"Kim Lee, 13, missing from Leeds"}


def test_add_at_pins_the_minute_and_queue_shows_it(cli: Cli) -> None:
    when = (datetime.now(LONDON) + timedelta(days=1)).replace(hour=10, minute=15)
    stamp = when.strftime("%Y-%m-%d 10:15")
    result = cli(
        "add", "--title", "Sam Jones, 15, missing from Leeds", "--platforms", "x", "--at", stamp
    )
    assert result.code == 0, result.err
    label = f"{stamp} {when.strftime('%Z')}"
    assert re.search(rf"post \d+ \(x\): goes out {label} \(pinned\)", result.out)
    [row] = cli("queue", "--json").json()
    assert row["goes_out"] == when.replace(second=0, microsecond=0).isoformat(timespec="seconds")
    assert (row["goes_out_how"], row["goes_out_text"]) == ("pinned", f"{label} (pinned)")
    assert f"{label} (pinned)" in cli("queue").out


def test_schedule_prints_the_coming_slots_and_json(cli: Cli) -> None:
    add_appeal(cli, "Sam Jones, 15, missing from Leeds")
    text = cli("schedule", "--days", "2")
    assert text.code == 0 and "Schedule in Europe/London" in text.out
    assert "Sam Jones, 15, missing from Leeds" in text.out and "free" in text.out
    plan = cli("schedule", "--json").json()
    assert plan["timezone"] == "Europe/London" and len(plan["days"]) == 7
    posts = [
        post
        for day in plan["days"]
        for slot in day["slots"]
        for page in slot["pages"]
        for post in page["posts"]
    ]
    queue = {row["id"]: row["goes_out"] for row in cli("queue", "--json").json()}
    assert {post["id"]: post["at"] for post in posts} == queue
    bad = cli("schedule", "--days", "0")
    assert bad.code != 0 and "--days 0: use 1 to 60" in bad.err
