"""Real charity sites' feeds (issue 13): charsets, PHP leaks, plain text, CMS boilerplate,
ids that change or collide, backlogs, redirects and unchanged bodies, over real local HTTP."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.core.db import open_db
from bot.core.errors import FeedError
from bot.core.events import list_events
from bot.feeds.boilerplate import TRAILING, strip_boilerplate
from bot.feeds.fetch import FeedRules, parse_feed
from bot.feeds.identity import id_key
from bot.polling import poll_feeds
from bot.posts.queue import list_posts
from bot.status import gather_status
from tests.factories import NOW, make_settings

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

URL = "http://127.0.0.1:8000/feed.xml"
RULES = FeedRules(found_words=("found",), withdrawn_words=("withdrawn",))


def rss(items: str, declaration: str = '<?xml version="1.0"?>') -> str:
    return (
        f'{declaration}<rss version="2.0"><channel><title>Appeals</title>'
        f"<link>https://charity.example/</link>{items}</channel></rss>"
    )


def item(guid: str, title: str, link: str = "", description: str = "", date: str = "") -> str:
    return (
        f"<item><guid>{guid}</guid><title>{title}</title>"
        + (f"<link>{link}</link>" if link else "")
        + (f"<description>{description}</description>" if description else "")
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + "</item>"
    )


# --- 1. charset ------------------------------------------------------------------------------

CYRILLIC = rss(item("a1", "Пропал Иван, 15")).encode("windows-1251")


def test_the_http_charset_decodes_a_feed_whose_declaration_names_none() -> None:
    parsed = parse_feed(
        CYRILLIC, URL, "appeal", RULES, content_type="application/rss+xml; charset=windows-1251"
    )
    assert parsed.items[0].title == "Пропал Иван, 15"
    assert parsed.note is None


@pytest.mark.parametrize("content_type", ["text/xml", "application/rss+xml", None])
def test_utf8_served_as_text_xml_without_charset_is_clean(content_type: str | None) -> None:
    # RFC 7303: no HTTP charset means the XML declaration (here its default, UTF-8) decides;
    # RFC 3023's US-ASCII default for text/xml would have flagged every such feed.
    body = rss(item("a1", "Zoë, 15")).encode()
    parsed = parse_feed(body, URL, "appeal", RULES, content_type=content_type)
    assert (parsed.items[0].title, parsed.note) == ("Zoë, 15", None)


def test_a_bom_wins_over_a_wrong_http_charset() -> None:
    body = b"\xef\xbb\xbf" + rss(item("a1", "Zoë, 15")).encode()
    parsed = parse_feed(body, URL, "appeal", RULES, content_type="text/xml; charset=iso-8859-1")
    assert parsed.items[0].title == "Zoë, 15"


def test_undecodable_text_waits_as_a_draft_with_a_note(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    # No charset anywhere and not UTF-8: what feedparser guesses may be mojibake.
    url = feed_server.serve("/a.xml", CYRILLIC, content_type="application/rss+xml")
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url)
    db = open_db(settings.database_path)
    [report] = poll_feeds(db, settings, NOW)
    assert report.new == 1
    posts = list_posts(db)
    assert posts and {p["status"] for p in posts} == {"draft"}
    assert all("character set" in (p["last_error"] or "") for p in posts)
    assert any("held as drafts" in e["detail"] for e in list_events(db))


def test_the_real_content_type_reaches_the_parser(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.serve(
        "/a.xml", CYRILLIC, content_type="application/rss+xml; charset=windows-1251"
    )
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x")
    db = open_db(settings.database_path)
    poll_feeds(db, settings, NOW)
    [post] = list_posts(db)
    assert post["status"] == "queued"
    assert "Пропал Иван" in post["text"]


# --- 2. blank lines before <?xml --------------------------------------------------------------


@pytest.mark.parametrize("leak", ["\n\n", "\r\n  \t\n", "\ufeff\n"])
def test_blank_lines_before_the_xml_declaration_are_tolerated(leak: str) -> None:
    body = (leak + rss(item("a1", "Ada, 15"), '<?xml version="1.0" encoding="utf-8"?>')).encode()
    parsed = parse_feed(body, URL, "appeal", RULES)
    assert [i.title for i in parsed.items] == ["Ada, 15"]
    assert parsed.complete


def test_error_hints_are_true() -> None:
    text_first = b"Warning: headers sent\n" + rss(item("a1", "Ada")).encode()
    with pytest.raises(FeedError) as before:
        parse_feed(text_first, URL, "appeal", RULES)
    assert "cut short" not in before.value.reason
    assert "before the feed begins" in before.value.reason

    broken_middle = rss(item("a1", "Ada &amp Bo") + "\n" + item("a2", "Cy")).encode()
    with pytest.raises(FeedError) as middle:
        parse_feed(broken_middle.replace(b"<item>", b"\n<item>"), URL, "appeal", RULES)
    assert "cut short" not in middle.value.reason

    whole = rss(item("a1", "Ada") + "\n" + item("a2", "Cy")).encode()
    with pytest.raises(FeedError) as cut:
        parse_feed(whole[: len(whole) - 30], URL, "appeal", RULES)
    assert "cut short" in cut.value.reason


# --- 3. plain text stays text ----------------------------------------------------------------


def test_atom_text_constructs_keep_angle_brackets() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Appeals</title><id>urn:x</id>
<entry><id>urn:a1</id><title type="text">Missing: Sam &lt;Sammy&gt; Jones, 15</title>
<link href="https://charity.example/sam"/>
<summary type="text">Police ref &lt;MP-2025-0042&gt;, email &lt;tips@charity.example&gt;.</summary>
</entry>
<entry><id>urn:a2</id><title>No type: &lt;Bo&gt;</title><link href="https://charity.example/bo"/>
<summary type="html">&lt;p&gt;Seen in &lt;b&gt;Leeds&lt;/b&gt;&lt;/p&gt;</summary></entry>
</feed>"""
    sam, bo = parse_feed(body, URL, "appeal", RULES).items
    assert sam.title == "Missing: Sam <Sammy> Jones, 15"
    assert sam.summary == "Police ref <MP-2025-0042>, email <tips@charity.example>."
    assert bo.title == "No type: <Bo>"  # Atom's default type is text
    assert bo.summary == "Seen in Leeds"  # declared HTML is still stripped


