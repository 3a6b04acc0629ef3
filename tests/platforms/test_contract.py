"""One contract, every publisher: the sandbox, X (tweepy) on the fake X, Facebook on the fake Graph,
Bluesky (the atproto SDK) on the fake PDS and Mastodon (Mastodon.py) on the fake instance.

The pipeline only knows :class:`bot.platforms.base.Publisher`; these tests pin down what it may
rely on, whichever platform is behind it (APScheduler's ``test_jobstores.py`` pattern).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import AuthExpired, DuplicatePost, RemoteGone
from bot.core.settings import FacebookPage
from bot.fakes.bluesky_server import FakeBluesky
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.mastodon_server import FakeMastodon
from bot.fakes.x_server import FakeX
from bot.platforms.base import Metrics, PostRequest, Publisher
from bot.platforms.bluesky import BlueskyPublisher
from bot.platforms.facebook import FacebookPublisher
from bot.platforms.mastodon import MastodonPublisher
from bot.platforms.sandbox import SandboxPublisher
from bot.platforms.x import XPublisher
from tests.live_fakes import (
    BSKY_HANDLE,
    BSKY_PASSWORD,
    FB_PAGE,
    FB_TOKEN,
    MASTODON_TOKEN,
    X_KEY,
    X_SECRET,
    X_TOKEN,
    X_TOKEN_SECRET,
    image_site,
)
from tests.live_fakes import fake_bluesky as make_fake_bluesky
from tests.live_fakes import fake_facebook as make_fake_facebook
from tests.live_fakes import fake_mastodon as make_fake_mastodon
from tests.live_fakes import fake_x as make_fake_x

_numbers = itertools.count(1)


@dataclass
class Backend:
    """A publisher plus a way to read, from the platform's side, the alt text a post carries."""

    publisher: Publisher
    alt_text_of: Callable[[str], str | None]
    # Make the platform refuse the credentials from now on (None: the backend has none).
    revoke: Callable[[], None] | None = None
    # What publishing the same post twice does: "refused" (DuplicatePost), "same" (the
    # platform answers with the first post: Mastodon's Idempotency-Key) or "accepted" (Bluesky
    # takes identical posts; reconciliation, not the platform, keeps a retry from doubling).
    repeat: str = "refused"


@pytest.fixture(scope="module")
def fake_x() -> Iterator[FakeX]:
    with make_fake_x() as server:
        assert isinstance(server, FakeX)
        yield server


@pytest.fixture(scope="module")
def fake_facebook() -> Iterator[FakeFacebook]:
    with make_fake_facebook() as server:
        assert isinstance(server, FakeFacebook)
        yield server


@pytest.fixture(scope="module")
def fake_bluesky() -> Iterator[FakeBluesky]:
    with make_fake_bluesky() as server:
        assert isinstance(server, FakeBluesky)
        yield server


@pytest.fixture(scope="module")
def fake_mastodon() -> Iterator[FakeMastodon]:
    with make_fake_mastodon() as server:
        assert isinstance(server, FakeMastodon)
        yield server


@pytest.fixture(scope="module")
def images() -> Iterator[str]:
    with image_site() as url:
        yield url


def _sandbox(request: pytest.FixtureRequest) -> Backend:
    publisher = SandboxPublisher("x")
    return Backend(publisher, lambda rid: publisher.posts[rid].request.alt_text)


def _x(request: pytest.FixtureRequest) -> Backend:
    fake: FakeX = request.getfixturevalue("fake_x")
    fake.reset()
    fake.consumer_key = X_KEY
    publisher = XPublisher(
        X_KEY,
        X_SECRET,
        X_TOKEN,
        X_TOKEN_SECRET,
        base_url=fake.url,
        timeout=5,
        allow_private_addresses=True,
    )

    def alt_text(remote_id: str) -> str | None:
        texts = fake.posts[remote_id]["alt_texts"]
        return texts[0] if texts else None

    def revoke() -> None:
        fake.consumer_key = "a-key-that-was-rotated"

    return Backend(publisher, alt_text, revoke)


