"""The dashboard through Flask's test client: sign-in required, CSRF refused, roles, escaping,
and each button doing what it says to the real SQLite queue."""

from __future__ import annotations

import html
import io
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlite_utils
from flask import Flask

from bot import cli
from bot.core import db as db_module
from bot.core.db import open_db
from bot.core.settings import Settings
from bot.polling import poll_feeds
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, get_post, store_item
from bot.posts.states import PostStatus
from bot.web import create_app
from bot.web.charts import bar_chart
from bot.web.context import get_db
from bot.web.sessions import COOKIE_NAME
from bot.web.users import UserError, add_user, authenticate, list_users, remove_user, set_password
from tests.factories import NOW, make_item, make_settings
from tests.web.signin import PASSWORD, csrf_of, login

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

PAGES = ["/queue", "/add", "/appeals", "/log", "/status", "/shares"]
HOSTILE_TITLE = "<script>window.pwned=1</script> Sam Lee, 15, missing"


def queue_item(db: sqlite_utils.Database, settings: Settings, n: int = 1) -> list[int]:
    item = make_item(n)
    store_item(db, item, NOW)
    return enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)


def mark_sent(db: sqlite_utils.Database, post_id: int, shares: int | None = None) -> None:
    """As the daemon leaves a post once published (and the metrics job once it read shares)."""
    db.execute(
        "UPDATE posts SET status = 'sent', sent_at = ?, remote_id = ? WHERE id = ?",
        ["2026-11-25T09:00:00.000000Z", f"remote-{post_id}", post_id],
    )
    if shares is not None:
        platform = db.execute("SELECT platform FROM posts WHERE id = ?", [post_id]).fetchone()[0]
        db.execute(
            "INSERT INTO metrics (post_id, platform, taken_at, shares) VALUES (?, ?, ?, ?)",
            [post_id, platform, "2026-11-25T09:30:00.000000Z", shares],
        )


def draft_item(db: sqlite_utils.Database, settings: Settings, n: int = 1) -> list[int]:
    item = make_item(n)
    store_item(db, item, NOW)
    return enqueue(db, item.id, plan_posts(item, settings, NOW, draft=True), NOW)


# --- signing in ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", *PAGES, "/posts/1/edit"])
def test_every_page_redirects_to_login_without_a_session(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "path", ["/posts/1/approve", "/posts/1/cancel", "/add", "/appeals/item-1/withdraw"]
)
def test_a_post_without_a_session_is_refused_401(app: Flask, path: str) -> None:
    assert app.test_client().post(path, data={"csrf_token": "x"}).status_code == 401


def test_wrong_password_is_refused_and_signs_nobody_in(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": "alice", "password": "wrong password", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/queue").status_code == 302