# --- 4. CMS boilerplate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cms", "text", "expected"),
    [
        (
            "WordPress",
            "Ada, 15, was last seen in Leeds [&hellip;] The post Have you seen Ada? appeared"
            " first on Example Charity.",
            "Ada, 15, was last seen in Leeds",
        ),
        (
            "WordPress",
            "Ada was last seen at the post office. Continue reading →",
            "Ada was last seen at the post office.",
        ),
        ("WordPress", "Ada was seen. Continue reading “Have you seen Ada?”", None),
        ("WordPress", "Ada was seen […]", "Ada was seen"),
        (
            "WordPress",
            "Ada was seen. Share this: Facebook Twitter Like this: Like Loading...",
            None,
        ),
        ("Joomla", "Ada was seen. Read more: Have you seen Ada?", None),
        ("Drupal", "Ada was seen. Read more about Have you seen Ada?", None),
        ("Drupal", "Ada was seen. Log in or register to post comments", None),
        ("Blogger", "Ada was seen. Read more »", None),
        ("Squarespace", "Ada was seen. Read More", None),
        ("Wix", "Ada was seen. Read full post", None),
        (
            "Medium",
            "Ada was seen. Appeal for Ada was originally published in Appeals on Medium,"
            " where people are continuing the conversation.",
            None,
        ),
        ("sharing", "Ada was seen. Share: Facebook, Twitter, Email", None),
    ],
)
def test_cms_boilerplate_is_removed(cms: str, text: str, expected: str | None) -> None:
    assert any(t.cms == cms for t in TRAILING)
    assert strip_boilerplate(text) == (expected or "Ada was seen.")


@pytest.mark.parametrize(
    "text",
    [
        "The post office in Leeds is where Ada was last seen.",
        "Ada loves to read more than anything.",
        "Ada, 15, was last seen …",
        "Read more",
    ],
)
def test_appeal_words_that_look_like_boilerplate_stay(text: str) -> None:
    assert strip_boilerplate(text) == text


