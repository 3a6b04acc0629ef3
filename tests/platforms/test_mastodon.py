"""The real Mastodon client (Mastodon.py) against the fake instance on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from mastodon.errors import MastodonAPIError

from bot.core.errors import (
    AuthExpired,
    OutcomeUnknown,
    PhotoUnusable,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
)
from bot.fakes.mastodon_server import README_SCOPES, FakeMastodon, countable_length
from bot.platforms.base import PostRequest
from bot.platforms.mastodon import MastodonPublisher, idempotency_key
from bot.posts.compose import MastodonLimits, mastodon_length, shorten_for_mastodon
from tests.live_fakes import MASTODON_TOKEN, Clock, wait_for

# A real top-level domain: Mastodon counts only a link it recognises (charity.example is none).
LINK = "https://charity.org.uk/appeals/42?utm_source=mastodon"


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def publisher(mastodon: FakeMastodon, wall_clock: Clock, **options: Any) -> MastodonPublisher:
    options.setdefault("timeout", 5)
    options.setdefault("sleep", Sleeps())
    return MastodonPublisher(
        mastodon.url, MASTODON_TOKEN, now=wall_clock.utc, **options, allow_private_addresses=True
    )


def a_post(post_id: int = 1, **fields: Any) -> PostRequest:
    values: dict[str, Any] = {
        "post_id": post_id,
        "text": f"Have you seen Sam?\n\n{LINK}\n\n#missing",
        "link": LINK,
        "marker": LINK,
    }
    values.update(fields)
    return PostRequest(**values)


def test_a_text_status_is_public_in_the_language_with_the_idempotency_key(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    published = publisher(mastodon, wall_clock, language="cy").publish(a_post(7))

    stored = mastodon.statuses[published.remote_id]
    assert stored["visibility"] == "public" and stored["language"] == "cy"
    assert stored["idempotency_key"] == idempotency_key(7)
    assert stored["text"] == a_post().text
    assert published.url.endswith(f"/@charity/{published.remote_id}")


def test_the_same_post_again_is_the_same_status(mastodon: FakeMastodon, wall_clock: Clock) -> None:
    """A retry after a timeout or a crash carries the same key: Mastodon answers with the first
    status instead of making a second."""
    first = publisher(mastodon, wall_clock).publish(a_post(9))
    again = publisher(mastodon, wall_clock).publish(a_post(9))  # a restarted process
    other = publisher(mastodon, wall_clock).publish(a_post(10))

    assert again.remote_id == first.remote_id != other.remote_id
    assert len(mastodon.live_statuses()) == 2


def test_a_photo_is_uploaded_with_its_description_and_awaited(
    mastodon: FakeMastodon, wall_clock: Clock, photos: str
) -> None:
    mastodon.processing_reads = 2  # the instance answers 202, then "still processing" once
    sleeps = Sleeps()
    post = a_post(image_url=f"{photos}/photo.png", alt_text="Photo of Sam, smiling")

    published = publisher(mastodon, wall_clock, sleep=sleeps).publish(post)

    (media_id,) = mastodon.statuses[published.remote_id]["media_ids"]
    assert mastodon.media[media_id]["description"] == "Photo of Sam, smiling"
    assert len(sleeps.calls) == 2
    media_reads = [r for r in mastodon.requests if r.path == f"/api/v1/media/{media_id}"]
    assert len(media_reads) == 2


def test_a_photo_never_processed_is_transient(
    mastodon: FakeMastodon, wall_clock: Clock, photos: str
) -> None:
    mastodon.processing_reads = 1000
    post = a_post(image_url=f"{photos}/photo.png", alt_text="Photo of Sam")
    with pytest.raises(TransientError, match="still processing"):
        publisher(mastodon, wall_clock).publish(post)
    assert mastodon.statuses == {}


def test_a_page_that_is_not_a_photo_is_photo_unusable(
    mastodon: FakeMastodon, wall_clock: Clock, photos: str
) -> None:
    with pytest.raises(PhotoUnusable):
        publisher(mastodon, wall_clock).publish(
            a_post(image_url=f"{photos}/moved.png", alt_text="x")
        )


def test_the_fake_refuses_a_photo_without_alt_text(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    client = publisher(mastodon, wall_clock)
    from bot.fakes.images import png

    with pytest.raises(Exception, match="Description can't be blank"):
        client.api.media_post(png(), mime_type="image/png")


def test_the_instance_limits_are_read_once_and_the_text_fitted(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    mastodon.max_characters = 100
    client = publisher(mastodon, wall_clock)
    long = a_post(
        text="Have you seen Sam? " + "Last seen in a blue coat. " * 10 + LINK + " #missing"
    )

    first = client.publish(long)
    client.publish(a_post(2, text=f"Short {LINK}"))

    text = mastodon.statuses[first.remote_id]["text"]
    assert countable_length(text, 23) <= 100 and LINK in text and "…" in text
    assert sum(1 for r in mastodon.requests if r.path.startswith("/api/v2/instance")) == 1


def test_shorten_keeps_the_link_whole() -> None:
    limits = MastodonLimits(max_characters=40, url_weight=23)
    text = f"Have you seen Sam, 15, from Leeds? {LINK} #missing #Leeds"
    short = shorten_for_mastodon(text, limits)
    assert LINK in short and mastodon_length(short, limits) <= 40


def test_delete_then_metrics_and_delete_again_are_remote_gone(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    client = publisher(mastodon, wall_clock)
    published = client.publish(a_post())
    client.delete(published.remote_id)
    assert mastodon.live_statuses() == []
    with pytest.raises(RemoteGone):
        client.delete(published.remote_id)
    with pytest.raises(RemoteGone):
        client.metrics(published.remote_id)


def test_metrics_grow_with_the_status_age(mastodon: FakeMastodon, wall_clock: Clock) -> None:
    client = publisher(mastodon, wall_clock)
    published = client.publish(a_post())
    wall_clock.advance(1800)

    metrics = client.metrics(published.remote_id)

    assert (metrics.likes, metrics.shares, metrics.replies, metrics.quotes) == (30, 10, 3, 1)


def test_find_published_reads_the_account_statuses(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    client = publisher(mastodon, wall_clock)
    wanted = client.publish(a_post(1))
    client.publish(a_post(2, text="Another https://charity.example/appeals/43", link=None))

    found = client.find_published(a_post(1))

    assert found is not None and found.remote_id == wanted.remote_id


def test_rate_limited_until_the_reset_header(mastodon: FakeMastodon, wall_clock: Clock) -> None:
    client = publisher(mastodon, wall_clock)
    mastodon.inject_named("rate_limit")

    with pytest.raises(RateLimited) as raised:
        client.publish(a_post())

    window_end = int(wall_clock()) - int(wall_clock()) % 300 + 300
    assert raised.value.retry_at is not None
    assert abs(raised.value.retry_at.timestamp() - window_end) < 5


def test_a_revoked_token_is_auth_expired_without_the_token(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    client = publisher(mastodon, wall_clock)
    client.check_credentials()
    mastodon.revoke_token()
    with pytest.raises(AuthExpired) as raised:
        client.publish(a_post())
    assert MASTODON_TOKEN not in str(raised.value)
    assert "set MASTODON_ACCESS_TOKEN" in str(raised.value)  # the fix, in the pause's reason


def test_a_token_without_the_scope_is_auth_expired(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    mastodon.scopes = {"read:statuses"}
    try:
        with pytest.raises(AuthExpired, match="outside the authorized scopes"):
            publisher(mastodon, wall_clock).publish(a_post())
    finally:
        mastodon.scopes = set(README_SCOPES)


@pytest.mark.parametrize("fault", ["server_error", "expired_token"])
def test_faults_on_reading(mastodon: FakeMastodon, wall_clock: Clock, fault: str) -> None:
    client = publisher(mastodon, wall_clock)
    published = client.publish(a_post())
    mastodon.inject_named(fault)
    expected = {"server_error": TransientError, "expired_token": AuthExpired}[fault]
    with pytest.raises(expected):
        client.metrics(published.remote_id)


def test_a_dropped_connection_after_the_status_is_unknown_then_idempotent(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    client = publisher(mastodon, wall_clock)
    client.limits()
    mastodon.inject_named("drop_after_success")

    with pytest.raises(OutcomeUnknown):
        client.publish(a_post(5))

    retried = client.publish(a_post(5))
    assert [s["id"] for s in mastodon.live_statuses()] == [retried.remote_id]


def test_a_timeout_creating_a_status_is_outcome_unknown(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    client = publisher(mastodon, wall_clock, timeout=0.3)
    client.limits()
    mastodon.slow_seconds = 0.6
    mastodon.inject_named("slow")
    with pytest.raises(OutcomeUnknown):
        client.publish(a_post())
    # It did go out, after the client gave up (and before the next test starts).
    assert wait_for(lambda: len(mastodon.live_statuses()) == 1, 5)


def test_an_unreachable_instance_is_transient_not_unknown(wall_clock: Clock) -> None:
    with FakeMastodon() as gone:
        url = gone.url
    client = MastodonPublisher(
        url, MASTODON_TOKEN, timeout=2, now=wall_clock.utc, allow_private_addresses=True
    )
    with pytest.raises(PublishError) as raised:
        client.publish(a_post())
    assert type(raised.value) is TransientError


def test_every_named_fault_exists() -> None:
    mastodon = FakeMastodon()
    for name in (
        "rate_limit",
        "server_error",
        "expired_token",
        "slow",
        "drop_after_success",
        "hold_after_success",
        "hold_before_request",
    ):
        assert mastodon.named_fault(name).name == name


def test_a_status_over_the_limit_is_refused_by_the_fake(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    client = publisher(mastodon, wall_clock)
    with pytest.raises(MastodonAPIError, match="character limit of 500"):
        client.api.status_post("🇬🇧" * 501)
    client.api.status_post("🇬🇧" * 500)  # graphemes, not code points


def test_an_appeal_card_made_here_is_uploaded_instead_of_the_photo(
    mastodon: FakeMastodon, wall_clock: Clock
) -> None:
    from bot.fakes.images import png
    from bot.platforms.media import Image

    card = Image(png(200, 100), "image/png")
    post = a_post(image=card, image_url="http://127.0.0.1:9/photo.png", alt_text="Appeal card")
    published = publisher(mastodon, wall_clock).publish(post)

    (media_id,) = mastodon.statuses[published.remote_id]["media_ids"]
    media = mastodon.media[media_id]
    assert media["description"] == "Appeal card" and media["size"] == len(card.data)
    assert (media["width"], media["height"]) == (200, 100)