def test_repeated_wrong_passwords_lock_the_name_then_the_address_for_a_while(
    settings: Settings, db: sqlite_utils.Database
) -> None:
    clock = [NOW]
    app = create_app(settings, clock=lambda: clock[0], testing=True)
    client = app.test_client()

    def attempt(name: str, password: str, address: str = "192.0.2.1") -> int:
        token = csrf_of(client.get("/login").get_data(as_text=True))
        form = {"username": name, "password": password, "csrf_token": token}
        response = client.post("/login", data=form, environ_base={"REMOTE_ADDR": address})
        if response.status_code == 302:
            client.post("/logout", data={"csrf_token": csrf_of(client.get("/queue").text)})
        return response.status_code

    for _ in range(5):
        assert attempt("alice", "wrong password") == 401
    # Locked where the guessing came from: even the right password is refused, without saying
    # whether it was right.
    assert attempt("alice", PASSWORD) == 429
    token = csrf_of(client.get("/login").text)
    form = {"username": "alice", "password": "another guess", "csrf_token": token}
    locked = client.post("/login", data=form, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins: try again in 15 minutes." in locked.text
    assert attempt("victor", PASSWORD) == 302  # another name from the same address still works
    # A guesser from a fresh address gets one try there, then waits too.
    assert attempt("alice", "wrong password", "203.0.113.5") == 401
    assert attempt("alice", PASSWORD, "203.0.113.5") == 429
    clock[0] += timedelta(minutes=16)
    assert attempt("alice", PASSWORD) == 302
    # Many names tried from one address: the address is locked for every name.
    for n in range(20):
        assert attempt(f"guess{n}", "wrong password", "198.51.100.7") == 401
    assert attempt("victor", PASSWORD, "198.51.100.7") == 429
    assert attempt("victor", PASSWORD, "192.0.2.1") == 302


def test_guessing_a_name_never_locks_its_owner_out_and_counts_survive_a_restart(
    settings: Settings, db: sqlite_utils.Database
) -> None:
    """Issue 11 item 8: five wrong passwords for a known name kept its owner out 15 minutes."""
    clock = [NOW]

    def attempt(app: Flask, password: str, address: str) -> int:
        client = app.test_client()
        token = csrf_of(client.get("/login").get_data(as_text=True))
        form = {"username": "alice", "password": password, "csrf_token": token}
        return client.post("/login", data=form, environ_base={"REMOTE_ADDR": address}).status_code

    app = create_app(settings, clock=lambda: clock[0], testing=True)
    for _ in range(5):
        assert attempt(app, "wrong password", "198.51.100.66") == 401
    restarted = create_app(settings, clock=lambda: clock[0], testing=True)
    assert attempt(restarted, PASSWORD, "198.51.100.66") == 429  # remembered across a restart
    assert attempt(restarted, PASSWORD, "192.0.2.44") == 302  # alice, from her own address


def test_signed_in_comms_sees_every_page(app: Flask) -> None:
    client = app.test_client()
    login(client, "alice")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'name="viewport"' in response.get_data(as_text=True)


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token, "next": "/log"}
    assert client.post("/login", data=form).headers["Location"] == "/log"
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    form.update(csrf_token=token, next="//evil.example/")
    assert client.post("/login", data=form).headers["Location"] == "/queue"


@pytest.mark.parametrize(
    "target", ["/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/", "/\\evil.example/"]
)
def test_next_with_a_tab_newline_or_backslash_never_leaves_the_site(
    app: Flask, db: sqlite_utils.Database, settings: Settings, target: str
) -> None:
    """Browsers drop tabs and newlines from a Location and read '\\' as '/': '/<TAB>/evil'
    would become '//evil', another site."""
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token, "next": target}
    location = client.post("/login", data=form).headers["Location"]
    assert location == "/queue"
    token = csrf_of(client.get("/queue").get_data(as_text=True))
    [post_id, *_] = draft_item(db, settings)
    response = client.post(f"/posts/{post_id}/cancel", data={"csrf_token": token, "next": target})
    assert response.headers["Location"] == "/queue"


def test_session_cookie_is_httponly_lax_and_only_an_id(
    app: Flask, db: sqlite_utils.Database
) -> None:
    client = app.test_client()
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    login(client, "alice")
    value = client.get_cookie(COOKIE_NAME)
    assert value is not None and "alice" not in value.value
    rows = list(db.query("SELECT id_hash, user_name FROM web_sessions WHERE user_name = 'alice'"))
    assert len(rows) == 1 and rows[0]["id_hash"] not in value.value


def test_cookie_is_secure_behind_a_tls_proxy(settings: Settings, db: sqlite_utils.Database) -> None:
    app = create_app(settings, behind_proxy=True, clock=lambda: NOW, testing=True)
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_login_gives_a_new_session_id(app: Flask) -> None:
    client = app.test_client()
    client.get("/login")
    before = client.get_cookie(COOKIE_NAME)
    login(client, "alice")
    after = client.get_cookie(COOKIE_NAME)
    assert before is not None and after is not None and before.value != after.value


def test_logout_ends_the_session_on_the_server(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "alice")
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie(COOKIE_NAME, cookie.value)
    assert replay.get("/queue").status_code == 302


def test_a_session_ends_8_hours_after_sign_in_however_busy(
    settings: Settings, db: sqlite_utils.Database
) -> None:
    """Pressing buttons (each one flashes a message, changing the session) does not extend it."""
    clock = [NOW]
    client = create_app(settings, clock=lambda: clock[0], testing=True).test_client()
    token = login(client, "alice")
    [post_id, *_] = draft_item(db, settings)
    clock[0] = NOW + timedelta(hours=7)
    assert client.post(f"/posts/{post_id}/approve", data={"csrf_token": token}).status_code == 302
    assert client.get("/queue").status_code == 200
    clock[0] = NOW + timedelta(hours=8, minutes=1)
    assert client.get("/queue").status_code == 302


