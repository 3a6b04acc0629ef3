"""Every dashboard page in a real browser, on a desktop and on a 375 px phone: an axe-core
accessibility audit (no serious or critical violation), no sideways scrolling, controls big
enough to tap, screenshots of each in ``test-output/screenshots/``, and a withdrawal done with
the keyboard alone.

axe-core comes from the npm registry (``make browser`` installs it into .venv/node); it is
evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
block, so the CSP stays as strict under audit as in use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from bot.appeals.lifecycle import close_appeal
from bot.core.db import open_db
from bot.posts.manual import ManualPost, add_manual
from bot.runtime import Runtime
from tests.web.test_web_e2e import (  # noqa: F401  (its runtime fixture)
    PASSWORD,
    SCREENSHOTS,
    runtime,
)

pytest_plugins = ["tests.feed_server"]

AXE = Path(__file__).resolve().parents[2] / ".venv" / "node" / "node_modules" / "axe-core"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1100, "height": 800}
# Buttons, selects and fields at least this tall (CSS px): WCAG 2.5.5's 44 px target.
TAP = 44


@pytest.fixture
def axe_source() -> str:
    script = AXE / "axe.min.js"
    if not script.exists():
        pytest.fail(f"{script} is missing: run `make browser` (npm install axe-core)")
    return script.read_text()


@pytest.fixture
def pages(runtime: Runtime, base_url: str) -> Iterator[dict[str, str]]:  # noqa: F811
    """A database worth looking at: one appeal added by hand with a photo and live on both
    platforms, one queued with an unbreakable title, one found; the address of every page to
    audit."""
    db = open_db(runtime.settings.database_path)
    now = datetime.now(UTC)
    assert runtime.sandbox is not None and runtime.sandbox.feeds is not None
    photo = f"{runtime.sandbox.feeds.url}/images/sam.png"
    live_id, ids = add_manual(
        db,
        runtime.settings,
        ManualPost(
            "appeal", "Sam Fictional, 14, missing from Bolton", "Last seen on Friday.",
            link="https://charity.example/appeals/sam", image_url=photo,
            image_alt="Sam smiling, in a red school jumper",
        ),
        now,
    )  # fmt: skip
    db.execute(
        "UPDATE posts SET status = 'sent', sent_at = created_at, remote_id = id,"
        " remote_url = 'https://social.example/p/' || id WHERE item_id = ?",
        [live_id],
    )
    # A title with no place to break (a CMS slug, a pasted link, a hostile feed) must wrap on
    # every page that shows it, the link preview and the schedule's list included.
    unbroken = ManualPost(
        "appeal",
        "Jo" + "W" * 400,
        "Seen" + "S" * 600,
        link="https://charity.example/appeals/" + "j" * 300,
        image_alt="Alt" + "A" * 300,
    )
    add_manual(db, runtime.settings, unbroken, now)
    found_id, _ = add_manual(
        db, runtime.settings, ManualPost("appeal", "Alex Fictional, 30, missing"), now
    )
    db.execute(
        "UPDATE posts SET status = 'sent', sent_at = created_at WHERE item_id = ?", [found_id]
    )
    close_appeal(db, runtime.settings, found_id, "found safe (by casey)", now, found=True)
    db.close()
    yield {
        "queue": "/queue",
        "queue-all": "/queue?status=all",
        "queue-empty-search": "/queue?q=nobody",
        "schedule": "/schedule",
        "edit": f"/posts/{ids[0]}/edit",
        "add": "/add",
        "appeals": "/appeals",
        "appeals-found": "/appeals?state=found",
        "withdraw": f"/appeals/{live_id}/withdraw",
        "shares": "/shares",
        "log": "/log",
        "status": "/status",
        "not-found": "/posts/99999/edit",
    }


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("User name").fill("casey")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()


def audit(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ("
        "{id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def too_small(page: Page) -> tuple[int, list[str]]:
    """How many visible buttons, button-like links, selects and fields there are, and those
    shorter than TAP px."""
    controls = (
        "main button, main .button, main select, main textarea,"
        " main input:not([type=hidden]):not([type=checkbox]):not([type=radio])"
    )
    seen: list[Any] = page.evaluate(
        """([tap, controls]) => {
          const shown = Array.from(document.querySelectorAll(controls))
            .filter(e => e.offsetParent !== null);
          return [shown.length, shown.filter(e => e.getBoundingClientRect().height < tap)
            .map(e => e.outerHTML.slice(0, 80))];
        }""",
        [TAP, controls],
    )
    return int(seen[0]), list(seen[1])


def test_every_page_passes_axe_fits_a_phone_and_is_screenshotted(
    browser: BrowserContext,
    base_url: str,
    pages: dict[str, str],
    axe_source: str,
) -> None:
    page = browser.new_page()
    # The login page, signed out.
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{base_url}/login")
        assert audit(page, axe_source) == [], f"login ({size})"
        page.screenshot(path=str(SCREENSHOTS / f"audit-login-{size}.png"), full_page=True)
    sign_in(page, base_url)
    problems: dict[str, Any] = {}
    controls = 0
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for name, path in pages.items():
            page.goto(base_url + path)
            if size == "phone":  # axe reads the DOM, the same at both widths: once is enough
                violations = audit(page, axe_source)
                if violations:
                    problems[name] = violations
                wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if wide > 0:
                    problems[f"{name} scrolls sideways by {wide} px"] = page.evaluate(
                        "Array.from(document.querySelectorAll('main *'))"
                        ".filter(e => e.getBoundingClientRect().right > window.innerWidth)"
                        ".slice(0, 3).map(e => e.outerHTML.slice(0, 100))"
                    )
                count, small = too_small(page)
                controls += count
                if small:
                    problems[f"{name}: too small to tap"] = small
            page.screenshot(path=str(SCREENSHOTS / f"audit-{name}-{size}.png"), full_page=True)
    assert not problems, json.dumps(problems, indent=1)
    assert controls > 40  # the size check saw the pages' buttons and fields


def test_a_withdrawal_with_the_keyboard_alone_on_a_phone(
    browser: BrowserContext,
    base_url: str,
    pages: dict[str, str],
    runtime: Runtime,  # noqa: F811
) -> None:
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, base_url)
    page.goto(f"{base_url}/appeals?q=Sam")
    withdraw = page.get_by_role("link", name="Withdraw… Sam Fictional, 14, missing from Bolton")
    for _ in range(40):  # Tab until the button has focus: it is reachable in order
        page.keyboard.press("Tab")
        if withdraw.evaluate("e => e === document.activeElement"):
            break
    expect(withdraw).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Withdraw an appeal")).to_be_visible()
    expect(page.locator("ul.plan li", has_text="Deleted from")).to_have_count(2)
    page.get_by_label("Yes, found").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("found safe and well")
    page.keyboard.press("Enter")  # submits the form
    expect(page.get_by_role("status")).to_contain_text("Withdrawn")
    db = open_db(runtime.settings.database_path)
    statuses = {
        r[0]
        for r in db.execute(
            "SELECT p.status FROM posts p JOIN items i ON i.id = p.item_id"
            " WHERE i.title LIKE 'Sam%'"
        )
    }
    assert statuses <= {"deleting", "deleted"}