def _facebook(request: pytest.FixtureRequest) -> Backend:
    fake: FakeFacebook = request.getfixturevalue("fake_facebook")
    fake.reset()
    fake.pages[FB_PAGE] = FB_TOKEN
    publisher = FacebookPublisher(
        [FacebookPage(FB_PAGE, FB_TOKEN)],
        graph_url=fake.url,
        api_version=fake.api_version,
        timeout=5,
    )

    def revoke() -> None:
        fake.pages[FB_PAGE] = "a-token-that-was-revoked"

    return Backend(publisher, lambda rid: fake.posts[rid]["alt_text"], revoke)


def _bluesky(request: pytest.FixtureRequest) -> Backend:
    fake: FakeBluesky = request.getfixturevalue("fake_bluesky")
    fake.reset()
    fake.app_password = BSKY_PASSWORD
    publisher = BlueskyPublisher(
        BSKY_HANDLE, BSKY_PASSWORD, fake.url, timeout=5, allow_private_addresses=True
    )

    def alt_text(remote_id: str) -> str | None:
        embed = fake.posts[remote_id.rsplit("/", 1)[-1]]["record"].get("embed") or {}
        images = embed.get("images") or []
        return images[0]["alt"] if images else None

    return Backend(publisher, alt_text, fake.revoke_app_password, repeat="accepted")


def _mastodon(request: pytest.FixtureRequest) -> Backend:
    fake: FakeMastodon = request.getfixturevalue("fake_mastodon")
    fake.reset()
    fake.access_token = MASTODON_TOKEN
    publisher = MastodonPublisher(
        fake.url, MASTODON_TOKEN, timeout=5, sleep=lambda _: None, allow_private_addresses=True
    )

    def alt_text(remote_id: str) -> str | None:
        media = fake.statuses[remote_id]["media_ids"]
        return fake.media[media[0]]["description"] if media else None

    return Backend(publisher, alt_text, fake.revoke_token, repeat="same")


BACKENDS = {
    "sandbox": _sandbox,
    "x": _x,
    "facebook": _facebook,
    "bluesky": _bluesky,
    "mastodon": _mastodon,
}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param](request)


def a_post(**fields: object) -> PostRequest:
    """A post whose link appears in its text, as composed posts always carry it."""
    n = next(_numbers)
    link = f"https://charity.example/appeals/contract-{n}"
    values: dict[str, object] = {
        "post_id": n,
        "text": f"Have you seen Person {n}? Please share. {link} #missing",
        "link": link,
        "marker": link,
    }
    values.update(fields)
    return PostRequest(**values)  # type: ignore[arg-type]


def test_publish_returns_a_remote_id_and_a_public_url(backend: Backend) -> None:
    published = backend.publisher.publish(a_post())
    assert published.remote_id
    assert published.url.startswith(("https://", "http://"))
    # A Bluesky id is an AT URI (at://did/collection/rkey); its public URL names the rkey.
    assert published.remote_id.rsplit("/", 1)[-1] in published.url


def test_two_posts_get_two_ids(backend: Backend) -> None:
    first = backend.publisher.publish(a_post())
    second = backend.publisher.publish(a_post())
    assert first.remote_id != second.remote_id


def test_the_same_post_twice(backend: Backend) -> None:
    post = a_post()
    first = backend.publisher.publish(post)
    if backend.repeat == "refused":
        with pytest.raises(DuplicatePost):
            backend.publisher.publish(post)
    elif backend.repeat == "same":
        assert backend.publisher.publish(post).remote_id == first.remote_id
    else:
        assert backend.publisher.publish(post).remote_id != first.remote_id


def test_delete_then_delete_again_is_remote_gone(backend: Backend) -> None:
    published = backend.publisher.publish(a_post())
    backend.publisher.delete(published.remote_id)
    with pytest.raises(RemoteGone):
        backend.publisher.delete(published.remote_id)


