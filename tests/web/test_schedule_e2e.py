"""The schedule in a real browser (Debian's Chromium, as tests/web/test_web_e2e.py): "Send now"
sends exactly the post it is on, a reschedule shows and keeps its new time, and the week view
shows what ``run_bot.py schedule --json`` says."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from bot.core.db import open_db
from bot.posts.manual import ManualPost, add_manual
from bot.runtime import Runtime, start_runtime
from bot.web.users import add_user
from tests.factories import make_settings
from tests.web.test_web_e2e import PASSWORD, card_of, shot, sign_in

ROOT = Path(__file__).resolve().parents[2]
ENV = {"PLATFORMS": "x,facebook", "POST_SLOTS": "09:00,12:30,18:30", "POSTS_PER_SLOT": "2"}


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """The sandbox's fake X and Facebook, one comms officer and six appeals queued."""
    settings = make_settings(tmp_path, **ENV)
    with start_runtime(settings, share=False) as runtime:
        db = open_db(settings.database_path)
        now = datetime.now(UTC)
        add_user(db, "casey", "comms", PASSWORD, now)
        for n in range(6):
            title = f"Person {n}, {14 + n}, missing from Leeds"
            add_manual(db, runtime.settings, ManualPost(kind="appeal", title=title), now)
        db.close()
        yield runtime


def schedule_json(runtime: Runtime, tmp_path: Path) -> dict[str, Any]:
    """``run_bot.py schedule --json``, run as an operator would, on the same database."""
    env_file = tmp_path / "schedule.env"
    lines = {**ENV, "DATABASE_PATH": str(runtime.settings.database_path), "SANDBOX": "1"}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
    command = [sys.executable, str(ROOT / "run_bot.py"), "--env-file", str(env_file)]
    done = subprocess.run(
        [*command, "schedule", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    plan: dict[str, Any] = json.loads(done.stdout)
    return plan


def slotted(plan: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(post["id"]), post["at"])
        for day in plan["days"]
        for slot in day["slots"]
        for page in slot["pages"]
        for post in page["posts"]
    ]


def test_send_now_sends_exactly_that_post(
    browser: BrowserContext, base_url: str, runtime: Runtime
) -> None:
    assert runtime.sandbox is not None
    db = open_db(runtime.settings.database_path)
    chosen = db.execute("SELECT id FROM posts WHERE platform = 'x' ORDER BY id DESC").fetchone()[0]
    page = browser.new_page()
    sign_in(page, base_url)
    card_of(page, chosen).get_by_role("button", name="Send now").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Post {chosen} sent; nothing else was sent."
    )
    shot(page, "20-send-now-one")
    statuses = [row[0] for row in db.execute("SELECT status FROM posts ORDER BY id")]
    assert statuses.count("sent") == 1 and len(statuses) == 12
    assert len(runtime.sandbox.x.posts) == 1 and not runtime.sandbox.facebook.posts


def test_a_reschedule_shows_and_keeps_the_new_time(
    browser: BrowserContext, base_url: str, runtime: Runtime
) -> None:
    db = open_db(runtime.settings.database_path)
    post_id = db.execute("SELECT id FROM posts WHERE platform = 'facebook'").fetchone()[0]
    zone = runtime.settings.timezone
    when = (datetime.now(zone) + timedelta(days=1)).replace(hour=10, minute=15)
    label = when.strftime("%Y-%m-%d 10:15 %Z")
    page = browser.new_page()
    sign_in(page, base_url)
    card = card_of(page, post_id)
    card.get_by_text(re.compile("^Reschedule")).first.click()
    card.get_by_label(re.compile("New time")).fill(when.strftime("%Y-%m-%dT10:15"))
    card.get_by_role("button", name="Reschedule", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"goes out {label} (pinned)")
    for _ in range(2):  # shown, and still so after a reload
        expect(card_of(page, post_id).locator(".goes-out")).to_have_text(
            f"Goes out {label} (pinned)"
        )
        page.reload()
    shot(page, "21-rescheduled")
    pinned = db.execute("SELECT pinned_at FROM posts WHERE id = ?", [post_id]).fetchone()[0]
    assert pinned is not None and pinned.startswith(when.astimezone(UTC).strftime("%Y-%m-%dT%H:15"))


def test_the_week_view_shows_what_schedule_json_says(
    browser: BrowserContext, base_url: str, runtime: Runtime, tmp_path: Path
) -> None:
    page = browser.new_page()
    sign_in(page, base_url)
    page.get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name="Schedule", exact=True)).to_be_visible()
    shot(page, "22-schedule-week")

    def shown() -> list[tuple[str, str]]:
        cards = page.locator("tr.sched-slot li.sched-post")
        return [
            (
                cards.nth(i).get_attribute("data-post") or "",
                cards.nth(i).get_attribute("data-at") or "",
            )
            for i in range(cards.count())
        ]

    plan = schedule_json(runtime, tmp_path)
    assert shown() == slotted(plan) and len(shown()) == 12
    full = [
        (slot["key"], row["platform"])
        for day in plan["days"]
        for slot in day["slots"]
        for row in slot["pages"]
        if row["full"]
    ]
    assert full and page.locator("tr.sched-slot.full").count() == len(full)

    # Move the last post to the day after tomorrow's 18:30 slot, from the page.
    post_id, _ = shown()[-1]
    card = page.locator(f"#sched-post-{post_id}")
    card.get_by_text(re.compile("^Move")).first.click()
    target = plan["days"][2]["slots"][2]
    card.get_by_label("To the slot").select_option(target["at"][:16])
    card.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Post {post_id}")
    moved = schedule_json(runtime, tmp_path)
    [post] = [p for day in moved["days"] for p in day["outside_slots"] if str(p["id"]) == post_id]
    assert post["at"] == target["at"] and post["how"] == "pinned"
    expect(page.locator(f"#sched-post-{post_id}")).to_have_attribute("data-at", target["at"])
    shot(page, "23-schedule-moved")