def test_removing_a_user_or_changing_their_password_signs_them_out(
    app: Flask, db: sqlite_utils.Database
) -> None:
    client = app.test_client()
    login(client, "alice")
    set_password(db, "alice", "another long password")
    assert client.get("/queue").status_code == 302
    login(client, "alice", "another long password")
    remove_user(db, "alice")
    assert client.get("/queue").status_code == 302


# --- CSRF and roles ---------------------------------------------------------------------------
def test_forms_without_the_csrf_token_are_refused(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    [post_id, *_] = draft_item(db, settings)
    client = app.test_client()
    token = login(client, "alice")
    assert client.post(f"/posts/{post_id}/approve").status_code == 400
    assert (
        client.post(f"/posts/{post_id}/approve", data={"csrf_token": "forged"}).status_code == 400
    )
    assert client.post("/add", data={"title": "No token", "platforms": "x"}).status_code == 400
    assert get_post(db, post_id).status == PostStatus.DRAFT
    assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1
    # The same request with the token goes through.
    assert client.post(f"/posts/{post_id}/approve", data={"csrf_token": token}).status_code == 302
    assert get_post(db, post_id).status == PostStatus.QUEUED


def test_the_login_form_itself_needs_the_csrf_token(app: Flask) -> None:
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_a_viewer_reads_everything_but_every_change_is_refused_403(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    [post_id, *_] = draft_item(db, settings)
    client = app.test_client()
    token = login(client, "victor")
    for path in ["/queue", "/appeals", "/log", "/status", "/shares"]:
        assert client.get(path).status_code == 200, path
    page = client.get("/queue").get_data(as_text=True)
    assert "Approve" not in page and "Reschedule" not in page
    for path, data in [
        (f"/posts/{post_id}/approve", {}),
        (f"/posts/{post_id}/cancel", {}),
        (f"/posts/{post_id}/edit", {"text": "changed"}),
        (f"/posts/{post_id}/reschedule", {"when": "2026-11-26T10:00"}),
        ("/add", {"title": "Viewer's post", "platforms": "x", "kind": "appeal"}),
        ("/appeals/item-1/withdraw", {"reason": "found", "outcome": "found"}),
    ]:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert get_post(db, post_id).status == PostStatus.DRAFT
    assert db.execute("SELECT closed_at FROM items").fetchone()[0] is None
    # Signing out is not a change to the queue: a viewer may.
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_security_headers_forbid_inline_script_and_framing(app: Flask) -> None:
    response = app.test_client().get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


# --- escaping ---------------------------------------------------------------------------------
def test_a_feed_title_holding_script_is_shown_as_text_on_every_page(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    hostile = HOSTILE_TITLE.replace("<", "&amp;lt;").replace(">", "&amp;gt;")
    url = feed_server.serve(
        "/appeals.xml",
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Appeals</title>'
            f"<item><title>{hostile}</title><guid>hostile-1</guid>"
            "<link>https://charity.example/appeals/1</link>"
            "<description>Seen &amp;lt;b&amp;gt;Monday&amp;lt;/b&amp;gt;</description>"
            "</item></channel></rss>"
        ).encode(),
    )
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x")
    db = open_db(settings.database_path)
    add_user(db, "alice", "comms", PASSWORD, NOW)
    poll_feeds(db, settings, NOW)
    assert db.execute("SELECT title FROM items").fetchone()[0] == HOSTILE_TITLE
    client = create_app(settings, clock=lambda: NOW, testing=True).test_client()
    login(client, "alice")
    [post_id] = [row[0] for row in db.execute("SELECT id FROM posts").fetchall()]
    mark_sent(db, post_id)
    for path in ["/queue?show=all", "/appeals", "/shares", "/log"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>window" not in html, path
        if path != "/log":
            assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html, path


# --- what the buttons do ----------------------------------------------------------------------
def test_approve_edit_reschedule_and_cancel(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    x_post, fb_post = draft_item(db, settings)
    client = app.test_client()
    token = login(client, "alice")
    client.post(f"/posts/{x_post}/approve", data={"csrf_token": token})
    assert get_post(db, x_post).status == PostStatus.QUEUED

    edited = "Please share: Sam is missing https://charity.example/appeals/1 #missing"
    response = client.post(f"/posts/{x_post}/edit", data={"text": edited, "csrf_token": token})
    assert response.status_code == 302
    assert get_post(db, x_post).text == edited

    client.post(
        f"/posts/{x_post}/reschedule", data={"when": "2026-11-26T14:00", "csrf_token": token}
    )
    # 14:00 in London in November is 14:00 UTC.
    assert get_post(db, x_post).scheduled_at == "2026-11-26T14:00:00.000000Z"

    client.post(f"/posts/{fb_post}/cancel", data={"csrf_token": token})
    assert get_post(db, fb_post).status == PostStatus.CANCELLED
    log = client.get("/log").get_data(as_text=True)
    for done in ("approved", "edited", "rescheduled", "cancelled"):
        assert f"{done} by alice" in log


def test_a_failed_post_offers_edit_and_can_be_edited(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    """As `run_bot.py edit`: fix what the platform refused, then reschedule or retry."""
    [post_id, *_] = queue_item(db, settings)
    db.execute(
        "UPDATE posts SET status = 'failed', last_error = 'too long' WHERE id = ?", [post_id]
    )
    client = app.test_client()
    token = login(client, "alice")
    assert f"/posts/{post_id}/edit" in client.get("/queue").text
    assert 'name="text"' in client.get(f"/posts/{post_id}/edit").text
    response = client.post(
        f"/posts/{post_id}/edit", data={"csrf_token": token, "text": "Shorter text"}
    )
    assert response.status_code == 302
    post = get_post(db, post_id)
    assert post.text == "Shorter text" and post.status == PostStatus.FAILED


def test_an_x_edit_over_280_as_x_counts_is_refused_by_the_server(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    [x_post, _] = queue_item(db, settings)
    before = get_post(db, x_post).text
    client = app.test_client()
    token = login(client, "alice")
    # 250 ideographs weigh 500 on X although they are 250 characters long.
    response = client.post(f"/posts/{x_post}/edit", data={"text": "字" * 250, "csrf_token": token})
    assert response.status_code == 400
    assert "500 characters as X counts them" in response.get_data(as_text=True)
    assert get_post(db, x_post).text == before
    # A link counts 23, however long it is.
    text = "a" * 250 + " https://charity.org.uk/" + "x" * 100  # .example is no TLD to X
    response = client.post(f"/posts/{x_post}/edit", data={"text": text, "csrf_token": token})
    assert response.status_code == 302


def test_add_an_appeal_as_drafts_then_withdraw_it(app: Flask, db: sqlite_utils.Database) -> None:
    client = app.test_client()
    token = login(client, "alice")
    response = client.post(
        "/add",
        data={
            "csrf_token": token,
            "kind": "appeal",
            "title": "Jo Bloggs, 30, missing from York",
            "text": "Last seen on Friday.",
            "link": "https://charity.example/appeals/jo",
            "platforms": ["x", "facebook"],
            "draft": "1",
            "when": "2026-11-25T18:30",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    rows = list(db.query("SELECT id, item_id, status, platform, scheduled_at FROM posts"))
    assert {r["platform"] for r in rows} == {"x", "facebook"}
    assert {r["status"] for r in rows} == {"draft"}
    assert {r["scheduled_at"] for r in rows} == {"2026-11-25T18:30:00.000000Z"}
    item_id = rows[0]["item_id"]
    assert "Jo Bloggs" in client.get("/appeals").get_data(as_text=True)

    response = client.post(
        f"/appeals/{item_id}/withdraw",
        data={"csrf_token": token, "reason": "found safe", "outcome": "withdrawn"},
    )
    assert response.status_code == 302
    assert {r["status"] for r in db.query("SELECT status FROM posts")} == {"cancelled"}
    assert "found safe (by alice)" in db.execute("SELECT close_reason FROM items").fetchone()[0]


def test_add_refuses_a_missing_title_and_keeps_what_was_typed(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "alice")
    response = client.post(
        "/add",
        data={"csrf_token": token, "kind": "appeal", "title": " ", "text": "kept text",
              "platforms": ["x"]},
    )  # fmt: skip
    assert response.status_code == 400
    assert "a title is needed" in response.get_data(as_text=True)
    assert "kept text" in response.get_data(as_text=True)


def test_log_filters_by_platform_outcome_and_since(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    from bot.core import events

    events.record(db, "send", "sent", "old x post", platform="x", now=NOW - timedelta(days=3))
    events.record(db, "send", "failed", "fb refused", platform="facebook", now=NOW)
    client = app.test_client()
    login(client, "alice")
    page = client.get("/log?platform=facebook").get_data(as_text=True)
    assert "fb refused" in page and "old x post" not in page
    page = client.get("/log?outcome=sent").get_data(as_text=True)
    assert "old x post" in page and "fb refused" not in page
    assert "old x post" not in client.get("/log?since=24h").get_data(as_text=True)
    assert client.get("/log?since=yesterday-ish").status_code == 400


def test_log_since_a_date_is_read_in_timezone(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.core import events

    settings = make_settings(tmp_path, TIMEZONE="Pacific/Kiritimati")  # UTC+14
    db = open_db(settings.database_path)
    add_user(db, "alice", "comms", PASSWORD, NOW)
    at = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)  # 2026-11-20 02:00 in Kiritimati
    events.record(db, "send", "sent", "after local midnight", platform="x", now=at)
    client = create_app(settings, clock=lambda: NOW, testing=True).test_client()
    login(client, "alice")
    assert "after local midnight" in client.get("/log?since=2026-11-20").text
    assert "after local midnight" not in client.get("/log?since=2026-11-20T03:00").text


def test_status_page_shows_paused_platforms(app: Flask, db: sqlite_utils.Database) -> None:
    from bot.sending import health

    health.pause(db, "x", "401 Unauthorized", NOW)
    health.hold_reads(db, "facebook", datetime.now(UTC) + timedelta(minutes=30))
    client = app.test_client()
    login(client, "alice")
    page = client.get("/status").get_data(as_text=True)
    assert "Paused: 401 Unauthorized" in page
    assert "share counts wait until" in page


def test_shares_chart_is_inline_svg_with_one_bar_per_appeal(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    for n, shares in ((1, 4), (2, 9)):
        for post_id in queue_item(db, settings, n):
            mark_sent(db, post_id, shares)
    client = app.test_client()
    login(client, "alice")
    page = client.get("/shares").get_data(as_text=True)
    main = page.split("<main")[1].split("</main>")[0]
    assert "<svg" in main and main.count('class="bar"') == 2
    # Most shared first: appeal 2 has 9 on each of X and Facebook.
    assert main.index("Person 2") < main.index("Person 1")
    assert '<text x="' in main and ">18</text>" in main and ">8</text>" in main
    assert "<script" not in main


def test_bar_chart_scales_to_the_largest_value() -> None:
    chart = bar_chart([("a", 10), ("b", 5), ("c", 0)], width=474)
    widths = [bar.width for bar in chart.bars]
    assert widths == [400, 200, 2]
    assert chart.bars[1].y > chart.bars[0].y


# --- users ------------------------------------------------------------------------------------
def test_users_store_only_hashes_and_check_passwords(db: sqlite_utils.Database) -> None:
    stored = db.execute("SELECT password_hash FROM users WHERE name = 'alice'").fetchone()[0]
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert authenticate(db, "alice", PASSWORD, NOW) is not None
    assert authenticate(db, "alice", "nope", NOW) is None
    assert authenticate(db, "nobody", PASSWORD, NOW) is None
    with pytest.raises(UserError, match="already exists"):
        add_user(db, "alice", "comms", PASSWORD, NOW)
    with pytest.raises(UserError, match="at least 10"):
        add_user(db, "bob", "comms", "short", NOW)
    with pytest.raises(UserError, match="comms or viewer"):
        add_user(db, "bob", "admin", PASSWORD, NOW)
    assert [u.name for u in list_users(db)] == ["alice", "victor"]


def test_cli_users_add_reads_the_password_from_stdin_never_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    monkeypatch.setenv("SANDBOX", "1")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["--env-file", os.devnull, "users", "add", "carol", "--role", "comms",
                     "--password-stdin"]) == 0  # fmt: skip
    assert authenticate(open_db(database), "carol", PASSWORD, NOW) is not None
    assert cli.main(["--env-file", os.devnull, "users", "list"]) == 0
    assert "carol" in capsys.readouterr().out
    assert cli.main(["--env-file", os.devnull, "users", "remove", "carol"]) == 0
    assert list_users(open_db(database)) == []
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["users", "add", "dan", "--role", "comms", "--password", "x"])


def test_a_javascript_link_never_becomes_an_href(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    item = make_item(5, link="javascript:window.pwned=1", image_url="javascript:x")
    store_item(db, item, NOW)
    client = app.test_client()
    login(client, "alice")
    page = client.get("/appeals").get_data(as_text=True)
    assert "Person 5" in page
    assert 'href="javascript:' not in page and 'src="javascript:' not in page


def test_a_write_waits_for_the_daemon_holding_the_database(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    """Two processes, one database: the daemon's write lock makes the dashboard wait, not fail."""
    import threading
    import time

    [post_id, *_] = draft_item(db, settings)
    client = app.test_client()
    token = login(client, "alice")
    daemon = open_db(settings.database_path)
    daemon.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, lambda: daemon.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    response = client.post(f"/posts/{post_id}/approve", data={"csrf_token": token})
    release.join()
    assert response.status_code == 302
    assert time.monotonic() - started >= 0.4
    assert get_post(db, post_id).status == PostStatus.QUEUED


def test_a_database_locked_past_the_busy_timeout_is_a_plain_busy_page(
    app: Flask, db: sqlite_utils.Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the write lock past the busy timeout (10 s; 1 s here, since what
    is tested is what comes after it): a 503 saying so, nothing changed."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 1_000)
    [post_id, *_] = draft_item(db, settings)
    client = app.test_client()
    token = login(client, "alice")
    holder = open_db(settings.database_path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(f"/posts/{post_id}/approve", data={"csrf_token": token})
    finally:
        holder.execute("ROLLBACK")
    assert response.status_code == 503
    assert "The database is busy" in response.text and "try again" in response.text
    assert get_post(db, post_id).status == PostStatus.DRAFT


@pytest.mark.parametrize(
    "item_id",
    [
        "https://charity.example/appeals/7",  # an RSS guid is a URL by default
        "https://charity.example/appeals?id=7#top",
        "appeal 7 with spaces",
        "Zoë/ünïcode//double",
        "trailing/",
    ],
)
def test_an_appeal_with_any_feed_id_can_be_withdrawn_from_its_page(
    app: Flask, db: sqlite_utils.Database, settings: Settings, item_id: str
) -> None:
    """Issue 11 item 6: the form posted to /appeals/<guid URL>/withdraw, which matched no route.
    Followed as a browser would: the appeal's Withdraw link, then the confirmation form."""
    item = make_item(1, id=item_id)
    store_item(db, item, NOW)
    enqueue(db, item.id, plan_posts(item, settings, NOW), NOW)
    client = app.test_client()
    token = login(client, "alice")
    page = client.get("/appeals").get_data(as_text=True)
    [link] = re.findall(r'href="([^"]+)">Withdraw', page)
    confirm = client.get(html.unescape(link), follow_redirects=True)
    assert confirm.status_code == 200, confirm.text
    assert "Person 1" in confirm.text
    form = {"csrf_token": token, "outcome": "found", "reason": "found safe"}
    response = client.post(confirm.request.url, data=form)
    assert response.status_code == 302
    assert db.execute("SELECT closed_at FROM items WHERE id = ?", [item_id]).fetchone()[0]
    assert {r[0] for r in db.execute("SELECT status FROM posts")} == {"cancelled"}


def test_a_full_disk_is_a_plain_page_not_a_500(
    app: Flask, db: sqlite_utils.Database, settings: Settings
) -> None:
    """Issue 11 item 7: SQLite's real "database or disk is full", made by capping the file's
    size at what it holds now, answered in words the person at the dashboard can act on."""

    @app.before_request
    def _no_room_left() -> None:
        conn = get_db()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    client = app.test_client()
    token = login(client, "alice")
    form = {
        "csrf_token": token,
        "kind": "appeal",
        "title": "Jo Bloggs, 30, missing from York",
        "text": "Last seen on Friday. " * 2000,
        "link": "https://charity.example/appeals/jo",
        "platforms": ["x", "facebook"],
    }
    response = client.post("/add", data=form)
    assert response.status_code == 507
    page = html.unescape(response.text)
    assert "The server's disk is full" in page and "nothing was changed" in page
    assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