def test_a_deleted_text_may_be_posted_again(backend: Backend) -> None:
    """Duplicate refusal only concerns live posts: a re-appeal after a deletion goes out."""
    post = a_post()
    first = backend.publisher.publish(post)
    backend.publisher.delete(first.remote_id)
    again = replace(post, post_id=next(_numbers))  # a re-appeal is a new queue entry
    assert backend.publisher.publish(again).remote_id != first.remote_id


def test_metrics_are_non_negative_then_remote_gone_after_deletion(backend: Backend) -> None:
    published = backend.publisher.publish(a_post())
    metrics = backend.publisher.metrics(published.remote_id)
    assert isinstance(metrics, Metrics)
    assert min(metrics.shares, metrics.quotes, metrics.likes, metrics.replies) >= 0
    assert metrics.impressions is None or metrics.impressions >= 0
    backend.publisher.delete(published.remote_id)
    with pytest.raises(RemoteGone):
        backend.publisher.metrics(published.remote_id)


def test_find_published_by_marker(backend: Backend) -> None:
    backend.publisher.publish(a_post())
    wanted = a_post()
    published = backend.publisher.publish(wanted)
    backend.publisher.publish(a_post())
    found = backend.publisher.find_published(wanted)
    assert found is not None
    assert found.remote_id == published.remote_id


def test_find_published_is_none_for_an_unknown_marker(backend: Backend) -> None:
    backend.publisher.publish(a_post())
    assert backend.publisher.find_published(a_post()) is None


def test_find_published_ignores_posts_older_than_the_queue_entry(backend: Backend) -> None:
    """A re-appeal shares its link with the appeal's first post, made days before it was queued."""
    post = a_post()
    backend.publisher.publish(post)
    queued_later = datetime.now(UTC) + timedelta(days=7)
    assert backend.publisher.find_published(replace(post, not_before=queued_later)) is None


def test_find_published_matches_the_link_whole(backend: Backend) -> None:
    post = a_post()
    backend.publisher.publish(post)
    assert post.link
    link = post.link[:-1]
    text = post.text.replace(post.link, link)
    shorter = replace(post, post_id=post.post_id + 1, text=text, link=link, marker=link)
    assert backend.publisher.find_published(shorter) is None


def test_find_published_never_takes_another_post_with_the_same_link(backend: Backend) -> None:
    """Issue 11: two appeals linking to one police page are two posts, told apart by text."""
    first = a_post()
    backend.publisher.publish(first)
    other = replace(first, post_id=first.post_id + 1, text=first.text.replace("Person", "Ann"))
    assert backend.publisher.find_published(other) is None


def test_find_published_skips_a_post_another_of_ours_owns(backend: Backend) -> None:
    post = a_post()
    published = backend.publisher.publish(post)
    taken = replace(post, taken=frozenset({published.remote_id}))
    assert backend.publisher.find_published(taken) is None


def test_find_published_ignores_deleted_posts(backend: Backend) -> None:
    post = a_post()
    published = backend.publisher.publish(post)
    backend.publisher.delete(published.remote_id)
    assert backend.publisher.find_published(post) is None


def test_check_credentials_names_the_account(backend: Backend) -> None:
    account = backend.publisher.check_credentials()
    assert isinstance(account, str) and account.strip()


def test_check_credentials_asks_the_platform_every_time(backend: Backend) -> None:
    """A paused platform resumes on ``check_credentials``: an answer remembered from before the
    token was revoked would resume it with credentials that no longer work."""
    if backend.revoke is None:
        pytest.skip("the in-memory sandbox has no credentials")
    backend.publisher.check_credentials()
    backend.publisher.find_published(a_post())
    backend.revoke()
    with pytest.raises(AuthExpired):
        backend.publisher.check_credentials()


def test_photo_post_with_alt_text(backend: Backend, request: pytest.FixtureRequest) -> None:
    site = request.getfixturevalue("images")
    post = a_post(image_url=f"{site}/photo.png", alt_text="Photo of Person, smiling")
    published = backend.publisher.publish(post)
    assert published.remote_id
    assert backend.alt_text_of(published.remote_id) == "Photo of Person, smiling"
