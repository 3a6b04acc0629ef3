"""A found appeal comes down on all four platforms: X, Facebook, Bluesky and Mastodon, each with
its real client on its fake, the photo and alt text included, an outage on one not stopping the
others."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.appeals.withdrawal import process_deletions
from bot.core.db import open_db
from bot.fakes.bluesky_server import FakeBluesky
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.images import png
from bot.fakes.mastodon_server import FakeMastodon
from bot.fakes.x_server import FakeX
from bot.platforms import build_publishers
from bot.polling import poll_feeds
from bot.posts.queue import list_posts
from bot.sending.publishing import run_slot
from tests.live_fakes import fake_bluesky, fake_facebook, fake_mastodon, fake_x, live_settings

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

PHOTO = png(48, 32)
TITLE = "Samira Okonkwo-Reyes, 15, missing from Leeds"


def rss(title: str, photo: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Appeals</title>'
        "<link>https://charity.example/</link>"
        f'<item><guid isPermaLink="false">a1</guid><title>{title}</title>'
        "<link>https://charity.example/appeals/a1</link>"
        "<description>Last seen on Monday in a blue coat.</description>"
        f'<enclosure url="{photo}" type="image/png" length="{len(PHOTO)}"/></item>'
        "</channel></rss>"
    ).encode()


@pytest.fixture
def four() -> Iterator[tuple[FakeX, FakeFacebook, FakeBluesky, FakeMastodon]]:
    with fake_x() as x, fake_facebook() as fb, fake_bluesky() as bsky, fake_mastodon() as masto:
        yield x, fb, bsky, masto  # type: ignore[misc]


def live_counts(x: FakeX, fb: FakeFacebook, bsky: FakeBluesky, masto: FakeMastodon) -> list[int]:
    return [
        sum(1 for p in x.posts.values() if not p["deleted"]),
        sum(1 for p in fb.posts.values() if not p.get("deleted")),
        len(bsky.live_posts()),
        len(masto.live_statuses()),
    ]


def test_found_deletes_the_appeal_on_all_four_platforms(
    tmp_path: Path,
    feed_server: FeedServer,
    four: tuple[FakeX, FakeFacebook, FakeBluesky, FakeMastodon],
) -> None:
    x, fb, bsky, masto = four
    photo = feed_server.serve("/photo.png", PHOTO, content_type="image/png")
    url = feed_server.serve("/appeals.xml", rss(TITLE, photo), etag='"1"')
    settings = live_settings(tmp_path / "bot.db", x, fb, bsky, masto, APPEALS_FEED_URL=url)
    assert settings.platforms == ("x", "facebook", "bluesky", "mastodon")
    db = open_db(settings.database_path)
    publishers = build_publishers(settings)
    now = datetime.now(UTC)
    poll_feeds(db, settings, now)
    report = run_slot(db, publishers, settings, due_only=False, clock=lambda: now)
    assert report.sent == {"x": 1, "facebook": 1, "bluesky": 1, "mastodon": 1}
    assert live_counts(x, fb, bsky, masto) == [1, 1, 1, 1]
    (bsky_post,) = bsky.live_posts()
    # The appeal went as its card (APPEAL_CARDS=1), the photo's own description inside its alt.
    bsky_alt = bsky_post["record"]["embed"]["images"][0]["alt"]
    assert (
        bsky_alt.startswith("Missing person appeal card.") and "Photo: Photo of Samira" in bsky_alt
    )
    (status,) = masto.live_statuses()
    masto_alt = masto.media[status["media_ids"][0]]["description"]
    assert (
        masto_alt.startswith("Missing person appeal card.")
        and "Photo: Photo of Samira" in masto_alt
    )

    feed_server.serve("/appeals.xml", rss(f"FOUND: {TITLE}", photo), etag='"2"')
    later = now + timedelta(minutes=settings.feed_poll_minutes)
    bsky.inject_named("server_error")  # Bluesky has a bad moment just then
    poll_feeds(db, settings, later)
    process_deletions(db, publishers, later)
    assert live_counts(x, fb, bsky, masto) == [0, 0, 1, 0]

    process_deletions(db, publishers, later + timedelta(minutes=5))

    assert live_counts(x, fb, bsky, masto) == [0, 0, 0, 0]
    assert {p["status"] for p in list_posts(db, item_id="a1")} == {"deleted"}
