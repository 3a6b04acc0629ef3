"""The fake Graph API refuses what Graph would refuse, in Graph's own error shape.

These tests talk to the fake with bare ``requests`` so that a client bug cannot hide a fake bug.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from bot.fakes.facebook_server import (
    COMMENT_EVERY,
    REACTION_EVERY,
    SHARE_EVERY,
    FakeFacebook,
    load_specs,
    parse_fields,
)
from tests.live_fakes import Clock

PAGE, TOKEN = "1000000001", "sandbox-page-token"
OTHER_PAGE, OTHER_TOKEN = "2000000002", "other-page-token"


CLOCK_START = datetime.fromtimestamp(1_750_000_000, UTC)
_CLOCK = Clock(CLOCK_START)


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeFacebook]:
    """One fake a module: stopping a server costs up to half a second, so tests reset it instead."""
    with FakeFacebook({PAGE: TOKEN, OTHER_PAGE: OTHER_TOKEN}, clock=_CLOCK) as server:
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


def call(
    fake: FakeFacebook,
    method: str,
    path: str,
    token: str | None = TOKEN,
    **kwargs: Any,
) -> requests.Response:
    headers = {"Authorization": f"OAuth {token}"} if token else {}
    return requests.request(
        method, f"{fake.url}/v24.0/{path}", headers=headers, timeout=5, **kwargs
    )


def graph_error(response: requests.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert "www-authenticate" not in {k.lower() for k in response.headers}
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code", "fbtrace_id"}
    return error


def test_specs_are_read_from_the_vendored_files() -> None:
    specs = load_specs()
    assert "alt_text_custom" in specs["Page"].edges[("POST", "photos")]
    assert {"message", "link", "published"} <= specs["Page"].edges[("POST", "feed")]
    assert "shares" in specs["PagePost"].fields
    assert ("DELETE", "") in specs["PagePost"].edges
    assert load_specs() is specs  # once per process


def test_fields_parser_reads_modifiers_and_subfields() -> None:
    fields = parse_fields(
        "id,reactions.summary(total_count).limit(0),attachments{url,unshimmed_url}"
    )
    assert [f.name for f in fields] == ["id", "reactions", "attachments"]
    assert fields[1].modifiers == {"summary": "total_count", "limit": "0"}
    assert fields[2].subfields == "url,unshimmed_url"


def test_feed_post_then_read_it_back(fake: FakeFacebook) -> None:
    response = call(fake, "POST", f"{PAGE}/feed", data={"message": "Have you seen Sam?"})
    assert response.status_code == 200
    post_id = response.json()["id"]
    assert post_id.startswith(f"{PAGE}_")
    assert fake.posts[post_id]["message"] == "Have you seen Sam?"
    body = call(fake, "GET", post_id, params={"fields": "message,created_time,permalink_url"})
    assert body.json()["message"] == "Have you seen Sam?"
    assert body.json()["id"] == post_id
    assert fake.state()["posts"][post_id]["deleted"] is False


def test_token_accepted_as_query_param_or_bearer(fake: FakeFacebook) -> None:
    response = call(fake, "GET", PAGE, token=None, params={"fields": "name", "access_token": TOKEN})
    assert response.json() == {"name": f"Appeal Sandbox Page {PAGE}", "id": PAGE}
    bearer = requests.get(
        f"{fake.url}/v24.0/{PAGE}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert bearer.status_code == 200


def test_unknown_path_components(fake: FakeFacebook) -> None:
    error = graph_error(call(fake, "GET", f"{PAGE}/no_such_edge"))
    assert error["code"] == 2500
    assert error["type"] == "OAuthException"
    assert error["message"] == "Unknown path components: /no_such_edge"
    assert graph_error(call(fake, "GET", f"{PAGE}/feed/extra"))["code"] == 2500


def test_unsupported_api_version(fake: FakeFacebook) -> None:
    response = requests.get(f"{fake.url}/v2.0/{PAGE}", headers={"Authorization": "OAuth x"})
    assert graph_error(response)["code"] in (2500, 2635)


def test_wrong_method_on_an_edge(fake: FakeFacebook) -> None:
    error = graph_error(call(fake, "POST", f"{PAGE}/published_posts", data={"message": "x"}))
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert error["type"] == "GraphMethodException"
    assert error["message"].startswith("Unsupported post request.")
    error = graph_error(call(fake, "DELETE", f"{PAGE}/feed"))
    assert error["message"].startswith("Unsupported delete request.")


def test_unknown_post_param(fake: FakeFacebook) -> None:
    error = graph_error(call(fake, "POST", f"{PAGE}/feed", data={"message": "x", "text": "y"}))
    assert error["code"] == 100
    assert error["message"] == "(#100) Param text is not valid"
    # alt_text_custom is a photos parameter, not a feed one.
    error = graph_error(
        call(fake, "POST", f"{PAGE}/feed", data={"message": "x", "alt_text_custom": "y"})
    )
    assert "alt_text_custom" in error["message"]
    assert not fake.posts


def test_nonexisting_field(fake: FakeFacebook) -> None:
    post_id = call(fake, "POST", f"{PAGE}/feed", data={"message": "x"}).json()["id"]
    error = graph_error(call(fake, "GET", post_id, params={"fields": "message,link"}))
    assert error["code"] == 100
    assert (
        error["message"]
        == "(#100) Tried accessing nonexisting field (link) on node type (PagePost)"
    )
    error = graph_error(call(fake, "GET", f"{PAGE}/posts", params={"fields": "id,retweets"}))
    assert "(retweets) on node type (PagePost)" in error["message"]
    error = graph_error(call(fake, "GET", PAGE, params={"fields": "name,follower_cnt"}))
    assert "on node type (Page)" in error["message"]


def test_missing_required_content(fake: FakeFacebook) -> None:
    assert (
        graph_error(call(fake, "POST", f"{PAGE}/feed", data={"published": "true"}))["code"] == 100
    )
    assert graph_error(call(fake, "POST", f"{PAGE}/photos", data={"message": "x"}))["code"] == 100
    bad_url = call(fake, "POST", f"{PAGE}/photos", data={"url": "ftp://x/y.jpg"})
    assert graph_error(bad_url)["code"] == 100


def test_missing_and_unknown_token(fake: FakeFacebook) -> None:
    for token in (None, "not-a-token"):
        error = graph_error(call(fake, "POST", f"{PAGE}/feed", token=token, data={"message": "x"}))
        assert error["code"] == 190
        assert error["type"] == "OAuthException"
    assert not fake.posts


def test_token_of_another_page(fake: FakeFacebook) -> None:
    response = call(fake, "POST", f"{PAGE}/feed", token=OTHER_TOKEN, data={"message": "x"})
    error = graph_error(response, status=403)
    assert error["code"] == 200
    assert not fake.posts
    post_id = call(fake, "POST", f"{PAGE}/feed", data={"message": "x"}).json()["id"]
    assert graph_error(call(fake, "DELETE", post_id, token=OTHER_TOKEN), status=403)["code"] == 200


def test_photo_post_and_photo_node(fake: FakeFacebook) -> None:
    response = call(
        fake,
        "POST",
        f"{PAGE}/photos",
        data={"url": "https://example.org/sam.jpg", "message": "Sam", "alt_text_custom": "Sam"},
    )
    body = response.json()
    assert set(body) == {"id", "post_id"}
    assert fake.posts[body["post_id"]]["alt_text"] == "Sam"
    photo = call(fake, "GET", body["id"], params={"fields": "alt_text_custom,page_story_id"})
    assert photo.json()["page_story_id"] == body["post_id"]


def test_delete_then_gone(fake: FakeFacebook) -> None:
    post_id = call(fake, "POST", f"{PAGE}/feed", data={"message": "x"}).json()["id"]
    assert call(fake, "DELETE", post_id).json() == {"success": True}
    error = graph_error(call(fake, "DELETE", post_id))
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert f"Object with ID '{post_id}' does not exist" in error["message"]
    assert fake.posts[post_id]["deleted"] is True


def test_duplicate_status_message(fake: FakeFacebook) -> None:
    data = {"message": "Same words", "link": "https://example.org/a"}
    assert call(fake, "POST", f"{PAGE}/feed", data=data).status_code == 200
    assert graph_error(call(fake, "POST", f"{PAGE}/feed", data=data))["code"] == 506
    # The same words on another page are not a duplicate.
    assert call(fake, "POST", f"{OTHER_PAGE}/feed", token=OTHER_TOKEN, data=data).ok


def test_counts_grow_with_age_and_shares_absent_at_zero(fake: FakeFacebook, clock: Clock) -> None:
    post_id = call(fake, "POST", f"{PAGE}/feed", data={"message": "x"}).json()["id"]
    fields = "shares,reactions.summary(total_count).limit(0),comments.summary(true).limit(0)"
    first = call(fake, "GET", post_id, params={"fields": fields}).json()
    assert "shares" not in first
    assert first["reactions"] == {
        "data": [],
        "summary": {"total_count": 0, "viewer_reaction": "NONE"},
    }
    clock.now += SHARE_EVERY * 2
    later = call(fake, "GET", post_id, params={"fields": fields}).json()
    assert later["shares"] == {"count": 2}
    assert later["reactions"]["summary"]["total_count"] == int(SHARE_EVERY * 2 // REACTION_EVERY)
    assert later["comments"]["summary"]["total_count"] == int(SHARE_EVERY * 2 // COMMENT_EVERY)
    assert later["comments"]["data"] == []


def test_posts_listing_newest_first_with_paging(fake: FakeFacebook, clock: Clock) -> None:
    for n in range(3):
        call(fake, "POST", f"{PAGE}/feed", data={"message": f"post {n}"})
        clock.now += 10
    call(fake, "POST", f"{PAGE}/feed", data={"message": "hidden", "published": "false"})
    first = call(fake, "GET", f"{PAGE}/posts", params={"fields": "id,message", "limit": "2"})
    body = first.json()
    assert [p["message"] for p in body["data"]] == ["post 2", "post 1"]
    after = body["paging"]["cursors"]["after"]
    assert "next" in body["paging"]
    rest = call(fake, "GET", f"{PAGE}/published_posts", params={"limit": "2", "after": after})
    assert [p["message"] for p in rest.json()["data"]] == ["post 0"]


def test_named_faults_over_the_control_endpoint(fake: FakeFacebook) -> None:
    assert (
        requests.post(f"{fake.url}/_fake/faults", json={"name": "nope"}, timeout=5).status_code
        == 400
    )
    assert requests.post(f"{fake.url}/_fake/faults", json={"name": "page_throttle"}, timeout=5).ok
    response = call(fake, "POST", f"{PAGE}/feed", data={"message": "x"})
    assert graph_error(response)["code"] == 32
    assert "estimated_time_to_regain_access" in response.headers["X-Business-Use-Case-Usage"]
    assert requests.get(f"{fake.url}/_fake/state", timeout=5).json() == {"posts": {}}


def test_standalone_prints_how_to_connect() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.fakes.facebook_server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        url = lines[0].split(" at ")[1].strip()
        assert url.startswith("http://127.0.0.1:")
        assert "FACEBOOK_PAGE_ACCESS_TOKEN=sandbox-page-token\n" in lines
        response = requests.get(
            f"{url}/v24.0/1000000001",
            params={"fields": "name"},
            headers={"Authorization": "OAuth sandbox-page-token"},
            timeout=5,
        )
        assert response.json()["id"] == "1000000001"
    finally:
        process.terminate()
        process.wait(timeout=5)
