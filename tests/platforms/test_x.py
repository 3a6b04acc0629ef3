"""The real X client (tweepy) against the fake X on 127.0.0.1: posts, photos, metrics, failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.appeals.withdrawal import process_deletions, withdraw_item
from bot.core.clock import from_iso
from bot.core.db import open_db
from bot.core.errors import (
    AuthExpired,
    DuplicatePost,
    OutcomeUnknown,
    PermanentError,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
)
from bot.core.events import list_events
from bot.core.settings import load_settings
from bot.fakes.base import FakeResponse, Fault
from bot.fakes.images import png
from bot.fakes.x_server import FakeX, about_blank, public_metrics
from bot.platforms.base import Metrics, PostRequest, Published
from bot.platforms.x import XPublisher, error_from_response, expanded_text
from bot.posts.planner import plan_posts
from bot.posts.queue import enqueue, list_posts, store_item
from bot.sending.publishing import run_slot
from tests.factories import NOW as ITEM_NOW
from tests.factories import make_item, make_settings
from tests.live_fakes import Clock
from tests.photo_site import file_site

# Distinctive credentials, so a leak into any error text is easy to spot.
API_KEY = "ck-CONSUMERKEY-7f3a"
API_SECRET = "cs-CONSUMERSECRET-91bd"
ACCESS_TOKEN = "at-ACCESSTOKEN-55e0"
ACCESS_SECRET = "as-ACCESSSECRET-c4d2"
SECRETS = (API_KEY, API_SECRET, ACCESS_TOKEN, ACCESS_SECRET)
NOW = 1_700_000_000.0
MAX_IMAGE = 2_000


PHOTO = png()
FILES: dict[str, tuple[str, bytes]] = {
    "/photo.png": ("image/png", PHOTO),
    "/huge.jpg": ("image/jpeg", b"\xff\xd8\xff" + b"\x00" * (MAX_IMAGE * 2)),
    "/moved.png": ("text/html; charset=utf-8", b"<html><body>This page has moved</body></html>"),
}


SLOW_PHOTO_SECONDS = 0.6  # longer than the slow client's timeout below


@pytest.fixture(scope="module")
def images() -> Iterator[str]:
    """The charity's website, serving a photo, an oversized photo and an HTML page (and the
    photo again at /slow.png, after the slow client has given up)."""
    files = {**FILES, "/slow.png": FILES["/photo.png"]}
    with file_site(files, delays={"/slow.png": SLOW_PHOTO_SECONDS}) as url:
        yield url


_CLOCK = Clock(datetime.fromtimestamp(NOW, UTC))


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeX]:
    """One fake a module, reset for each test: starting and stopping one costs more."""
    with FakeX(API_KEY, ACCESS_TOKEN, username="charity", clock=_CLOCK) as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    _CLOCK.set(datetime.fromtimestamp(NOW, UTC))
    return _CLOCK


@pytest.fixture
def fake(_server: FakeX, clock: Clock) -> Iterator[FakeX]:
    _server.reset()
    _server.slow_seconds = 0.5
    yield _server
    _server.reset()


@pytest.fixture
def x(fake: FakeX) -> XPublisher:
    return XPublisher(
        API_KEY,
        API_SECRET,
        ACCESS_TOKEN,
        ACCESS_SECRET,
        base_url=fake.url,
        live=False,
        timeout=2.0,
        max_image_bytes=MAX_IMAGE,
        allow_private_addresses=True,
    )


def request(
    text: str = "Have you seen Sam? https://example.org/appeals/sam", **kw: Any
) -> PostRequest:
    kw.setdefault("marker", "https://example.org/appeals/sam")
    return PostRequest(post_id=1, text=text, **kw)


def assert_no_secret(error: BaseException) -> None:
    for shown in (str(error), repr(error), getattr(error, "message", "")):
        for secret in SECRETS:
            assert secret not in shown
        assert "oauth_" not in shown.lower() and "authorization" not in shown.lower()


# --- happy paths -------------------------------------------------------------------------------


def test_text_post(x: XPublisher, fake: FakeX) -> None:
    published = x.publish(request())
    assert published == Published(
        published.remote_id, f"https://x.com/i/status/{published.remote_id}"
    )
    stored = fake.posts[published.remote_id]
    assert stored["text"] == "Have you seen Sam? https://example.org/appeals/sam"
    assert stored["media_ids"] == []
    # tweepy signed for the public host; the adapter only changed where the request went.
    assert (fake.requests[-1].header("authorization") or "").startswith("OAuth ")
    assert x.platform == "x" and x.live is False


def test_photo_post_uploads_image_and_alt_text(x: XPublisher, fake: FakeX, images: str) -> None:
    post = request(image_url=images + "/photo.png", alt_text="Sam, 15, in a red coat")
    published = x.publish(post)
    stored = fake.posts[published.remote_id]
    assert stored["alt_texts"] == ["Sam, 15, in a red coat"]
    (media_id,) = stored["media_ids"]
    assert fake.media[media_id]["data"] == PHOTO
    assert fake.media[media_id]["category"] == "tweet_image"
    upload = next(r for r in fake.requests if r.path == "/2/media/upload")
    assert (upload.header("content-type") or "").startswith("multipart/form-data")


def test_delete(x: XPublisher, fake: FakeX) -> None:
    published = x.publish(request())
    x.delete(published.remote_id)
    assert fake.posts[published.remote_id]["deleted"] is True
    with pytest.raises(RemoteGone):
        x.delete(published.remote_id)
    with pytest.raises(RemoteGone):
        x.metrics(published.remote_id)


def test_metrics_grow_with_the_clock(x: XPublisher, clock: Clock) -> None:
    remote_id = x.publish(request()).remote_id
    assert x.metrics(remote_id) == Metrics(0, 0, 0, 0, 0)
    clock.now += 10 * 60
    expected = public_metrics(remote_id, 10 * 60)
    ten = x.metrics(remote_id)
    assert ten == Metrics(
        shares=expected["retweet_count"],
        quotes=expected["quote_count"],
        likes=expected["like_count"],
        replies=expected["reply_count"],
        impressions=expected["impression_count"],
    )
    assert ten.shares >= 10
    clock.now += 10 * 60
    assert x.metrics(remote_id).shares == 2 * ten.shares


def test_check_credentials(x: XPublisher) -> None:
    assert x.check_credentials() == "@charity"


def test_wrong_credentials_are_auth_expired(fake: FakeX) -> None:
    other = XPublisher(
        API_KEY,
        API_SECRET,
        "at-REVOKED-0001",
        ACCESS_SECRET,
        base_url=fake.url,
        allow_private_addresses=True,
    )
    with pytest.raises(AuthExpired) as caught:
        other.check_credentials()
    assert "at-REVOKED-0001" not in str(caught.value)


def test_from_settings(fake: FakeX) -> None:
    settings = load_settings(
        {
            "X_API_KEY": API_KEY,
            "X_API_SECRET": API_SECRET,
            "X_ACCESS_TOKEN": ACCESS_TOKEN,
            "X_ACCESS_TOKEN_SECRET": ACCESS_SECRET,
            "X_API_BASE_URL": fake.url,
            "SANDBOX": "1",
        },
        env_file=None,
    )
    x = XPublisher.from_settings(settings)
    assert x.live is False
    assert x.check_credentials() == "@charity"
    assert API_KEY not in repr(x)


def test_find_published_none_when_absent(x: XPublisher) -> None:
    x.publish(request("Another appeal https://example.org/appeals/jo", marker="x"))
    assert x.find_published(request()) is None


# --- failures ----------------------------------------------------------------------------------


def test_rate_limit_retry_at_from_header(x: XPublisher, fake: FakeX) -> None:
    fake.inject_named("rate_limit")
    with pytest.raises(RateLimited) as caught:
        x.publish(request())
    assert caught.value.retry_at == datetime.fromtimestamp(NOW + 900, UTC)
    assert caught.value.daily is False
    assert fake.posts == {}


def test_daily_cap_is_daily(x: XPublisher, fake: FakeX) -> None:
    fake.inject_named("daily_cap")
    with pytest.raises(RateLimited) as caught:
        x.publish(request())
    assert caught.value.daily is True
    assert caught.value.retry_at == datetime.fromtimestamp(NOW + 6 * 3600, UTC)


def test_server_error_is_transient(x: XPublisher, fake: FakeX) -> None:
    fake.inject_named("server_error")
    with pytest.raises(TransientError) as caught:
        x.publish(request())
    assert type(caught.value) is TransientError
    assert "503" in str(caught.value)


def impatient(fake: FakeX) -> XPublisher:
    """A client on the fake that gives up on a call after 0.2 s (the "slow" fault waits longer)."""
    return XPublisher(
        API_KEY,
        API_SECRET,
        ACCESS_TOKEN,
        ACCESS_SECRET,
        base_url=fake.url,
        timeout=0.2,
        allow_private_addresses=True,
    )


def test_slow_post_is_outcome_unknown(fake: FakeX) -> None:
    slow = impatient(fake)
    fake.inject_named("slow")
    with pytest.raises(OutcomeUnknown):
        slow.publish(request())


def test_slow_read_is_only_transient(x: XPublisher, fake: FakeX) -> None:
    remote_id = x.publish(request()).remote_id
    slow = impatient(fake)
    fake.inject_named("slow")
    with pytest.raises(TransientError) as caught:
        slow.metrics(remote_id)
    assert not isinstance(caught.value, OutcomeUnknown)


def test_duplicate_fault_and_real_duplicate(x: XPublisher, fake: FakeX) -> None:
    fake.inject_named("duplicate")
    with pytest.raises(DuplicatePost) as caught:
        x.publish(request())
    assert "duplicate content" in str(caught.value)
    x.publish(request())
    with pytest.raises(DuplicatePost):
        x.publish(request())


def test_expired_token(x: XPublisher, fake: FakeX) -> None:
    fake.inject_named("expired_token")
    with pytest.raises(AuthExpired):
        x.publish(request())


# X's 403s that refuse the app or account, not the post: every post would be refused alike.
ACCOUNT_REFUSALS = {
    "read-only app": about_blank(403, "Forbidden", "You are not permitted to perform this action."),
    "oauth1 permissions": FakeResponse(
        403,
        {
            "title": "Forbidden",
            "detail": "Your client app is not configured with the appropriate oauth1 app"
            " permissions for this endpoint.",
            "type": "https://api.twitter.com/2/problems/oauth1-permissions",
        },
    ),
    "client forbidden": FakeResponse(
        403,
        {
            "title": "Client Forbidden",
            "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use"
            " keys and tokens from a Twitter developer App that is attached to a Project.",
            "reason": "client-not-enrolled",
            "type": "https://api.twitter.com/2/problems/client-forbidden",
        },
    ),
}


@pytest.mark.parametrize("refusal", ACCOUNT_REFUSALS)
def test_a_403_refusing_the_app_pauses_instead_of_failing_the_post(
    x: XPublisher, fake: FakeX, refusal: str
) -> None:
    response = ACCOUNT_REFUSALS[refusal]
    fake.inject(Fault(refusal, response=response, method="POST", path_contains="/2/tweets"))
    with pytest.raises(AuthExpired) as caught:
        x.publish(request())
    assert str(response.body["detail"]) in str(caught.value)
    assert fake.posts == {}


def test_too_long_is_permanent_with_x_words(x: XPublisher) -> None:
    with pytest.raises(PermanentError) as caught:
        x.publish(request("a" * 300))
    assert "too long" in str(caught.value)


def test_drop_after_success_then_reconcile(x: XPublisher, fake: FakeX) -> None:
    fake.inject_named("drop_after_success")
    with pytest.raises(OutcomeUnknown):
        x.publish(request())
    (stored_id,) = fake.posts
    found = x.find_published(request())
    assert found == Published(stored_id, f"https://x.com/i/status/{stored_id}")


def test_connection_refused_is_transient() -> None:
    with FakeX() as gone:  # a fake of its own: the module's one serves the other tests
        url = gone.url
    x = XPublisher(
        API_KEY,
        API_SECRET,
        ACCESS_TOKEN,
        ACCESS_SECRET,
        base_url=url,
        timeout=1,
        allow_private_addresses=True,
    )
    with pytest.raises(TransientError) as caught:
        x.publish(request())
    assert not isinstance(caught.value, OutcomeUnknown)  # never sent: safe to send again


def test_oversized_image_refused(x: XPublisher, fake: FakeX, images: str) -> None:
    with pytest.raises(PermanentError) as caught:
        x.publish(request(image_url=images + "/huge.jpg"))
    assert "2,000 bytes" in str(caught.value)
    assert fake.posts == {} and fake.media == {}


def test_html_image_refused(x: XPublisher, fake: FakeX, images: str) -> None:
    with pytest.raises(PermanentError) as caught:
        x.publish(request(image_url=images + "/moved.png"))
    assert "text/html, not a JPEG, PNG, GIF or WebP image" in str(caught.value)
    assert fake.posts == {}


def test_missing_image_refused(x: XPublisher, images: str) -> None:
    with pytest.raises(PermanentError):
        x.publish(request(image_url=images + "/gone.png"))


FAULTS = [
    "rate_limit",
    "daily_cap",
    "server_error",
    "slow",
    "duplicate",
    "expired_token",
    "drop_after_success",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_no_secret_in_any_error(fake: FakeX, fault: str) -> None:
    x = impatient(fake)
    fake.inject_named(fault)
    with pytest.raises(PublishError) as caught:
        x.publish(request(f"fault {fault}"))
    assert_no_secret(caught.value)
    assert caught.value.__cause__ is None


def test_no_secret_in_credential_and_validation_errors(fake: FakeX, images: str) -> None:
    x = XPublisher(
        API_KEY,
        API_SECRET,
        ACCESS_TOKEN,
        ACCESS_SECRET,
        base_url=fake.url,
        allow_private_addresses=True,
    )
    errors: list[PublishError] = []
    for action in (
        lambda: XPublisher(
            API_KEY, API_SECRET, "bad", "bad", base_url=fake.url, allow_private_addresses=True
        ).check_credentials(),
        lambda: x.publish(request("a" * 300)),
        lambda: x.publish(request(image_url=images + "/moved.png")),
        lambda: x.delete("123"),
    ):
        with pytest.raises(PublishError) as caught:
            action()
        errors.append(caught.value)
    for error in errors:
        assert_no_secret(error)


def test_a_photo_that_keeps_timing_out_does_not_hold_the_appeal_back(
    fake: FakeX, images: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    item = make_item(1, image_url=images + "/slow.png")
    store_item(db, item, ITEM_NOW)
    enqueue(db, item.id, plan_posts(item, settings, ITEM_NOW), ITEM_NOW)
    slow = impatient(fake)
    now = ITEM_NOW + timedelta(minutes=1)
    for _ in range(3):
        run_slot(db, {"x": slow}, settings, clock=lambda moment=now: moment)
        [post] = list_posts(db)
        if post["status"] != "queued":
            break
        now = from_iso(post["next_attempt_at"]) + timedelta(seconds=1)
    # One retry for the photo, then the appeal goes out without it, minutes late, not days.
    assert post["status"] == "sent" and post["attempts"] == 2
    assert now - ITEM_NOW < timedelta(minutes=5)
    [stored] = fake.posts.values()
    assert stored["media_ids"] == []
    assert "sent without photo" in list_events(db, outcome="sent")[0]["detail"]
    assert post["degraded"]


def test_a_duplicate_is_recorded_with_the_existing_posts_id_so_a_withdrawal_deletes_it(
    x: XPublisher, fake: FakeX, clock: Clock, tmp_path: Path
) -> None:
    clock.now = ITEM_NOW.timestamp()  # X's time and the queue's agree
    settings = make_settings(tmp_path, PLATFORMS="x")
    db = open_db(settings.database_path)
    item = make_item(1)
    store_item(db, item, ITEM_NOW)
    enqueue(db, item.id, plan_posts(item, settings, ITEM_NOW), ITEM_NOW)
    [queued] = list_posts(db)
    # It went out before (a send whose answer was lost), so X refuses it as a duplicate.
    earlier = x.publish(request(queued["text"], marker=queued["link"]))
    later = ITEM_NOW + timedelta(minutes=1)
    assert run_slot(db, {"x": x}, settings, clock=lambda: later).sent == {"x": 1}
    [post] = list_posts(db)
    assert (post["status"], post["remote_id"]) == ("sent", earlier.remote_id)
    withdraw_item(db, item.id, "found safe", later)
    process_deletions(db, {"x": x}, later)
    assert fake.posts[earlier.remote_id]["deleted"] is True  # the appeal is down


def test_expanded_text_is_the_text_we_sent() -> None:
    """X escapes ``&`` and appends a t.co link to an attached photo; neither is in our text."""
    tweet = {
        "text": "Ann &amp; Bea missing https://t.co/a https://t.co/p",
        "entities": {
            "urls": [
                {"url": "https://t.co/a", "expanded_url": "https://police.example/x"},
                {
                    "url": "https://t.co/p",
                    "expanded_url": "https://x.com/i/photo/1",
                    "media_key": "3_1",
                },
            ]
        },
    }
    assert " ".join(expanded_text(tweet).split()) == "Ann & Bea missing https://police.example/x"


class _Answer:
    """What error_from_response reads of a requests.Response."""

    def __init__(self, status: int, body: Any, headers: dict[str, str]) -> None:
        self.status_code, self.headers, self.reason, self._body = status, headers, "", body

    def json(self) -> Any:
        return self._body


@pytest.mark.parametrize("digits", ["²", "①", "₁₇₀₀₀₀₀₀₀₀", "99999999999999999999"])
def test_numbers_in_digits_int_refuses_are_read_as_absent(digits: str) -> None:
    # str.isdigit() takes them and int() refuses them: a header or error code written so must
    # still give the error it stands for, never a ValueError out of the publisher.
    limited = error_from_response(
        _Answer(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": digits}), True
    )
    assert isinstance(limited, RateLimited)
    capped = error_from_response(
        _Answer(
            429,
            {"errors": [{"code": digits, "message": "Too Many Requests"}]},
            {"x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": digits},
        ),
        True,
    )
    assert isinstance(capped, RateLimited)
