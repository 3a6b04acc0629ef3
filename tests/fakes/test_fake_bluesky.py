"""The fake PDS refuses what Bluesky would refuse, in XRPC's shape (requests sent by hand)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bot.fakes.bluesky_server import MAX_BLOB_BYTES, FakeBluesky, lexicon_def, validate
from bot.fakes.images import png

CREATE = "/xrpc/com.atproto.repo.createRecord"


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeBluesky]:
    with FakeBluesky("charity.bsky.social", "pw") as server:
        assert isinstance(server, FakeBluesky)
        yield server


@pytest.fixture
def fake(_server: FakeBluesky) -> FakeBluesky:
    _server.reset()
    _server.app_password = "pw"
    return _server


def session(fake: FakeBluesky) -> dict[str, Any]:
    answer = requests.post(
        f"{fake.url}/xrpc/com.atproto.server.createSession",
        json={"identifier": "charity.bsky.social", "password": "pw"},
        timeout=5,
    )
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def create(
    fake: FakeBluesky, record: dict[str, Any], token: str | None = None
) -> requests.Response:
    token = token or session(fake)["accessJwt"]
    body = {"repo": fake.did, "collection": "app.bsky.feed.post", "record": record}
    return requests.post(
        fake.url + CREATE, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def post(text: str = "Have you seen Sam?", **fields: Any) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2026-11-25T10:00:00Z",
        **fields,
    }


def link_facet(start: int, end: int) -> dict[str, Any]:
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org"}],
    }


def upload(fake: FakeBluesky, data: bytes, token: str) -> requests.Response:
    return requests.post(
        f"{fake.url}/xrpc/com.atproto.repo.uploadBlob",
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "*/*"},
        timeout=5,
    )


def test_a_valid_post_is_created_with_an_at_uri(fake: FakeBluesky) -> None:
    answer = create(fake, post(facets=[link_facet(0, 4)]))
    assert answer.status_code == 200
    assert answer.json()["uri"].startswith(f"at://{fake.did}/app.bsky.feed.post/")


@pytest.mark.parametrize(
    ("record", "says"),
    [
        (post(facets=[link_facet(10, 99)]), "outside the text"),
        (post(facets=[link_facet(5, 5)]), "outside the text"),
        ({"$type": "app.bsky.feed.post", "text": "x"}, 'property "createdAt"'),
        (post(colour="red"), 'property "colour"'),
        (post(text="🇬🇧" * 301), "300 graphemes"),
        (post(langs=["english!"]), "language"),
        (post(createdAt="yesterday"), "datetime"),
        (post(embed={"$type": "app.bsky.embed.nope"}), "$type must be one of"),
        (
            post(embed={"$type": "app.bsky.embed.external", "external": {"uri": "https://x.y"}}),
            'property "title"',
        ),
    ],
)
def test_malformed_posts_are_refused(fake: FakeBluesky, record: dict[str, Any], says: str) -> None:
    answer = create(fake, record)
    assert answer.status_code == 400
    assert answer.json()["error"] == "InvalidRequest" and says in answer.json()["message"]
    assert fake.posts == {}


def test_images_need_alt_text_and_an_uploaded_blob(fake: FakeBluesky) -> None:
    token = session(fake)["accessJwt"]
    blob = upload(fake, png(), token).json()["blob"]
    no_alt = post(embed={"$type": "app.bsky.embed.images", "images": [{"image": blob}]})
    assert 'property "alt"' in create(fake, no_alt, token).json()["message"]
    stranger = {**blob, "ref": {"$link": "bafyreinotuploaded"}}
    unknown = post(
        embed={"$type": "app.bsky.embed.images", "images": [{"image": stranger, "alt": "x"}]}
    )
    assert "was not uploaded" in create(fake, unknown, token).json()["message"]
    good = post(embed={"$type": "app.bsky.embed.images", "images": [{"image": blob, "alt": "x"}]})
    assert create(fake, good, token).status_code == 200


def test_blobs_over_the_limit_or_not_images_are_refused(fake: FakeBluesky) -> None:
    token = session(fake)["accessJwt"]
    big = upload(fake, png() + b"\x00" * MAX_BLOB_BYTES, token)
    assert big.status_code == 400 and big.json()["error"] == "BlobTooLarge"
    html = upload(fake, b"<html>moved</html>", token)
    assert html.status_code == 400 and html.json()["error"] == "InvalidMimeType"


def test_auth_wrong_verb_and_unknown_methods(fake: FakeBluesky) -> None:
    assert requests.post(fake.url + CREATE, json={}, timeout=5).status_code == 401
    expired = create(fake, post(), token="not-a-token")
    assert expired.status_code == 400 and expired.json()["error"] == "ExpiredToken"
    assert requests.get(fake.url + CREATE, timeout=5).json()["error"] == "InvalidRequest"
    unknown = requests.get(f"{fake.url}/xrpc/app.bsky.feed.getTimelineOfDoom", timeout=5)
    assert unknown.status_code == 501
    wrong = requests.post(
        f"{fake.url}/xrpc/com.atproto.server.createSession",
        json={"identifier": "charity.bsky.social", "password": "nope"},
        timeout=5,
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "AuthenticationRequired"


def test_a_refresh_token_works_once(fake: FakeBluesky) -> None:
    refresh = session(fake)["refreshJwt"]
    url = f"{fake.url}/xrpc/com.atproto.server.refreshSession"
    headers = {"Authorization": f"Bearer {refresh}"}
    assert requests.post(url, headers=headers, timeout=5).status_code == 200
    again = requests.post(url, headers=headers, timeout=5)
    assert again.status_code == 400 and again.json()["error"] == "ExpiredToken"


def test_answers_have_the_lexicons_shapes(fake: FakeBluesky) -> None:
    token = session(fake)["accessJwt"]
    uri = create(fake, post(), token).json()["uri"]
    headers = {"Authorization": f"Bearer {token}"}
    posts = requests.get(
        f"{fake.url}/xrpc/app.bsky.feed.getPosts", params={"uris": uri}, headers=headers, timeout=5
    ).json()
    output = lexicon_def("app.bsky.feed.getPosts")["output"]["schema"]  # type: ignore[index]
    assert validate(output, posts, "Output", "app.bsky.feed.getPosts") == []
    feed = requests.get(
        f"{fake.url}/xrpc/app.bsky.feed.getAuthorFeed",
        params={"actor": fake.did},
        headers=headers,
        timeout=5,
    ).json()
    output = lexicon_def("app.bsky.feed.getAuthorFeed")["output"]["schema"]  # type: ignore[index]
    assert validate(output, feed, "Output", "app.bsky.feed.getAuthorFeed") == []
