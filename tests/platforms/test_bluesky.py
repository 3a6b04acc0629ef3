"""The real Bluesky client (the atproto SDK) against the fake PDS on 127.0.0.1."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.errors import (
    AuthExpired,
    OutcomeUnknown,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
)
from bot.fakes.bluesky_server import MAX_BLOB_BYTES, FakeBluesky, graphemes
from bot.platforms.base import PostRequest
from bot.platforms.bluesky import (
    BlueskyPublisher,
    FileSessionStore,
    MemorySessionStore,
    facets_for,
    session_path,
)
from tests.live_fakes import BSKY_HANDLE, BSKY_PASSWORD, Clock, wait_for
from tests.photo_site import FILES

LINK = "https://charity.example/appeals/42?utm_source=bluesky"


def publisher(bluesky: FakeBluesky, wall_clock: Clock, **options: Any) -> BlueskyPublisher:
    options.setdefault("timeout", 5)
    options.setdefault("store", MemorySessionStore())
    return BlueskyPublisher(
        BSKY_HANDLE,
        BSKY_PASSWORD,
        bluesky.url,
        now=wall_clock.utc,
        **options,
        allow_private_addresses=True,
    )


def a_post(post_id: int = 1, **fields: Any) -> PostRequest:
    values: dict[str, Any] = {
        "post_id": post_id,
        "text": f"Have you seen Sam? {LINK} #missing",
        "link": LINK,
        "marker": LINK,
    }
    values.update(fields)
    return PostRequest(**values)


def record_of(bluesky: FakeBluesky, remote_id: str) -> dict[str, Any]:
    record: dict[str, Any] = bluesky.posts[remote_id.rsplit("/", 1)[-1]]["record"]
    return record


# --- posts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"Have you seen Sam? {LINK} #missing #FindSam",
        f"👨‍👩‍👧‍👦 Family appeal 🇬🇧: {LINK} #missing",
        f"Пропала Аня, 15 лет. {LINK} #пропала #missing",
        f"見かけたら連絡を 🙏 {LINK} #行方不明",
        f"ساعدونا في العثور على سارة {LINK} #مفقود",
    ],
)
def test_links_and_hashtags_are_facets_at_their_utf8_byte_ranges(
    bluesky: FakeBluesky, wall_clock: Clock, text: str
) -> None:
    published = publisher(bluesky, wall_clock).publish(a_post(text=text))

    record = record_of(bluesky, published.remote_id)
    encoded = record["text"].encode("utf-8")
    spans = {}
    for facet in record["facets"]:
        (feature,) = facet["features"]
        covered = encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
        spans[covered] = feature
    assert spans[LINK] == {"$type": "app.bsky.richtext.facet#link", "uri": LINK}
    tags = [word for word in text.split() if word.startswith("#")]
    assert tags
    for tag in tags:
        assert spans[tag] == {"$type": "app.bsky.richtext.facet#tag", "tag": tag[1:]}


def test_a_text_post_has_a_link_card_and_the_language(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    published = publisher(bluesky, wall_clock, language="cy").publish(a_post())

    record = record_of(bluesky, published.remote_id)
    assert record["langs"] == ["cy"]
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    card = record["embed"]["external"]
    assert card["uri"] == LINK and card["title"] == "Have you seen Sam?"
    assert published.url.startswith("https://bsky.app/profile/did:plc:")


def test_a_photo_post_carries_alt_text_and_aspect_ratio(
    bluesky: FakeBluesky, wall_clock: Clock, photos: str
) -> None:
    post = a_post(image_url=f"{photos}/wide.png", alt_text="Photo of Sam, smiling")
    published = publisher(bluesky, wall_clock).publish(post)

    (image,) = record_of(bluesky, published.remote_id)["embed"]["images"]
    assert image["alt"] == "Photo of Sam, smiling"
    assert (image["aspectRatio"]["width"], image["aspectRatio"]["height"]) == (120, 40)
    assert bluesky.blobs[image["image"]["ref"]["$link"]]["mimeType"] == "image/png"


def test_a_photo_over_the_blob_limit_is_recompressed_to_fit(
    bluesky: FakeBluesky, wall_clock: Clock, photos: str
) -> None:
    assert len(FILES["/huge.png"][1]) > MAX_BLOB_BYTES
    post = a_post(image_url=f"{photos}/huge.png", alt_text="Photo of Sam")
    published = publisher(bluesky, wall_clock).publish(post)

    (image,) = record_of(bluesky, published.remote_id)["embed"]["images"]
    blob = bluesky.blobs[image["image"]["ref"]["$link"]]
    assert blob["size"] <= MAX_BLOB_BYTES and blob["mimeType"] == "image/jpeg"
    ratio = image["aspectRatio"]
    assert ratio["width"] * 600 == ratio["height"] * 800  # shrunk, never distorted


def test_the_fake_refuses_a_blob_over_the_limit(bluesky: FakeBluesky, wall_clock: Clock) -> None:
    client = publisher(bluesky, wall_clock)
    client.check_credentials()
    with pytest.raises(Exception, match="BlobTooLarge"):
        client.client.com.atproto.repo.upload_blob(FILES["/huge.png"][1])


def test_a_page_that_is_not_a_photo_is_photo_unusable(
    bluesky: FakeBluesky, wall_clock: Clock, photos: str
) -> None:
    from bot.core.errors import PhotoUnusable

    with pytest.raises(PhotoUnusable):
        publisher(bluesky, wall_clock).publish(
            a_post(image_url=f"{photos}/moved.png", alt_text="x")
        )
    assert bluesky.posts == {}


def test_cashtags_are_not_facets() -> None:
    assert [f.features[0].py_type for f in facets_for("A $500 reward #missing")] == [
        "app.bsky.richtext.facet#tag"
    ]


# --- delete, metrics, reconcile ---------------------------------------------------------------


def test_delete_then_metrics_and_delete_again_are_remote_gone(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    client = publisher(bluesky, wall_clock)
    published = client.publish(a_post())
    client.delete(published.remote_id)
    assert bluesky.live_posts() == []
    with pytest.raises(RemoteGone):
        client.delete(published.remote_id)
    with pytest.raises(RemoteGone):
        client.metrics(published.remote_id)


def test_metrics_grow_with_the_post_age(bluesky: FakeBluesky, wall_clock: Clock) -> None:
    client = publisher(bluesky, wall_clock)
    published = client.publish(a_post())
    wall_clock.advance(1800)  # 30 minutes

    metrics = client.metrics(published.remote_id)

    assert (metrics.likes, metrics.shares, metrics.replies, metrics.quotes) == (30, 10, 3, 1)
    assert metrics.impressions is None


def test_find_published_reads_the_author_feed(bluesky: FakeBluesky, wall_clock: Clock) -> None:
    client = publisher(bluesky, wall_clock)
    wanted = client.publish(a_post(1))
    client.publish(a_post(2, text="Another appeal https://charity.example/appeals/43", link=None))

    found = client.find_published(a_post(1))

    assert found is not None and found.remote_id == wanted.remote_id
    assert any(r.path.endswith("app.bsky.feed.getAuthorFeed") for r in bluesky.requests)


# --- sessions ---------------------------------------------------------------------------------


def test_the_session_is_kept_across_restarts_in_a_private_file(
    bluesky: FakeBluesky, wall_clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = session_path(tmp_path / "bot.db")
    store = FileSessionStore(path, bluesky.url, BSKY_HANDLE)
    publisher(bluesky, wall_clock, store=store).publish(a_post(1))
    assert bluesky.logins == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert BSKY_PASSWORD not in path.read_text()

    restarted = publisher(
        bluesky, wall_clock, store=FileSessionStore(path, bluesky.url, BSKY_HANDLE)
    )
    restarted.publish(a_post(2, text=f"Second appeal {LINK}"))

    assert bluesky.logins == 1, "a restart signed in again instead of reusing the session"
    tokens = [*bluesky.access_tokens, *bluesky.refresh_tokens]
    assert not any(token in caplog.text for token in tokens)


def test_a_session_for_another_service_or_handle_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "s"
    FileSessionStore(path, "http://127.0.0.1:1", BSKY_HANDLE).save("a-session")
    assert FileSessionStore(path, "https://bsky.social", BSKY_HANDLE).load() is None
    assert FileSessionStore(path, "http://127.0.0.1:1", "other.bsky.social").load() is None
    assert FileSessionStore(path, "http://127.0.0.1:1", BSKY_HANDLE).load() == "a-session"


def test_an_expired_access_token_is_refreshed_without_signing_in(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    client = publisher(bluesky, wall_clock)
    client.check_credentials()
    refresh_before = set(bluesky.refresh_tokens)
    wall_clock.advance(2 * 3600)  # the access token's two hours are up (the SDK sees it coming)
    # The SDK refreshes by the real clock: make the access token refused as well.
    bluesky.expire_access_tokens()

    client.publish(a_post())

    assert bluesky.logins == 1
    assert not refresh_before & set(bluesky.refresh_tokens), "the refresh token was not rotated"


def test_a_revoked_stored_session_signs_in_again_with_the_app_password(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    store = MemorySessionStore()
    publisher(bluesky, wall_clock, store=store).check_credentials()
    bluesky.access_tokens.clear()
    bluesky.refresh_tokens.clear()  # the PDS forgot every session (a restart, a migration)

    publisher(bluesky, wall_clock, store=store).publish(a_post())

    assert bluesky.logins == 2 and len(bluesky.live_posts()) == 1


def test_a_revoked_app_password_is_auth_expired_without_the_password(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    client = publisher(bluesky, wall_clock)
    client.check_credentials()
    bluesky.revoke_app_password()

    with pytest.raises(AuthExpired) as raised:
        client.publish(a_post())

    assert "BLUESKY_APP_PASSWORD" in str(raised.value)
    assert BSKY_PASSWORD not in str(raised.value)
    assert bluesky.posts == {}


# --- faults -----------------------------------------------------------------------------------


def test_rate_limited_until_the_reset_header(bluesky: FakeBluesky, wall_clock: Clock) -> None:
    client = publisher(bluesky, wall_clock)
    client.check_credentials()
    bluesky.inject_named("rate_limit")

    with pytest.raises(RateLimited) as raised:
        client.publish(a_post())

    assert raised.value.retry_at == datetime.fromtimestamp(int(wall_clock()) + 300, UTC)
    assert not raised.value.daily


def test_the_daily_create_budget_is_a_daily_rate_limit(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    client = publisher(bluesky, wall_clock)
    bluesky.inject_named("daily_cap")
    with pytest.raises(RateLimited) as raised:
        client.publish(a_post())
    assert raised.value.daily
    assert raised.value.retry_at == datetime.fromtimestamp(int(wall_clock()) + 6 * 3600, UTC)


@pytest.mark.parametrize("fault", ["server_error", "bad_gateway"])
def test_server_trouble_is_transient(bluesky: FakeBluesky, wall_clock: Clock, fault: str) -> None:
    client = publisher(bluesky, wall_clock)
    client.check_credentials()
    bluesky.inject_named(fault)
    with pytest.raises(TransientError) as raised:
        client.metrics("at://did:plc:x/app.bsky.feed.post/3abc")
    assert not isinstance(raised.value, OutcomeUnknown)


def test_an_expired_token_answer_refreshes_the_session_and_carries_on(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    client = publisher(bluesky, wall_clock)
    published = client.publish(a_post())
    bluesky.inject_named("expired_token")

    assert client.metrics(published.remote_id).likes == 0
    assert bluesky.logins == 1
    assert any(r.path.endswith("refreshSession") for r in bluesky.requests)


def test_a_dropped_connection_after_the_post_is_outcome_unknown_then_found(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    client = publisher(bluesky, wall_clock)
    bluesky.inject_named("drop_after_success")

    with pytest.raises(OutcomeUnknown):
        client.publish(a_post())

    assert len(bluesky.live_posts()) == 1
    found = client.find_published(a_post())
    assert found is not None and found.remote_id == bluesky.live_posts()[0]["uri"]


def test_a_timeout_creating_a_post_is_outcome_unknown(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    client = publisher(bluesky, wall_clock, timeout=0.3)
    client.check_credentials()
    bluesky.slow_seconds = 0.6
    bluesky.inject_named("slow")
    with pytest.raises(OutcomeUnknown):
        client.publish(a_post())
    # It did go out, after the client gave up (and before the next test starts).
    assert wait_for(lambda: len(bluesky.live_posts()) == 1, 5)


def test_an_unreachable_server_is_transient_not_unknown(wall_clock: Clock) -> None:
    with FakeBluesky() as gone:
        url = gone.url
    client = BlueskyPublisher(
        BSKY_HANDLE, BSKY_PASSWORD, url, timeout=2, now=wall_clock.utc, allow_private_addresses=True
    )
    with pytest.raises(PublishError) as raised:
        client.publish(a_post())
    assert type(raised.value) is TransientError


def test_every_named_fault_exists() -> None:
    bluesky = FakeBluesky()
    for name in (
        "rate_limit",
        "daily_cap",
        "server_error",
        "bad_gateway",
        "expired_token",
        "slow",
        "drop_after_success",
        "hold_after_success",
        "hold_before_request",
    ):
        assert bluesky.named_fault(name).name == name


def test_post_text_longer_than_300_graphemes_is_refused_by_the_fake(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    from bot.core.errors import PermanentError

    text = "🇬🇧" * 301  # 602 code points, 2,408 bytes: only the grapheme count is over
    assert graphemes(text) == 301
    with pytest.raises(PermanentError, match="300 graphemes"):
        publisher(bluesky, wall_clock).publish(a_post(text=text, link=None))
    publisher(bluesky, wall_clock).publish(a_post(text="🇬🇧" * 300, link=None))


def test_created_at_is_the_injected_clock(bluesky: FakeBluesky, wall_clock: Clock) -> None:
    moment = datetime.now(UTC) + timedelta(hours=1)
    wall_clock.set(moment)
    published = publisher(bluesky, wall_clock).publish(a_post())
    created = record_of(bluesky, published.remote_id)["createdAt"]
    assert datetime.fromisoformat(created.replace("Z", "+00:00")) == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )


def test_an_appeal_card_made_here_is_uploaded_instead_of_the_photo(
    bluesky: FakeBluesky, wall_clock: Clock
) -> None:
    from bot.fakes.images import png
    from bot.platforms.media import Image

    card = Image(png(200, 100), "image/png")
    # The photo's address is never fetched: nothing listens there.
    post = a_post(image=card, image_url="http://127.0.0.1:9/photo.png", alt_text="Appeal card")
    published = publisher(bluesky, wall_clock).publish(post)

    (image,) = record_of(bluesky, published.remote_id)["embed"]["images"]
    assert image["alt"] == "Appeal card"
    assert (image["aspectRatio"]["width"], image["aspectRatio"]["height"]) == (200, 100)
    assert bluesky.blobs[image["image"]["ref"]["$link"]]["size"] == len(card.data)
