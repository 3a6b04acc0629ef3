"""Taking an appeal down: found in the feed, missing from it, outages, restarts, the report, and
forgetting the person after RETENTION_DAYS. The real X and Facebook clients run against the fake
servers on 127.0.0.1; the feed comes from a local feed server; time is a controlled ``now``.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlite_utils

from bot.appeals.lifecycle import Closure, close_appeal, reopen_appeal
from bot.appeals.retention import purge_expired
from bot.appeals.withdrawal import list_withdrawals, process_deletions
from bot.core.db import open_db
from bot.core.events import list_events
from bot.core.settings import Settings
from bot.fakes.images import png
from bot.platforms import build_publishers
from bot.platforms.base import Publisher
from bot.polling import poll_feeds
from bot.posts.manual import ManualPost, add_manual
from bot.posts.queue import list_posts
from bot.posts.twitter_text import MAX_WEIGHTED_LENGTH, weighted_length
from bot.sending import health
from bot.sending.publishing import run_slot
from tests.factories import NOW
from tests.regional_fakes import NORTH, Fakes, live_settings

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

NAME = "Samira Okonkwo-Reyes"
TITLE = f"{NAME}, 15, missing from Leeds"
LINK = "https://charity.example/appeals/a1"
# A photo served by the feed server, so the X client can upload it.
PNG = png()


def rss(*entries: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Appeals</title>'
        f"<link>https://charity.example/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def entry(guid: str, title: str, *, image: str = "", categories: tuple[str, ...] = ()) -> str:
    enclosure = f'<enclosure url="{image}" type="image/png" length="{len(PNG)}"/>' if image else ""
    tags = "".join(f"<category>{c}</category>" for c in categories)
    return (
        f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>'
        f"<link>https://charity.example/appeals/{guid}</link>"
        f"<description>Last seen on Monday in a blue coat.</description>{tags}{enclosure}</item>"
    )


def live_fb_posts(fakes: Fakes) -> list[dict[str, object]]:
    return [p for p in fakes.facebook.posts.values() if not p.get("deleted")]


def live_x_posts(fakes: Fakes) -> list[dict[str, object]]:
    return [p for p in fakes.x.posts.values() if not p.get("deleted")]


def statuses(db: sqlite_utils.Database, item_id: str) -> list[str]:
    return sorted(p["status"] for p in list_posts(db, item_id=item_id))


def published_appeal(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> tuple[Settings, sqlite_utils.Database, dict[str, Publisher]]:
    """Appeal a1 in the feed, polled and published everywhere, with FOUND_THANKS on."""
    url = feed_server.serve("/appeals.xml", rss(entry("a1", TITLE)), etag='"1"')
    settings = live_settings(tmp_path, fakes, APPEALS_FEED_URL=url, FOUND_THANKS="1")
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    poll_feeds(db, settings, NOW)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    return settings, db, publishers


def found_on_x(
    tmp_path: Path, fakes: Fakes, template: str, appeal: ManualPost
) -> tuple[dict[str, Any], Closure]:
    """``appeal`` posted on X, then closed as found: its thank-you post and the closure."""
    settings = live_settings(
        tmp_path, fakes, PLATFORMS="x", FOUND_THANKS="1", FOUND_THANKS_TEMPLATE=template
    )
    db = open_db(settings.database_path)
    item_id, _ = add_manual(db, settings, appeal, NOW)
    run_slot(db, build_publishers(settings), settings, due_only=False, clock=lambda: NOW)
    closure = close_appeal(db, settings, item_id, "found", NOW, found=True)
    [post] = list_posts(db, item_id=f"{item_id}#thanks")
    return post, closure


# --- found in the feed -------------------------------------------------------------------------


def test_found_in_the_feed_cancels_queued_and_deletes_published_on_both_platforms(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    feed = rss(
        entry("a1", TITLE, categories=("region:north-west",)), entry("a2", "Jo Bloggs, 16, missing")
    )
    url = feed_server.serve("/appeals.xml", feed, etag='"1"')
    settings = live_settings(tmp_path, fakes, APPEALS_FEED_URL=url, POSTS_PER_SLOT="1")
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    poll_feeds(db, settings, NOW)
    # One post per platform goes out: a1 (queued first) on X, the main page and the regional page.
    run_slot(db, publishers, settings, limit=1, clock=lambda: NOW + timedelta(minutes=1))
    sent = {p["item_id"] for p in list_posts(db, ("sent",))}
    assert sent == {"a1"}
    assert len(live_x_posts(fakes)) == 1 and len(live_fb_posts(fakes)) == 1

    found = rss(entry("a1", f"FOUND: {TITLE}"), entry("a2", "FOUND: Jo Bloggs, 16, missing"))
    feed_server.serve("/appeals.xml", found, etag='"2"')
    later = NOW + timedelta(minutes=10)
    [report] = poll_feeds(db, settings, later)
    assert report.closed == 2
    assert set(statuses(db, "a2")) == {"cancelled"}  # nothing of a2 had gone out
    assert "deleting" in statuses(db, "a1") and "queued" not in statuses(db, "a1")

    assert process_deletions(db, publishers, later) == 2
    assert set(statuses(db, "a1")) <= {"deleted", "cancelled"}
    assert live_x_posts(fakes) == [] and live_fb_posts(fakes) == []
    assert run_slot(db, publishers, settings, clock=lambda: later).total_sent() == 0


# --- outages, restarts and paused platforms -----------------------------------------------------


def test_a_deletion_during_an_outage_is_retried_across_a_restart_until_it_is_done(
    tmp_path: Path, fakes: Fakes
) -> None:
    settings = live_settings(tmp_path, fakes, PLATFORMS="x,facebook")
    db = open_db(settings.database_path)
    item_id, _ = add_manual(db, settings, ManualPost("appeal", TITLE, link=LINK), NOW)
    run_slot(db, build_publishers(settings), settings, due_only=False, clock=lambda: NOW)
    assert len(live_x_posts(fakes)) == 1 and len(live_fb_posts(fakes)) == 1

    fakes.x.inject_named("server_error", times=3)
    fakes.facebook.inject_named("server_error", times=3)
    close_appeal(db, settings, item_id, "found safe", NOW, found=True)
    now = NOW
    for _ in range(2):  # down: each try fails and is put off with backoff
        assert process_deletions(db, build_publishers(settings), now) == 0
        rows = list_posts(db, ("deleting",), item_id=item_id)
        assert len(rows) == 2 and all("503" in r["last_error"] or r["last_error"] for r in rows)
        assert process_deletions(db, build_publishers(settings), now) == 0  # not due yet
        now += timedelta(hours=7)  # past the longest backoff
    [pending] = [w for w in list_withdrawals(db, settings.platforms) if w.item_id == item_id]
    assert {p.state for p in pending.platforms} == {"pending"}
    assert all(p.last_error for p in pending.platforms)
    db.close()

    # The bot restarts: a new connection and new clients; only the table remembers the to-do.
    db = open_db(settings.database_path)
    assert process_deletions(db, build_publishers(settings), now) == 0  # third failure
    now += timedelta(hours=7)
    assert process_deletions(db, build_publishers(settings), now) == 2  # back up: both gone
    assert live_x_posts(fakes) == [] and live_fb_posts(fakes) == []
    [done] = [w for w in list_withdrawals(db, settings.platforms) if w.item_id == item_id]
    assert done.done and {p.state for p in done.platforms} == {"deleted"}
    assert done.reason == "found safe"


def test_a_platform_paused_for_bad_credentials_keeps_deleting_and_resumes_when_one_works(
    tmp_path: Path, fakes: Fakes
) -> None:
    settings = live_settings(tmp_path, fakes, PLATFORMS="facebook")
    db = open_db(settings.database_path)
    item_id, _ = add_manual(db, settings, ManualPost("appeal", TITLE, link=LINK), NOW)
    publishers = build_publishers(settings)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    fakes.facebook.inject_named("expired_token")
    close_appeal(db, settings, item_id, "found safe", NOW, found=False)
    assert process_deletions(db, publishers, NOW) == 0
    assert health.get_health(db, "facebook").paused_reason  # paused: sending stops
    later = NOW + timedelta(hours=7)
    assert process_deletions(db, publishers, later) == 1  # still tried while paused
    assert health.get_health(db, "facebook").paused_reason is None  # and resumed
    assert live_fb_posts(fakes) == []


# --- missing from the feed ----------------------------------------------------------------------


def test_only_complete_polls_count_towards_missing_from_the_feed(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    both = rss(entry("a1", TITLE), entry("a2", "Jo Bloggs, 16, missing"))
    url = feed_server.serve("/appeals.xml", both, etag='"1"')
    settings = live_settings(
        tmp_path, fakes, APPEALS_FEED_URL=url, WITHDRAW_WHEN_MISSING_FROM_FEED="1"
    )
    db = open_db(settings.database_path)
    now = NOW
    poll_feeds(db, settings, now)
    broken = {
        "truncated": both[: len(both) // 2],
        "malformed": both.replace(b"</title>", b"", 1),
        "empty body": b"",
        "no entries": rss(),
        "an HTML error page": b"<!doctype html><html><body>Down for maintenance</body></html>",
    }
    for n, (what, body) in enumerate(broken.items()):
        feed_server.serve("/appeals.xml", body, etag=f'"bad{n}"')
        now += timedelta(minutes=10)
        poll_feeds(db, settings, now)
        assert list_withdrawals(db) == [], what
    feed_server.serve("/appeals.xml", b"", status=503)
    poll_feeds(db, settings, now + timedelta(minutes=5))
    assert list_withdrawals(db) == []
    # An unchanged feed (304) is no evidence either.
    feed_server.serve("/appeals.xml", both, etag='"1"')
    poll_feeds(db, settings, now + timedelta(minutes=10))
    [unchanged] = poll_feeds(db, settings, now + timedelta(minutes=20))
    assert unchanged.outcome == "not_modified" and list_withdrawals(db) == []

    # A complete, well-formed poll without a1 withdraws it (N=1), and only it.
    feed_server.serve("/appeals.xml", rss(entry("a2", "Jo Bloggs, 16, missing")), etag='"3"')
    [report] = poll_feeds(db, settings, now + timedelta(minutes=30))
    assert report.closed == 1
    [withdrawn] = list_withdrawals(db)
    assert withdrawn.item_id == "a1" and "missing from the feed" in withdrawn.reason
    assert set(statuses(db, "a1")) == {"cancelled"} and "queued" in statuses(db, "a2")


def test_missing_polls_must_be_in_a_row(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    both = rss(entry("a1", TITLE), entry("a2", "Jo Bloggs, 16, missing"))
    only_a2 = rss(entry("a2", "Jo Bloggs, 16, missing"))
    url = feed_server.serve("/appeals.xml", both, etag='"0"')
    settings = live_settings(
        tmp_path, fakes, APPEALS_FEED_URL=url, WITHDRAW_WHEN_MISSING_FROM_FEED="2"
    )
    db = open_db(settings.database_path)
    for n, body in enumerate([only_a2, both, only_a2]):  # absent, back, absent: never 2 in a row
        feed_server.serve("/appeals.xml", body, etag=f'"{n + 1}"')
        poll_feeds(db, settings, NOW + timedelta(minutes=10 * n))
    assert list_withdrawals(db) == []
    feed_server.serve("/appeals.xml", only_a2, etag='"9"')
    poll_feeds(db, settings, NOW + timedelta(hours=1))
    assert [w.item_id for w in list_withdrawals(db)] == ["a1"]


# --- thank-you update -------------------------------------------------------------------------


def test_found_queues_one_thank_you_per_platform_without_name_or_photo(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    photo = feed_server.serve("/photos/a1.png", PNG, content_type="image/png")
    url = feed_server.serve(
        "/appeals.xml",
        rss(entry("a1", TITLE, image=photo), entry("a2", "Jo Bloggs, 16, missing")),
        etag='"1"',
    )
    settings = live_settings(tmp_path, fakes, APPEALS_FEED_URL=url, FOUND_THANKS="1")
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    poll_feeds(db, settings, NOW)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    feed_server.serve(
        "/appeals.xml",
        rss(entry("a1", f"FOUND: {TITLE}"), entry("a2", "WITHDRAWN: Jo Bloggs, 16, missing")),
        etag='"2"',
    )
    later = NOW + timedelta(hours=1)
    poll_feeds(db, settings, later)
    poll_feeds(db, settings, later + timedelta(minutes=10))  # a second poll queues nothing more
    thanks = list_posts(db, item_id="a1#thanks")
    assert sorted(p["platform"] for p in thanks) == ["facebook", "x"]
    assert list_posts(db, item_id="a2#thanks") == []  # withdrawn, not found: no thanks
    for post in thanks:
        assert post["status"] == "queued" and post["target"] == ""
        assert NAME not in post["text"] and post["image_url"] is None and post["link"] is None
        assert "Thank you" in post["text"]
    process_deletions(db, publishers, later)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: later)
    assert {p["status"] for p in list_posts(db, item_id="a1#thanks")} == {"sent"}  # stays up
    [x_post] = live_x_posts(fakes)
    assert NAME not in str(x_post) and "media" not in str(x_post.get("attachments", ""))


def test_the_thank_you_carries_the_name_and_link_only_if_the_template_asks(
    tmp_path: Path, fakes: Fakes
) -> None:
    template = "Update: {title} has been found. Thank you for sharing {link}"
    post, closure = found_on_x(tmp_path, fakes, template, ManualPost("appeal", TITLE, link=LINK))
    assert closure.thanks == [post["id"]]
    assert post["text"] == f"Update: {TITLE} has been found. Thank you for sharing {LINK}"


def test_the_thank_you_goes_wherever_the_appeal_went_fitted_and_tracked(
    tmp_path: Path, fakes: Fakes
) -> None:
    # The appeal went out on X, the main page and the north-west page: the people to thank are
    # on all three. A long name still fits X; the link is whole and tracked per platform; a
    # brace that is not {title} or {link} is the charity's own text.
    template = "Update {{at last}}: {title} has been found safe. Thank you for sharing {link}"
    settings = live_settings(
        tmp_path,
        fakes,
        FOUND_THANKS="1",
        FOUND_THANKS_TEMPLATE=template,
        TRACKING_DOMAINS="charity.example",
    )
    db = open_db(settings.database_path)
    long_title = TITLE + ", " + " ".join(["last seen near the old mill by the canal"] * 8)
    item_id, _ = add_manual(
        db, settings, ManualPost("appeal", long_title, link=LINK, region="north-west"), NOW
    )
    publishers = build_publishers(settings)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    close_appeal(db, settings, item_id, "found", NOW, found=True)
    thanks = list_posts(db, item_id=f"{item_id}#thanks")
    assert sorted((p["platform"], p["target"]) for p in thanks) == [
        ("facebook", ""),
        ("facebook", NORTH),
        ("x", ""),
    ]
    for post in thanks:
        assert post["text"].startswith("Update {{at last}}: Samira")
        assert post["link"].startswith(f"{LINK}?utm_source={post['platform']}")
        assert post["text"].endswith(f"Thank you for sharing {post['link']}")
    [x_thanks] = [p for p in thanks if p["platform"] == "x"]
    assert weighted_length(x_thanks["text"]) <= MAX_WEIGHTED_LENGTH and "…" in x_thanks["text"]
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW + timedelta(hours=1))
    assert {p["status"] for p in list_posts(db, item_id=f"{item_id}#thanks")} == {"sent"}


def test_the_thank_you_keeps_the_charitys_words_when_there_is_no_link(
    tmp_path: Path, fakes: Fakes
) -> None:
    template = "Good news: {title} is safe and well. Read more: {link}"
    post, _ = found_on_x(tmp_path, fakes, template, ManualPost("appeal", "Sam Jones, 15"))
    assert post["text"] == "Good news: Sam Jones, 15 is safe and well. Read more:"


def test_thanks_skip_a_page_no_longer_configured_and_a_purged_appeal(
    tmp_path: Path, fakes: Fakes
) -> None:
    settings = live_settings(tmp_path, fakes, FOUND_THANKS="1", RETENTION_DAYS="30")
    db = open_db(settings.database_path)
    item_id, _ = add_manual(db, settings, ManualPost("appeal", TITLE, region="north-west"), NOW)
    run_slot(db, build_publishers(settings), settings, due_only=False, clock=lambda: NOW)
    assert len(list_posts(db, ("sent",), item_id=item_id)) == 3  # X, main page, north page
    # The north-west page is dropped from the settings: the update goes where the bot posts.
    fewer = settings.replace(facebook_pages=settings.facebook_pages[:1])
    close_appeal(db, fewer, item_id, "found", NOW, found=True)
    thanks = list_posts(db, item_id=f"{item_id}#thanks")
    assert sorted((p["platform"], p["target"]) for p in thanks) == [("facebook", ""), ("x", "")]
    # Purged: nothing more is ever said about the person, whatever a comms officer types.
    db.execute("UPDATE posts SET status = 'cancelled' WHERE item_id = ?", [f"{item_id}#thanks"])
    assert purge_expired(db, settings, NOW + timedelta(days=30)) == [item_id]
    assert close_appeal(db, settings, item_id, "found", NOW, found=True).thanks == []


def test_found_again_while_the_first_thank_you_is_still_being_deleted(
    tmp_path: Path, fakes: Fakes
) -> None:
    settings = live_settings(tmp_path, fakes, PLATFORMS="x", FOUND_THANKS="1")
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    item_id, _ = add_manual(db, settings, ManualPost("appeal", TITLE), NOW)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    close_appeal(db, settings, item_id, "found", NOW, found=True)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)  # thanks go out
    reopen_appeal(db, item_id, "put back on the site", NOW)  # the thanks: being deleted
    assert statuses(db, f"{item_id}#thanks") == ["deleting"]
    # Found again before the deletions job has run: thanked again all the same.
    assert close_appeal(db, settings, item_id, "found", NOW, found=True).thanks
    process_deletions(db, publishers, NOW)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    assert sorted(statuses(db, f"{item_id}#thanks")) == ["deleted", "sent"]


def test_withdrawn_as_found_by_hand_is_not_undone_by_the_site_catching_up_late(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    # The police call the charity: Sam is found. The comms officer withdraws the appeal at once;
    # the website still lists Sam as missing for a day (the next polls must not call that a
    # reopening, nor drop the thank-you), then shows FOUND (nothing is thanked twice).
    settings, db, publishers = published_appeal(tmp_path, feed_server, fakes)
    closure = close_appeal(db, settings, "a1", "found safe by police", NOW, found=True)
    assert closure.thanks
    process_deletions(db, publishers, NOW)

    later = NOW + timedelta(hours=2)
    edited = entry("a1", TITLE).replace("blue coat", "blue coat and red scarf")
    feed_server.serve("/appeals.xml", rss(edited), etag='"2"')  # still "missing" on the site
    [report] = poll_feeds(db, settings, later)
    assert report.outcome == "ok" and report.closed == 0
    assert list_events(db, action="reopen") == []
    assert statuses(db, "a1#thanks") == ["queued", "queued"]
    status, closed_at = db.execute("SELECT status, closed_at FROM items WHERE id = 'a1'").fetchone()
    assert status == "found" and closed_at

    feed_server.serve("/appeals.xml", rss(entry("a1", f"FOUND: {TITLE}")), etag='"3"')
    poll_feeds(db, settings, later + timedelta(days=1))
    assert statuses(db, "a1#thanks") == ["queued", "queued"]  # not thanked twice
    assert set(statuses(db, "a1")) == {"deleted"}


def test_found_then_unfound_takes_the_thank_you_down_and_posts_nothing_again(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    # A CMS mistake: the appeal is marked FOUND, then put back. The public must not be told the
    # person was found (the thank-you comes down, queued or published), and the appeal itself is
    # not re-posted by the bot: a person decides that.
    url = feed_server.serve(
        "/appeals.xml",
        rss(entry("a1", TITLE), entry("a2", "Jo Bloggs, 16, missing")),
        etag='"1"',
    )
    settings = live_settings(tmp_path, fakes, APPEALS_FEED_URL=url, FOUND_THANKS="1")
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    poll_feeds(db, settings, NOW)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    found = rss(entry("a1", f"FOUND: {TITLE}"), entry("a2", "Jo Bloggs, 16, missing"))
    feed_server.serve("/appeals.xml", found, etag='"2"')
    t1 = NOW + timedelta(hours=1)
    poll_feeds(db, settings, t1)
    process_deletions(db, publishers, t1)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: t1)  # a1's thanks go out
    assert {p["status"] for p in list_posts(db, item_id="a1#thanks")} == {"sent"}
    both = rss(entry("a1", f"FOUND: {TITLE}"), entry("a2", "FOUND: Jo Bloggs, 16, missing"))
    feed_server.serve("/appeals.xml", both, etag='"3"')
    t2 = t1 + timedelta(hours=1)
    poll_feeds(db, settings, t2)  # a2's thanks are queued
    assert {p["status"] for p in list_posts(db, item_id="a2#thanks")} == {"queued"}

    unfound = rss(entry("a1", TITLE), entry("a2", "Jo Bloggs, 16, missing"))
    feed_server.serve("/appeals.xml", unfound, etag='"4"')
    t3 = t2 + timedelta(minutes=10)
    poll_feeds(db, settings, t3)
    process_deletions(db, publishers, t3)
    assert run_slot(db, publishers, settings, due_only=False, clock=lambda: t3).total_sent() == 0
    assert live_x_posts(fakes) == [] and live_fb_posts(fakes) == []
    assert set(statuses(db, "a1#thanks")) == {"deleted"}
    assert set(statuses(db, "a2#thanks")) == {"cancelled"}
    for item_id in ("a1", "a2"):
        assert set(statuses(db, item_id)) <= {"deleted", "cancelled"}
    reopened = [e for e in list_events(db, action="reopen") if e["item_id"] in ("a1", "a2")]
    assert len(reopened) == 2  # the comms team is told, so a person can decide

    # Later Sam really is found: the public is thanked again, once, and the update stays up.
    feed_server.serve("/appeals.xml", found, etag='"5"')
    t4 = t3 + timedelta(days=2)
    poll_feeds(db, settings, t4)
    poll_feeds(db, settings, t4 + timedelta(minutes=10))  # nothing more on a second poll
    again = [p for p in list_posts(db, item_id="a1#thanks") if p["round"] == 1]
    assert sorted(p["platform"] for p in again) == ["facebook", "x"]
    process_deletions(db, publishers, t4)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: t4)
    process_deletions(db, publishers, t4)
    assert {p["status"] for p in list_posts(db, item_id="a1#thanks") if p["round"] == 1} == {"sent"}
    assert len(live_x_posts(fakes)) == 1 and len(live_fb_posts(fakes)) == 1
    assert close_appeal(db, settings, "a1", "found", t4, found=True).thanks == []  # once


# --- retention ----------------------------------------------------------------------------------


def all_text(db_path: Path) -> str:
    """Every text value of every table, one big string to search."""
    conn = sqlite3.connect(db_path)
    try:
        values = []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                values += [str(v) for v in row if isinstance(v, str)]
        return "\n".join(values)
    finally:
        conn.close()


def test_after_the_retention_period_nothing_of_the_found_person_is_left(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    photo = feed_server.serve("/photos/a1.png", PNG, content_type="image/png")
    feed = rss(entry("a1", TITLE, image=photo), entry("a2", "Jo Bloggs, 16, missing"))
    url = feed_server.serve("/appeals.xml", feed, etag='"1"')
    settings = live_settings(
        tmp_path,
        fakes,
        APPEALS_FEED_URL=url,
        RETENTION_DAYS="30",
        FOUND_THANKS="1",
        FOUND_THANKS_TEMPLATE="{title} is safe. Thank you!",
    )
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    poll_feeds(db, settings, NOW)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: NOW)
    link = "https://charity.example/appeals/a1"
    found = rss(entry("a1", f"FOUND: {TITLE}", image=photo), entry("a2", "Jo Bloggs, 16, missing"))
    feed_server.serve("/appeals.xml", found, etag='"2"')
    closed_at = NOW + timedelta(days=2)
    poll_feeds(db, settings, closed_at)
    process_deletions(db, publishers, closed_at)
    run_slot(db, publishers, settings, due_only=False, clock=lambda: closed_at)  # the thanks
    audit_before = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert NAME in all_text(settings.database_path)

    assert purge_expired(db, settings, closed_at + timedelta(days=29)) == []  # not yet
    assert purge_expired(db, settings, closed_at + timedelta(days=30)) == ["a1"]
    db.close()
    text = all_text(settings.database_path)
    for personal in (NAME, link, photo, "a1.png"):
        assert personal not in text, personal
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("test.db*"))
    assert NAME.encode() not in raw and photo.encode() not in raw  # not even in free pages

    db = open_db(settings.database_path)
    # The audit trail stays: every event row, every post row with its platform, status and times.
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == audit_before + 1
    rows = db.execute(
        "SELECT platform, status, remote_id, sent_at, deleted_at FROM posts WHERE item_id = 'a1'"
    ).fetchall()
    assert rows and all(r[1] == "deleted" and r[2] and r[3] and r[4] for r in rows)
    assert db.execute("SELECT purged_at FROM items WHERE id = 'a1'").fetchone()[0]
    assert "Jo Bloggs" in all_text(settings.database_path)  # other appeals untouched

    # A stale copy of the entry in the feed never brings the person back.
    feed_server.serve("/appeals.xml", feed, etag='"3"')
    poll_feeds(db, settings, closed_at + timedelta(days=31))
    assert NAME not in all_text(settings.database_path)
    assert len(list_posts(db, item_id="a1")) == len(rows)


def test_the_purge_forgets_the_reason_a_person_typed_when_withdrawing(
    tmp_path: Path, fakes: Fakes
) -> None:
    # The reason often names the person in a way no sweep can guess (a first name): the purge
    # blanks it in the log, so it must not survive on the item or its posts either.
    settings = live_settings(tmp_path, fakes, RETENTION_DAYS="30")
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    item_id, _ = add_manual(db, settings, ManualPost("appeal", TITLE, link=LINK), NOW)
    run_slot(db, publishers, settings, limit=1, due_only=False, clock=lambda: NOW)
    reason = "Samira is safe at her aunt's in York"
    close_appeal(db, settings, item_id, reason, NOW, found=True)
    process_deletions(db, publishers, NOW)
    assert purge_expired(db, settings, NOW + timedelta(days=30)) == [item_id]
    db.close()
    assert "Samira" not in all_text(settings.database_path)


# --- the commands -------------------------------------------------------------------------------


def test_withdraw_withdrawals_edit_and_reject_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from bot.cli import main
    from bot.core.settings import VARIABLES

    for variable in VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.db"))
    monkeypatch.setenv("PLATFORMS", "x")
    env = ["--env-file", os.devnull]

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([*env, *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("add", "--title", TITLE, "--link", LINK)[0] == 0
    assert run("add", "--title", "Jo Bloggs, 16, missing")[0] == 0
    db = open_db(tmp_path / "cli.db")
    sam, jo = (
        db.execute("SELECT id FROM items WHERE title = ?", [t]).fetchone()[0]
        for t in (TITLE, "Jo Bloggs, 16, missing")
    )
    [jo_post] = list_posts(db, item_id=jo)
    code, _, err = run("edit", str(jo_post["id"]), "--text", "x" * 281)
    assert code != 0 and "280" in err and "\n" not in err.strip()
    assert run("edit", str(jo_post["id"]), "--text", "Please share: Jo, 16")[0] == 0
    assert run("reject", jo, "--reason", "family asked")[0] == 0
    assert list_posts(db, None, item_id=jo)[0]["status"] == "cancelled"

    assert run("post", "--all")[0] == 0
    assert run("withdraw", sam, "--reason", "found safe and well", "--found")[0] == 0
    code, out, _ = run("withdrawals", "--json")
    [withdrawal] = json.loads(out)
    assert withdrawal["item_id"] == sam and withdrawal["reason"] == "found safe and well"
    assert withdrawal["platforms"][0]["platform"] == "x"
    assert withdrawal["platforms"][0]["state"] in ("deleted", "pending")
    code, out, _ = run("withdrawals")
    assert code == 0 and sam in out and "found safe" in out


def test_found_then_withdrawn_takes_the_thank_you_down(
    tmp_path: Path, feed_server: FeedServer, fakes: Fakes
) -> None:
    # FOUND changed to WITHDRAWN can mean an outcome no one should be thanked for.
    settings, db, publishers = published_appeal(tmp_path, feed_server, fakes)
    feed_server.serve("/appeals.xml", rss(entry("a1", f"FOUND: {TITLE}")), etag='"2"')
    t1 = NOW + timedelta(hours=1)
    poll_feeds(db, settings, t1)
    assert set(statuses(db, "a1#thanks")) == {"queued"}
    feed_server.serve("/appeals.xml", rss(entry("a1", f"WITHDRAWN: {TITLE}")), etag='"3"')
    t2 = t1 + timedelta(minutes=10)
    poll_feeds(db, settings, t2)
    process_deletions(db, publishers, t2)
    assert run_slot(db, publishers, settings, due_only=False, clock=lambda: t2).total_sent() == 0
    assert set(statuses(db, "a1#thanks")) == {"cancelled"}
    assert live_x_posts(fakes) == [] and live_fb_posts(fakes) == []