@pytest.mark.parametrize(
    ("cms", "html"),
    [
        ("WordPress", '<p>Ada was seen.</p><div class="sharedaddy sd-sharing"><h3>Share this:'
                      "</h3><ul><li><a>Twitter</a></li></ul></div>"),
        ("Blogger", "<p>Ada was seen.</p><div class='blogger-post-footer'>Posted on my blog</div>"),
        ("FeedBurner", '<p>Ada was seen.</p><div class="feedflare"><a>Email this</a></div>'),
        ("Joomla", '<p>Ada was seen.</p><p class="readmore"><a>Read more...</a></p>'),
        ("Drupal", '<p>Ada was seen.</p><ul class="links inline"><li>Add new comment</li></ul>'),
        ("Squarespace", '<p>Ada was seen.</p><div class="sqs-block-button"><a>Donate</a></div>'),
    ],
)  # fmt: skip
def test_cms_boilerplate_blocks_are_dropped_from_summaries(cms: str, html: str) -> None:
    body = rss(item("a1", "Ada", "https://charity.example/ada", html.replace("<", "&lt;")))
    [parsed] = parse_feed(body.encode(), URL, "appeal", RULES).items
    assert parsed.summary == "Ada was seen.", cms


def test_a_wordpress_summary_posts_without_its_footer() -> None:
    description = (
        "&lt;p&gt;Ada, 15, was last seen in Leeds on Monday.&lt;/p&gt;&lt;p&gt;The post "
        "&lt;a href='https://charity.example/ada'&gt;Have you seen Ada?&lt;/a&gt; appeared first"
        " on &lt;a href='https://charity.example'&gt;Example Charity&lt;/a&gt;.&lt;/p&gt;"
    )
    body = rss(item("a1", "Have you seen Ada?", "https://charity.example/ada", description))
    [parsed] = parse_feed(body.encode(), URL, "appeal", RULES).items
    assert parsed.summary == "Ada, 15, was last seen in Leeds on Monday."


# --- 7. ids that differ only in scheme, www., slash or tracking ------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("http://charity.example/?p=123", "https://charity.example/?p=123"),
        ("https://charity.example/appeals/ada", "https://www.charity.example/appeals/ada/"),
        ("https://charity.example/?p=1", "https://charity.example/?p=1&utm_source=rss&fbclid=x"),
        ("HTTPS://Charity.Example/a", "http://charity.example/a"),
    ],
)
def test_ids_differing_only_in_form_have_one_key(old: str, new: str) -> None:
    assert id_key(old) == id_key(new)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://charity.example/?p=1", "https://charity.example/?p=2"),
        ("https://charity.example/a", "https://charity.example/b"),
        ("appeal-1", "appeal-01"),
    ],
)
def test_different_ids_keep_different_keys(one: str, other: str) -> None:
    assert id_key(one) != id_key(other)


def test_a_site_moving_to_https_does_not_repost(tmp_path: Path, feed_server: FeedServer) -> None:
    before = rss(item("http://charity.example/?p=123", "Ada, 15", "http://charity.example/ada"))
    url = feed_server.serve("/a.xml", before.encode())
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url)
    db = open_db(settings.database_path)
    poll_feeds(db, settings, NOW)
    after = rss(item("https://charity.example/?p=123", "Ada, 15", "https://charity.example/ada"))
    feed_server.serve("/a.xml", after.encode())
    [report] = poll_feeds(db, settings, NOW + timedelta(minutes=10))
    assert report.new == 0
    assert [r[0] for r in db.execute("SELECT id FROM items")] == ["http://charity.example/?p=123"]
    assert len(list_posts(db)) == 2
    assert any("changed the ids of 1 entries" in e["detail"] for e in list_events(db))


# --- 8. one guid, two appeals ----------------------------------------------------------------


