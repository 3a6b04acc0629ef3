"""The real Facebook client (requests) against the fake Graph API on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import (
    AuthExpired,
    DuplicatePost,
    OutcomeUnknown,
    PermanentError,
    PermissionMissing,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
)
from bot.core.settings import FacebookPage, load_settings
from bot.fakes.base import FakeResponse, Fault
from bot.fakes.facebook_server import (
    COMMENT_EVERY,
    REACTION_EVERY,
    SHARE_EVERY,
    FakeFacebook,
    GraphError,
)
from bot.platforms.base import Metrics, PostRequest, Publisher
from bot.platforms.facebook import FacebookPublisher, classify_error, rate_limit_retry_at
from tests.live_fakes import Clock

MAIN, MAIN_TOKEN = "1000000001", "main-page-secret-token"
NORTH, NORTH_TOKEN = "2000000002", "north-page-secret-token"
TOKENS = (MAIN_TOKEN, NORTH_TOKEN)


CLOCK_START = datetime.fromtimestamp(1_750_000_000, UTC)
_CLOCK = Clock(CLOCK_START)


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeFacebook]:
    """One fake a module: stopping a server costs up to half a second, so tests reset it instead."""
    pages = {MAIN: MAIN_TOKEN, NORTH: NORTH_TOKEN}
    names = {MAIN: "Missing People Sandbox", NORTH: "Missing People North"}
    with FakeFacebook(pages, page_names=names, clock=_CLOCK) as server:
        assert isinstance(server, FakeFacebook)
        yield server


@pytest.fixture
def clock() -> Clock:
    _CLOCK.set(CLOCK_START)
    return _CLOCK


@pytest.fixture
def fake(_server: FakeFacebook, clock: Clock) -> FakeFacebook:
    _server.reset()
    return _server


def make_client(fake: FakeFacebook, clock: Clock, timeout: float = 5.0) -> FacebookPublisher:
    pages = [FacebookPage(MAIN, MAIN_TOKEN), FacebookPage(NORTH, NORTH_TOKEN, region="north")]
    return FacebookPublisher(pages, graph_url=fake.url, timeout=timeout, now=clock.utc)


@pytest.fixture
def client(fake: FakeFacebook, clock: Clock) -> FacebookPublisher:
    return make_client(fake, clock)


def text_post(n: int = 1, **changes: object) -> PostRequest:
    values: dict[str, object] = {
        "post_id": n,
        "text": f"MISSING: Sam {n}, 14, last seen in Leeds. https://charity.example/appeals/{n}",
        "link": f"https://charity.example/appeals/{n}",
        "marker": f"https://charity.example/appeals/{n}",
    }
    values.update(changes)
    return PostRequest(**values)  # type: ignore[arg-type]


def no_secret(error: BaseException) -> None:
    for token in TOKENS:
        assert token not in str(error)
        assert token not in repr(error)


def test_is_a_publisher(client: FacebookPublisher) -> None:
    publisher: Publisher = client
    assert publisher.platform == "facebook"
    assert publisher.live is True


def test_from_settings() -> None:
    settings = load_settings(
        {
            "FACEBOOK_PAGE_ID": MAIN,
            "FACEBOOK_PAGE_ACCESS_TOKEN": MAIN_TOKEN,
            "FACEBOOK_GRAPH_URL": "http://127.0.0.1:9",
            "SANDBOX": "1",
        },
        env_file=None,
    )
    publisher = FacebookPublisher.from_settings(settings)
    assert publisher.base_url == "http://127.0.0.1:9/v24.0"
    assert publisher.live is False
    assert publisher.pages[0].page_id == MAIN


def test_link_post_and_text_post(client: FacebookPublisher, fake: FakeFacebook) -> None:
    published = client.publish(text_post(1))
    assert published.remote_id.startswith(f"{MAIN}_")
    assert published.url == f"https://www.facebook.com/{published.remote_id}"
    stored = fake.posts[published.remote_id]
    assert stored["link"] == "https://charity.example/appeals/1"
    assert stored["message"].startswith("MISSING: Sam 1")
    plain = client.publish(PostRequest(post_id=2, text="News: our annual report is out."))
    assert fake.posts[plain.remote_id]["link"] is None


def test_token_travels_in_a_header_never_in_a_url(
    client: FacebookPublisher, fake: FakeFacebook
) -> None:
    published = client.publish(text_post(1))
    client.metrics(published.remote_id)
    client.find_published(text_post(1))
    client.delete(published.remote_id)
    client.check_credentials()
    assert fake.requests
    for request in fake.requests:
        assert "access_token" not in request.query
        assert request.header("authorization") in (f"OAuth {MAIN_TOKEN}", f"OAuth {NORTH_TOKEN}")
        assert b"access_token" not in request.body


def test_photo_post_with_alt_text(client: FacebookPublisher, fake: FakeFacebook) -> None:
    post = text_post(
        3,
        image_url="https://charity.example/img/sam.jpg",
        alt_text="Sam, smiling, wearing a red coat",
    )
    published = client.publish(post)
    stored = fake.posts[published.remote_id]
    assert stored["photo_url"] == "https://charity.example/img/sam.jpg"
    assert stored["alt_text"] == "Sam, smiling, wearing a red coat"
    assert stored["message"] == post.text
    assert published.remote_id.startswith(f"{MAIN}_")


def test_delete_then_delete_again_is_remote_gone(
    client: FacebookPublisher, fake: FakeFacebook
) -> None:
    published = client.publish(text_post(1))
    client.delete(published.remote_id)
    assert fake.posts[published.remote_id]["deleted"] is True
    with pytest.raises(RemoteGone):
        client.delete(published.remote_id)
    with pytest.raises(RemoteGone):
        client.metrics(published.remote_id)


def test_a_delete_answered_success_false_is_retried_not_taken_as_done(
    client: FacebookPublisher, fake: FakeFacebook
) -> None:
    published = client.publish(text_post(1))
    fake.inject(
        Fault("not deleted", FakeResponse(200, {"success": False}), method="DELETE", times=1)
    )
    with pytest.raises(TransientError):
        client.delete(published.remote_id)
    assert fake.posts[published.remote_id]["deleted"] is False
    client.delete(published.remote_id)
    assert fake.posts[published.remote_id]["deleted"] is True


def test_metrics_shares_absent_then_present(
    client: FacebookPublisher, fake: FakeFacebook, clock: Clock
) -> None:
    published = client.publish(text_post(1))
    clock.now += REACTION_EVERY * 3
    assert client.metrics(published.remote_id) == Metrics(shares=0, likes=3, replies=0)
    age = SHARE_EVERY * 3
    clock.now += age - REACTION_EVERY * 3
    assert client.metrics(published.remote_id) == Metrics(
        shares=3,
        likes=int(age // REACTION_EVERY),
        replies=int(age // COMMENT_EVERY),
        quotes=0,
        impressions=None,
    )


def test_two_pages_each_with_its_own_token(client: FacebookPublisher, fake: FakeFacebook) -> None:
    main = client.publish(text_post(1))
    north = client.publish(text_post(2, target=NORTH))
    by_region = client.publish(text_post(3, target="north"))
    assert fake.posts[main.remote_id]["page"] == MAIN
    assert fake.posts[north.remote_id]["page"] == NORTH
    assert fake.posts[by_region.remote_id]["page"] == NORTH
    # Deleting and reading use the token of the page the id belongs to, whatever the target.
    assert client.metrics(north.remote_id).likes == 0
    client.delete(north.remote_id, target=None)
    assert fake.posts[north.remote_id]["deleted"] is True
    with pytest.raises(PermanentError, match="no Facebook page"):
        client.publish(text_post(4, target="3000000003"))


def test_a_wrong_page_token_pauses_as_a_missing_permission(
    fake: FakeFacebook, clock: Clock
) -> None:
    swapped = FacebookPublisher([FacebookPage(MAIN, NORTH_TOKEN)], graph_url=fake.url)
    with pytest.raises(PermissionMissing) as caught:
        swapped.publish(text_post(1))
    assert "(#200)" in str(caught.value)
    assert caught.value.missing == ["pages_read_engagement", "pages_manage_posts"]
    no_secret(caught.value)


def test_check_credentials(client: FacebookPublisher, fake: FakeFacebook) -> None:
    assert client.check_credentials() == "Missing People Sandbox, Missing People North (north)"
    broken = FacebookPublisher(
        [FacebookPage(MAIN, MAIN_TOKEN), FacebookPage(NORTH, "revoked-secret-token")],
        graph_url=fake.url,
    )
    with pytest.raises(AuthExpired) as caught:
        broken.check_credentials()
    assert NORTH in str(caught.value)
    assert "revoked-secret-token" not in str(caught.value)


@pytest.mark.parametrize(
    ("fault", "code", "minutes"),
    [
        ("rate_limit", 4, 15),
        ("user_throttle", 17, 15),
        ("page_throttle", 32, 17),
        ("rate_613", 613, 5),
    ],
)
def test_rate_limits_carry_retry_at(
    client: FacebookPublisher,
    fake: FakeFacebook,
    clock: Clock,
    fault: str,
    code: int,
    minutes: int,
) -> None:
    fake.inject_named(fault)
    with pytest.raises(RateLimited) as caught:
        client.publish(text_post(1))
    assert f"code {code}" in str(caught.value)
    assert caught.value.retry_at == clock.utc() + timedelta(minutes=minutes)
    no_secret(caught.value)
    assert not fake.posts
    client.publish(text_post(1))  # the fault was used up


def test_server_error_is_transient(client: FacebookPublisher, fake: FakeFacebook) -> None:
    fake.inject_named("server_error")
    with pytest.raises(TransientError) as caught:
        client.publish(text_post(1))
    assert not isinstance(caught.value, OutcomeUnknown | RateLimited)
    assert "unexpected error" in str(caught.value)


def test_slow_post_is_outcome_unknown_and_slow_read_transient(
    fake: FakeFacebook, clock: Clock
) -> None:
    fake.slow_seconds = 0.3
    client = make_client(fake, clock, timeout=0.05)
    fake.inject_named("slow")
    with pytest.raises(OutcomeUnknown) as caught:
        client.publish(text_post(1))
    no_secret(caught.value)
    # The fake finishes the slow request after the client gave up: the post did go out.
    deadline = time.monotonic() + 2
    while not fake.posts and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(fake.posts) == 1
    fake.inject_named("slow")
    with pytest.raises(TransientError) as read:
        client.check_credentials()
    assert not isinstance(read.value, OutcomeUnknown)


def test_an_error_graph_marks_transient_is_retried_not_failed(
    client: FacebookPublisher, fake: FakeFacebook
) -> None:
    # Graph's own word: is_transient means "retry later", whatever the code (here a temporary
    # block for posting too fast). Failing the post for good would lose the appeal.
    blocked = GraphError(
        "It looks like you were misusing this feature by going too fast."
        " You've been temporarily blocked from using it.",
        368,
        subcode=1390008,
        transient=True,
    )
    fake.inject(Fault("temporarily_blocked", response=blocked.response(), method="POST"))
    with pytest.raises(TransientError) as caught:
        client.publish(text_post(1))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert "temporarily blocked" in str(caught.value)
    assert fake.posts == {}


def test_nothing_listening_is_transient_not_unknown(clock: Clock) -> None:
    client = FacebookPublisher(
        [FacebookPage(MAIN, MAIN_TOKEN)], graph_url="http://127.0.0.1:9", timeout=1
    )
    with pytest.raises(TransientError) as caught:
        client.publish(text_post(1))
    assert not isinstance(caught.value, OutcomeUnknown)
    no_secret(caught.value)


def test_duplicate(client: FacebookPublisher, fake: FakeFacebook) -> None:
    fake.inject_named("duplicate")
    with pytest.raises(DuplicatePost):
        client.publish(text_post(1))
    client.publish(text_post(2))
    with pytest.raises(DuplicatePost):  # the fake's own duplicate check
        client.publish(text_post(2))


def test_expired_token(client: FacebookPublisher, fake: FakeFacebook) -> None:
    fake.inject_named("expired_token")
    with pytest.raises(AuthExpired) as caught:
        client.metrics(f"{MAIN}_1")
    assert "Session has expired" in str(caught.value)
    no_secret(caught.value)


def test_drop_after_success_then_find_published(
    client: FacebookPublisher, fake: FakeFacebook
) -> None:
    client.publish(text_post(7))
    fake.inject_named("drop_after_success")
    post = text_post(1)
    with pytest.raises(OutcomeUnknown):
        client.publish(post)
    assert len(fake.posts) == 2  # it went out all the same
    found = client.find_published(post)
    assert found is not None
    assert fake.posts[found.remote_id]["link"] == post.link
    assert found.url.startswith("https://www.facebook.com/")
    assert client.find_published(text_post(99)) is None


def test_find_published_by_text_marker_on_a_photo_post(
    client: FacebookPublisher, fake: FakeFacebook
) -> None:
    post = PostRequest(
        post_id=5,
        text="Found safe and well: thank you for sharing.",
        image_url="https://charity.example/img/x.jpg",
        marker="Found safe and well",
        target=NORTH,
    )
    published = client.publish(post)
    found = client.find_published(post)
    assert found is not None and found.remote_id == published.remote_id
    assert client.find_published(PostRequest(post_id=5, text="x", marker="Found safe")) is None


def test_no_exception_ever_shows_a_token(client: FacebookPublisher, fake: FakeFacebook) -> None:
    raised: list[PublishError] = []
    for fault in ("rate_limit", "page_throttle", "server_error", "duplicate", "expired_token"):
        fake.inject_named(fault)
        with pytest.raises(PublishError) as caught:
            client.publish(text_post(1))
        raised.append(caught.value)
    for error in raised:
        no_secret(error)
        assert error.__cause__ is None or not any(t in str(error.__cause__) for t in TOKENS)


# --- the pure classifier ---------------------------------------------------------------------

NOW = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


def graph(code: int, subcode: int | None = None, message: str = "m") -> dict[str, object]:
    error: dict[str, object] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "body", "gone", "expected"),
    [
        (400, graph(190), False, AuthExpired),
        (400, graph(102), False, AuthExpired),
        (400, graph(999, 463), False, AuthExpired),
        (400, graph(4), False, RateLimited),
        (429, "Too Many Requests", False, RateLimited),
        (400, graph(506), False, DuplicatePost),
        (400, graph(100, 33), True, RemoteGone),
        (400, graph(100, 33), False, PermanentError),
        (404, "", True, RemoteGone),
        (500, graph(1), False, TransientError),
        (400, graph(2), False, TransientError),
        (502, "<html>bad gateway</html>", False, TransientError),
        (400, graph(100, message="(#100) Param text is not valid"), False, PermanentError),
    ],
)
def test_classify_error(status: int, body: object, gone: bool, expected: type) -> None:
    error = classify_error(status, body, {}, now=NOW, gone_means_done=gone)
    assert type(error) is expected


def test_classify_error_scrubs_echoed_tokens() -> None:
    body = graph(100, message=f"bad token {MAIN_TOKEN} given")
    error = classify_error(400, body, {}, now=NOW, secrets=TOKENS)
    assert MAIN_TOKEN not in str(error)
    assert "***" in str(error)


def test_retry_at_from_headers() -> None:
    usage = {"1": [{"estimated_time_to_regain_access": 3}, {"estimated_time_to_regain_access": 9}]}
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
    assert rate_limit_retry_at(headers, NOW) == NOW + timedelta(minutes=9)
    assert rate_limit_retry_at({"Retry-After": "30"}, NOW) == NOW + timedelta(seconds=30)
    full = {"x-app-usage": json.dumps({"call_count": 100, "total_time": 5})}
    assert rate_limit_retry_at(full, NOW) == NOW + timedelta(minutes=15)
    assert rate_limit_retry_at({"x-app-usage": "not json"}, NOW) == NOW + timedelta(minutes=5)


@pytest.mark.parametrize("value", ["²", "①", "³⁰"])
def test_a_retry_after_in_digits_int_refuses_waits_the_default(value: str) -> None:
    assert rate_limit_retry_at({"Retry-After": value}, NOW) == NOW + timedelta(minutes=5)
