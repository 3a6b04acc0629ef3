"""The fake X refuses what X refuses, in X's shapes, so what it accepts is a right request."""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import tweepy

from bot.fakes.x_server import (
    DUPLICATE_DETAIL,
    INVALID_REQUEST,
    NOT_FOUND,
    FakeX,
    public_metrics,
    validate,
)
from tests.live_fakes import Clock, wait_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


_CLOCK = Clock(datetime.fromtimestamp(1_700_000_000, UTC))


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeX]:
    """One fake a module, reset for each test: starting and stopping one costs more."""
    with FakeX(clock=_CLOCK) as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    _CLOCK.set(datetime.fromtimestamp(1_700_000_000, UTC))
    return _CLOCK


@pytest.fixture
def fake(_server: FakeX, clock: Clock) -> Iterator[FakeX]:
    _server.reset()
    yield _server
    _server.reset()


def oauth(key: str = "sandbox-key", token: str = "sandbox-token") -> Any:
    return tweepy.OAuth1UserHandler(key, "consumer-secret", token, "token-secret").apply_auth()


def call(fake: FakeX, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", oauth())
    return requests.request(method, fake.url + path, timeout=5, **kwargs)


def assert_invalid(response: requests.Response, *fragments: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["title"] == "Invalid Request"
    assert body["type"] == INVALID_REQUEST
    assert body["detail"]
    text = " ".join(e["message"] for e in body["errors"])
    for fragment in fragments:
        assert fragment in text


def test_unknown_path_is_404_in_x_error_shape(fake: FakeX) -> None:
    response = call(fake, "GET", "/2/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"message": "Sorry, that page does not exist", "code": 34}]
    }


def test_wrong_method_is_refused(fake: FakeX) -> None:
    response = call(fake, "PUT", "/2/tweets", json={"text": "hello"})
    assert response.status_code == 405
    assert response.json()["type"] == "about:blank"
    assert fake.posts == {}


def test_missing_required_field(fake: FakeX) -> None:
    assert_invalid(
        call(fake, "POST", "/2/media/metadata", json={"metadata": {}}),
        "$.id: is missing but it is required",
    )
    assert_invalid(
        call(fake, "POST", "/2/tweets", json={"text": "hi", "media": {}}),
        "$.media.media_ids: is missing but it is required",
    )


def test_unknown_field(fake: FakeX) -> None:
    response = call(fake, "POST", "/2/tweets", json={"text": "hi", "colour": "red"})
    assert_invalid(response, "$.colour: is not defined in the schema")
    assert fake.posts == {}


def test_wrong_types_and_enums(fake: FakeX) -> None:
    assert_invalid(call(fake, "POST", "/2/tweets", json={"text": 5}), "$.text: integer found")
    assert_invalid(
        call(fake, "POST", "/2/tweets", json={"text": "hi", "reply_settings": "everyone"}),
        "$.reply_settings: does not have a value in the enumeration",
    )
    assert_invalid(
        call(
            fake,
            "POST",
            "/2/tweets",
            data=b"text=hi",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        "Unsupported content type",
    )


def test_unknown_query_parameter_and_field(fake: FakeX) -> None:
    posted = call(fake, "POST", "/2/tweets", json={"text": "hello"}).json()["data"]
    assert_invalid(
        call(fake, "GET", f"/2/tweets/{posted['id']}", params={"colour": "red"}),
        "The query parameter [colour] is not one of [",
    )
    assert_invalid(
        call(fake, "GET", f"/2/tweets/{posted['id']}", params={"tweet.fields": "likes"}),
        "The `tweet.fields` query parameter value [likes] is not one of [",
    )
    assert_invalid(call(fake, "GET", "/2/tweets/not-a-number"), "`id` path parameter")
    assert_invalid(call(fake, "GET", "/2/tweets"), "`ids` query parameter can not be empty")


@pytest.mark.parametrize(
    "auth",
    [oauth("other-key"), oauth(token="other-token"), None],
    ids=["wrong consumer key", "wrong token", "no header"],
)
def test_bad_credentials_are_401(fake: FakeX, auth: Any) -> None:
    response = call(fake, "GET", "/2/users/me", auth=auth)
    assert response.status_code == 401
    assert response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }


def test_header_without_signature_is_401(fake: FakeX) -> None:
    header = 'OAuth oauth_consumer_key="sandbox-key", oauth_token="sandbox-token"'
    response = call(fake, "GET", "/2/users/me", auth=None, headers={"Authorization": header})
    assert response.status_code == 401


def test_over_long_text_is_403(fake: FakeX) -> None:
    response = call(fake, "POST", "/2/tweets", json={"text": "a" * 281})
    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"
    assert call(fake, "POST", "/2/tweets", json={"text": "a" * 280}).status_code == 201


def test_url_counts_23_and_becomes_t_co(fake: FakeX) -> None:
    link = "https://example.org/appeals/" + "x" * 200
    text = "Have you seen Sam? " + link
    response = call(fake, "POST", "/2/tweets", json={"text": text})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["text"].startswith("Have you seen Sam? https://t.co/")
    assert len(data["text"].split("https://t.co/")[1]) == 10
    assert data["id"].isdigit() and len(data["id"]) <= 19
    assert fake.posts[data["id"]]["text"] == text


def test_duplicate_text_is_403_with_x_wording(fake: FakeX) -> None:
    assert call(fake, "POST", "/2/tweets", json={"text": "same"}).status_code == 201
    response = call(fake, "POST", "/2/tweets", json={"text": "same"})
    assert response.status_code == 403
    assert response.json()["detail"] == DUPLICATE_DETAIL


def test_missing_post_lookup_is_200_with_errors(fake: FakeX) -> None:
    response = call(fake, "GET", "/2/tweets/123")
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["title"] == "Not Found Error"
    assert error["type"] == NOT_FOUND
    assert call(fake, "DELETE", "/2/tweets/123").status_code == 404


def test_media_upload_metadata_and_post(fake: FakeX) -> None:
    uploaded = call(
        fake,
        "POST",
        "/2/media/upload",
        files={"media": ("photo.png", PNG, "image/png")},
        data={"media_category": "tweet_image"},
    )
    assert uploaded.status_code == 200, uploaded.text
    data = uploaded.json()["data"]
    assert set(data) >= {"id", "media_key", "expires_after_secs"}
    body = {"id": data["id"], "metadata": {"alt_text": {"text": "Sam, aged 15"}}}
    assert call(fake, "POST", "/2/media/metadata", json=body).status_code == 200
    posted = call(
        fake, "POST", "/2/tweets", json={"text": "Sam", "media": {"media_ids": [data["id"]]}}
    )
    assert posted.status_code == 201
    post = fake.posts[posted.json()["data"]["id"]]
    assert post["media_ids"] == [data["id"]] and post["alt_texts"] == ["Sam, aged 15"]
    assert fake.media[data["id"]]["data"] == PNG


def test_media_refusals(fake: FakeX) -> None:
    assert_invalid(
        call(fake, "POST", "/2/media/upload", files={"media": ("a.png", PNG, "image/png")}),
        "$.media_category: is missing",
    )
    assert_invalid(
        call(
            fake,
            "POST",
            "/2/media/upload",
            files={"media": ("a.html", b"<html>", "text/html")},
            data={"media_category": "tweet_image"},
        ),
        "media type unrecognized",
    )
    long_alt = {"id": "1", "metadata": {"alt_text": {"text": "a" * 1001}}}
    assert_invalid(call(fake, "POST", "/2/media/metadata", json=long_alt), "1000 characters")
    assert_invalid(
        call(fake, "POST", "/2/tweets", json={"text": "hi", "media": {"media_ids": ["42"]}}),
        "media IDs are invalid",
    )


def test_metrics_grow_with_the_clock(fake: FakeX, clock: Clock) -> None:
    post_id = call(fake, "POST", "/2/tweets", json={"text": "hello"}).json()["data"]["id"]
    fields = {"tweet.fields": "public_metrics"}
    first = call(fake, "GET", f"/2/tweets/{post_id}", params=fields).json()["data"]
    assert first["public_metrics"]["retweet_count"] == 0
    clock.now += 30 * 60
    later = call(fake, "GET", f"/2/tweets/{post_id}", params=fields).json()["data"]
    assert later["public_metrics"] == public_metrics(post_id, 30 * 60)
    assert later["public_metrics"]["retweet_count"] >= 30


def test_user_timeline_newest_first_with_expanded_urls(fake: FakeX, clock: Clock) -> None:
    for n in range(3):
        call(fake, "POST", "/2/tweets", json={"text": f"appeal {n} https://example.org/{n}"})
        clock.now += 1
    me = call(fake, "GET", "/2/users/me").json()["data"]
    assert me["username"] == "appealbot_sandbox"
    params = {"max_results": "5", "tweet.fields": "entities,created_at"}
    body = call(fake, "GET", f"/2/users/{me['id']}/tweets", params=params).json()
    assert [t["entities"]["urls"][0]["expanded_url"] for t in body["data"]] == [
        "https://example.org/2",
        "https://example.org/1",
        "https://example.org/0",
    ]
    assert body["meta"]["result_count"] == 3
    assert_invalid(
        call(fake, "GET", f"/2/users/{me['id']}/tweets", params={"max_results": "500"}),
        "maximum value of 100",
    )


def test_faults_over_http_control_endpoint(fake: FakeX) -> None:
    assert requests.post(fake.url + "/_fake/faults", json={"name": "server_error"}, timeout=5).ok
    assert call(fake, "GET", "/2/users/me").status_code == 503
    assert call(fake, "GET", "/2/users/me").status_code == 200
    bad = requests.post(fake.url + "/_fake/faults", json={"name": "nope"}, timeout=5)
    assert bad.status_code == 400
    call(fake, "POST", "/2/tweets", json={"text": "kept"})
    state = requests.get(fake.url + "/_fake/state", timeout=5).json()
    assert [p["text"] for p in state["posts"].values()] == ["kept"]


def test_validator_resolves_refs_and_anyof() -> None:
    ref = {"$ref": "#/components/schemas/CreatePostsRequest"}
    assert validate(ref, {"text": "hi", "media": {"media_ids": ["1"]}}) == []
    assert validate(ref, {"media": {"media_ids": []}}) == [
        "$.media.media_ids: there must be a minimum of 1 items"
    ]
    upload = {"$ref": "#/components/schemas/MediaUploadRequest"}
    assert validate(upload, {"media": b"x", "media_category": "tweet_image"}) == []
    assert validate(upload, {"media": 3, "media_category": "tweet_image"}) != []


def test_runs_standalone() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.fakes.x_server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = requests.get(url + "/2/users/me", auth=oauth(), timeout=5)
        assert response.json()["data"]["username"] == "appealbot_sandbox"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_json_media_upload_and_bad_json(fake: FakeX) -> None:
    body = {"media": base64.b64encode(PNG).decode(), "media_category": "tweet_image"}
    uploaded = call(fake, "POST", "/2/media/upload", json=body)
    assert uploaded.status_code == 200, uploaded.text
    assert fake.media[uploaded.json()["data"]["id"]]["data"] == PNG
    broken = call(
        fake, "POST", "/2/tweets", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_invalid(broken, "not valid JSON")


def test_a_request_still_in_a_slow_delay_at_a_reset_never_lands(fake: FakeX) -> None:
    """One fake serves many tests: a post a timed-out client left in a slow fault's delay must
    not appear after the reset, in the next test (the same holds for every fake: base.py)."""
    fake.slow_seconds = 0.2
    fake.inject_named("slow")
    outcome: list[requests.Response | requests.ConnectionError] = []

    def post() -> None:
        try:
            outcome.append(call(fake, "POST", "/2/tweets", json={"text": "left behind"}))
        except requests.ConnectionError as dropped:
            outcome.append(dropped)

    thread = threading.Thread(target=post)
    thread.start()
    assert wait_for(lambda: bool(fake.requests), 5)  # it is in the delay now
    fake.reset()
    thread.join(10)
    assert isinstance(outcome[0], requests.ConnectionError), outcome
    assert fake.posts == {}
