"""The dashboard in a real browser: Playwright drives Debian's headless Chromium against the app
served by waitress on 127.0.0.1, with the sandbox's fake X and Facebook taking the posts.

One comms officer's morning: sign in, add an appeal, approve it, send it (it appears on the fake
X and the fake Facebook), withdraw it as found (it is deleted on both). A screenshot of each page
goes to ``test-output/screenshots/``. A feed title holding ``<script>`` must show as text and
never run.

Chromium comes from Debian (``apt-get install chromium``, done by ``make test``), never from
``playwright install``: if /usr/bin/chromium is missing these tests fail, saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from bot.core.clock import to_iso
from bot.core.db import open_db
from bot.polling import poll_feeds
from bot.runtime import Runtime, start_runtime
from bot.web.users import add_user
from tests.factories import make_settings

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "a long enough password"
HOSTILE_TITLE = "<script>window.pwned=1</script> Robin Hale, 15, missing from Hull"
TITLE = "Jamie Fictional, 16, missing from Leeds"


def hostile_feed(title: str) -> bytes:
    """An appeals feed whose title, once parsed, is text holding a script tag."""
    escaped = title.replace("<", "&amp;lt;").replace(">", "&amp;gt;")
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Appeals</title>'
        f"<item><title>{escaped}</title><guid>hostile-1</guid>"
        "<link>https://charity.example/appeals/robin</link>"
        "<description>Last seen near the station.</description></item></channel></rss>"
    ).encode()


@pytest.fixture
def runtime(tmp_path: Path, feed_server: FeedServer) -> Iterator[Runtime]:
    """The sandbox (fake X, fake Facebook, photo server) and a database holding one comms
    officer and one drafted feed appeal with a hostile title."""
    url = feed_server.serve("/appeals.xml", hostile_feed(HOSTILE_TITLE))
    settings = make_settings(
        tmp_path, APPEALS_FEED_URL=url, REQUIRE_APPROVAL="1", PLATFORMS="x,facebook"
    )
    with start_runtime(settings, with_feeds=True, share=False) as runtime:
        db = open_db(settings.database_path)
        add_user(db, "casey", "comms", PASSWORD, datetime.now(UTC))
        poll_feeds(db, runtime.settings, datetime.now(UTC))
        db.close()
        yield runtime


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/queue")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    shot(page, "01-login")
    page.get_by_label("User name").fill("casey")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()


def card_of(page: Page, post_id: int) -> Any:
    return page.locator(f"#post-{post_id}")


def test_add_approve_send_withdraw_in_a_real_browser(
    browser: BrowserContext, base_url: str, runtime: Runtime
) -> None:
    assert runtime.sandbox is not None
    sandbox = runtime.sandbox
    assert sandbox.feeds is not None
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, base_url)

    # Add an appeal, held as drafts (REQUIRE_APPROVAL=1 ticks the box by default).
    page.get_by_role("link", name="Add").click()
    page.get_by_label("Appeal", exact=True).check()
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Text", exact=True).fill(
        "Jamie was last seen on Monday near Leeds station wearing a green coat."
    )
    page.get_by_label("Link to the appeal page").fill("https://charity.example/appeals/jamie")
    page.get_by_label("Photo URL").fill(f"{sandbox.feeds.url}/images/jamie.png")
    page.get_by_label("Photo description (alt text)").fill("Jamie smiling, in a green coat")
    expect(page.get_by_label("Hold as a draft until approved")).to_be_checked()
    shot(page, "02-add")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("held as drafts for approval")

    db = open_db(runtime.settings.database_path)
    posts = {
        row["platform"]: row["id"]
        for row in db.query(
            "SELECT p.id, p.platform FROM posts p JOIN items i ON i.id = p.item_id"
            " WHERE i.title = ?",
            [TITLE],
        )
    }
    assert set(posts) == {"x", "facebook"}
    x_card = card_of(page, posts["x"])
    expect(x_card.locator(".badge.status")).to_have_text("waiting for approval")

    # The hostile feed title shows as text; its script never ran.
    expect(page.get_by_role("heading", name=HOSTILE_TITLE).first).to_be_visible()
    assert page.evaluate("typeof window.pwned") == "undefined"
    shot(page, "03-queue-drafts")

    # Edit the X post: the live count follows the typing, the server saves it.
    x_card.get_by_role("link", name=re.compile("Edit")).click()
    box = page.get_by_label("Text of the post")
    text = f"{TITLE}. Please share. https://charity.org.uk/appeals/jamie #missing"
    box.fill(text)
    from bot.posts.twitter_text import weighted_length

    expect(page.locator("#count")).to_have_text(f"{weighted_length(text)} of 280 characters on X")
    box.fill(text + " " + "x" * 300)
    expect(page.locator("#count")).to_contain_text("too many")
    shot(page, "04-edit")
    box.fill(text)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")

    # Approve both, then send them now through the sandbox's fake X and Facebook.
    for post_id in posts.values():
        card_of(page, post_id).get_by_role("button", name="Approve").click()
        expect(card_of(page, post_id).locator(".badge.status")).to_have_text("waiting to go out")
    for post_id in posts.values():
        card_of(page, post_id).get_by_role("button", name="Send now").click()
        expect(page.get_by_role("status")).to_contain_text(f"Post {post_id} sent")
    live_x = [p for p in sandbox.x.posts.values() if not p["deleted"]]
    assert [p["text"] for p in live_x] == [text]
    live_fb = [p for p in sandbox.facebook.posts.values() if not p["deleted"]]
    assert len(live_fb) == 1 and TITLE in (live_fb[0]["message"] or "")
    page.goto(f"{base_url}/queue?show=all")
    expect(card_of(page, posts["x"]).locator(".badge.status")).to_have_text("live")
    expect(card_of(page, posts["x"]).get_by_role("link", name="View the post on X")).to_be_visible()
    shot(page, "05-queue-sent")

    # Withdraw it as found: both published posts are deleted at once.
    page.get_by_role("link", name="Appeals").click()
    appeal = page.locator("li.card", has_text=TITLE)
    expect(
        appeal.get_by_text("Photo description: “Jamie smiling, in a green coat”")
    ).to_be_visible()
    expect(appeal.get_by_role("img", name="Jamie smiling, in a green coat")).to_be_visible()
    shot(page, "06-appeals")
    appeal.get_by_role("link", name=re.compile("Withdraw…")).click()
    expect(page.locator("ul.plan li")).to_have_count(3)  # two deletions, the thank-you note
    page.get_by_label("Yes, found").check()
    page.get_by_label("Reason, for the log").fill("found safe and well")
    shot(page, "06b-withdraw-confirm")
    page.get_by_role("button", name="Withdraw everywhere").click()
    expect(page.get_by_role("status")).to_contain_text("2 deleted now")
    appeal = page.locator("li.card", has_text=TITLE)
    expect(appeal.locator(".badge.state")).to_have_text("found")
    assert all(p["deleted"] for p in sandbox.x.posts.values())
    assert all(p["deleted"] for p in sandbox.facebook.posts.values())
    shot(page, "07-appeals-withdrawn")

    # The log says who did what; filters narrow it.
    page.get_by_role("link", name="Log").click()
    expect(page.get_by_text("approved by casey").first).to_be_visible()
    page.get_by_label("Outcome").select_option("deleted")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    shot(page, "08-log-deleted")
    page.goto(f"{base_url}/log")
    shot(page, "09-log")

    page.get_by_role("link", name="Status").click()
    expect(page.get_by_role("heading", name="Platforms")).to_be_visible()
    shot(page, "10-status")
    # The metrics job (another process) has read the shares meanwhile.
    for platform, shares in (("x", 12), ("facebook", 30)):
        db.execute(
            "INSERT INTO metrics (post_id, platform, taken_at, shares) VALUES (?, ?, ?, ?)",
            [posts[platform], platform, to_iso(datetime.now(UTC)), shares],
        )
    page.get_by_role("link", name="Shares").click()
    expect(page.locator("svg[role=img]")).to_be_visible()
    expect(page.locator("svg text.value")).to_have_text("42")
    shot(page, "11-shares")

    # On a phone the same pages still read top to bottom, nothing cut off.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/queue?show=all")
    shot(page, "12-phone-queue")
    page.goto(f"{base_url}/appeals")
    shot(page, "13-phone-appeals")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    assert page.evaluate("typeof window.pwned") == "undefined"
    assert dialogs == []


def test_the_edit_pages_counter_agrees_with_the_server_on_every_case(
    browser: BrowserContext, base_url: str, runtime: Runtime
) -> None:
    """Emoji sequences, CJK, URLs bare and full, hashtags, a missing space after a full stop
    (which a page-side URL guess once counted as a link: "360 of 280" where the server said 359),
    decomposed accents and browser line ends: the number shown is the number the server applies."""
    from bot.posts.approval import platform_length
    from bot.web.preview import clean_text
    from tests.web.test_preview import COUNT_CASES

    db = open_db(runtime.settings.database_path)
    post_id = db.execute("SELECT id FROM posts WHERE platform = 'x' ORDER BY id").fetchone()[0]
    page = browser.new_page()
    sign_in(page, base_url)
    page.goto(f"{base_url}/posts/{post_id}/edit")
    box = page.get_by_label("Text of the post")
    count = page.locator("#count")
    for text in COUNT_CASES:
        box.fill(text)
        server = platform_length("x", clean_text(text))
        expect(count).to_contain_text(f"{server} of 280 characters on X")
        expect(page.locator("[data-preview-text]")).to_contain_text(text.split()[0][:8])
    expect(count).to_have_text("281 of 280 characters on X (1 too many)")
    expect(count).to_have_class(re.compile("over"))


def test_keyboard_alone_signs_in_and_reaches_every_page(
    browser: BrowserContext, base_url: str
) -> None:
    page = browser.new_page()
    page.goto(f"{base_url}/login")
    expect(page.get_by_label("User name")).to_be_focused()  # autofocus
    page.keyboard.type("casey")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        seen.append(focused)
    for name in ("Queue", "Add", "Appeals", "Shares", "Log", "Status"):
        assert name in seen, seen
    # Focus is visible: the focused element has an outline.
    page.get_by_role("link", name="Log").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Operators' log")).to_be_visible()