def test_two_appeals_sharing_a_guid_are_both_kept_and_reported(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    shared = "https://charity.example/appeals/"
    body = rss(
        item(shared, "Ada, 15", "https://charity.example/appeals/ada")
        + item(shared, "Bo, 40", "https://charity.example/appeals/bo")
    )
    url = feed_server.serve("/a.xml", body.encode())
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x")
    db = open_db(settings.database_path)
    [report] = poll_feeds(db, settings, NOW)
    assert report.new == 2
    assert sorted(p["text"].split(",")[0] for p in list_posts(db))[-2:] == ["Ada", "Bo"]
    assert report.notice and "shared by different entries" in report.notice
    assert any("shared by different entries" in e["detail"] for e in list_events(db))
    [feed] = gather_status(db, settings, NOW)["feeds"]
    assert "shared by different entries" in feed["notice"]
    # The next poll of the same feed keeps both under the same ids: nothing new.
    feed_server.serve("/a.xml", body.encode() + b"\n")
    [again] = poll_feeds(db, settings, NOW + timedelta(minutes=10))
    assert (again.new, again.updated) == (0, 0)


# --- 9. a backlog at the first poll ----------------------------------------------------------


def test_old_entries_at_a_first_poll_are_recorded_not_queued(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    old_date = "Tue, 05 Mar 2019 10:00:00 +0000"
    new_date = (NOW - timedelta(days=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = rss(
        item("old", "Cy, 30", "https://charity.example/cy", date=old_date)
        + item("new", "Ada, 15", "https://charity.example/ada", date=new_date)
    )
    url = feed_server.serve("/a.xml", body.encode())
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x")
    db = open_db(settings.database_path)
    [report] = poll_feeds(db, settings, NOW)
    assert (report.new, report.old) == (1, 1)
    assert {r[0] for r in db.execute("SELECT id FROM items")} == {"old", "new"}
    assert [p["item_id"] for p in list_posts(db)] == ["new"]
    # After the first poll, an entry new to the bot is news whatever its date.
    later = item("later", "Di, 20", "https://charity.example/di", date=old_date)
    feed_server.serve("/a.xml", rss(later).encode())
    [second] = poll_feeds(db, settings, NOW + timedelta(minutes=10))
    assert second.new == 1


def test_feed_max_age_zero_queues_the_backlog(tmp_path: Path, feed_server: FeedServer) -> None:
    body = rss(item("old", "Cy", "https://charity.example/cy", date="Tue, 05 Mar 2019 10:00 GMT"))
    url = feed_server.serve("/a.xml", body.encode())
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x", FEED_MAX_AGE_DAYS="0")
    db = open_db(settings.database_path)
    [report] = poll_feeds(db, settings, NOW)
    assert (report.new, report.old) == (1, 0)


# --- 10. redirects ---------------------------------------------------------------------------


def test_links_resolve_against_the_final_url_and_a_move_is_reported(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    final = feed_server.serve(
        "/new/feed.xml", rss(item("m1", "Mae Lin", "/appeals/mae-lin")).encode()
    )
    moved_host = final.replace("127.0.0.1", "localhost")
    feed_server.serve("/tmp.xml", status=302, headers={"Location": moved_host})
    url = feed_server.serve("/old.xml", status=301, headers={"Location": "/tmp.xml"})
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x")
    db = open_db(settings.database_path)
    [report] = poll_feeds(db, settings, NOW)
    link = db.execute("SELECT link FROM items").fetchone()[0]
    assert link == moved_host.replace("/new/feed.xml", "/appeals/mae-lin")
    assert report.notice and "moved permanently to " + url.replace("/old.xml", "/tmp.xml") in (
        report.notice
    )
    [feed] = gather_status(db, settings, NOW)["feeds"]
    assert "put that address in the settings" in feed["notice"]
    assert any("moved permanently" in e["detail"] for e in list_events(db))


def test_a_temporary_redirect_is_no_move(tmp_path: Path, feed_server: FeedServer) -> None:
    final = feed_server.serve("/new.xml", rss(item("m1", "Mae", "/appeals/mae")).encode())
    url = feed_server.serve("/old.xml", status=302, headers={"Location": final})
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x")
    db = open_db(settings.database_path)
    [report] = poll_feeds(db, settings, NOW)
    assert report.notice is None


# --- 11. an unchanged body without conditional GET ------------------------------------------


def test_an_identical_body_is_not_parsed_again(tmp_path: Path, feed_server: FeedServer) -> None:
    body = rss(item("a1", "Ada", "https://charity.example/ada")).encode()
    url = feed_server.serve("/a.xml", body)  # no ETag, no Last-Modified
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x")
    db = open_db(settings.database_path)
    assert poll_feeds(db, settings, NOW)[0].outcome == "ok"
    [again] = poll_feeds(db, settings, NOW + timedelta(minutes=10))
    assert again.outcome == "not_modified"
    feed_server.serve("/a.xml", body.replace(b"Ada", b"Ada Lovelace"))
    [changed] = poll_feeds(db, settings, NOW + timedelta(minutes=20))
    assert (changed.outcome, changed.updated) == ("ok", 1)


def test_a_body_that_failed_is_parsed_again(tmp_path: Path, feed_server: FeedServer) -> None:
    broken = rss(item("a1", "Ada &amp Bo")).encode()
    url = feed_server.serve("/a.xml", broken)
    settings = make_settings(tmp_path, APPEALS_FEED_URL=url, PLATFORMS="x")
    db = open_db(settings.database_path)
    assert poll_feeds(db, settings, NOW)[0].outcome == "error"
    assert poll_feeds(db, settings, NOW + timedelta(minutes=10))[0].outcome == "error"
