"""The fake Mastodon refuses what Mastodon would refuse and answers in the spec's shapes
(requests sent by hand)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bot.fakes.images import png
from bot.fakes.mastodon_server import README_SCOPES, FakeMastodon, load_spec, validate

TOKEN = "tok-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN) as server:
        assert isinstance(server, FakeMastodon)
        yield server


@pytest.fixture
def fake(_server: FakeMastodon) -> FakeMastodon:
    _server.reset()
    _server.access_token = TOKEN
    _server.max_characters = 500
    return _server


def status(fake: FakeMastodon, key: str | None = None, **body: Any) -> requests.Response:
    headers = {**AUTH, **({"Idempotency-Key": key} if key else {})}
    return requests.post(f"{fake.url}/api/v1/statuses", data=body, headers=headers, timeout=5)


def response_schema(path: str, method: str, code: str = "200") -> Any:
    operation = load_spec()["paths"][path][method]
    return operation["responses"][code]["content"]["application/json"]["schema"]


def test_a_status_has_the_spec_shape(fake: FakeMastodon) -> None:
    answer = status(fake, status="Have you seen Sam? https://charity.example/a1", language="en")
    assert answer.status_code == 200
    assert validate(response_schema("/api/v1/statuses", "post"), answer.json()) == []
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
        answer.headers
    )


def test_the_idempotency_key_returns_the_first_status(fake: FakeMastodon) -> None:
    first = status(fake, "k1", status="One").json()
    again = status(fake, "k1", status="One, sent again").json()
    other = status(fake, "k2", status="One").json()
    assert again["id"] == first["id"] != other["id"]
    assert len(fake.live_statuses()) == 2
    requests.delete(f"{fake.url}/api/v1/statuses/{first['id']}", headers=AUTH, timeout=5)
    assert status(fake, "k1", status="One").status_code == 404  # as Mastodon looks it up again


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"status": "x" * 501}, "character limit of 500"),
        ({"status": "🇬🇧" * 501}, "character limit of 500"),
        ({"status": "hi", "visibility": "everyone"}, "must be one of"),
        ({"status": "hi", "colour": "red"}, "not a known parameter"),
        ({"status": " "}, "can't be blank"),
        ({"status": "hi", "language": "English"}, "ISO 639"),
    ],
)
def test_malformed_statuses_are_refused(
    fake: FakeMastodon, body: dict[str, str], says: str
) -> None:
    answer = status(fake, **body)
    assert answer.status_code == 422 and says in answer.json()["error"]
    assert fake.statuses == {}


def test_urls_count_as_23_characters(fake: FakeMastodon) -> None:
    url = "https://charity.org.uk/" + "a" * 600
    assert status(fake, status="x" * 476 + " " + url).status_code == 200
    # A full stop after the link is no part of it, and a domain Mastodon does not know is no
    # link at all: each counts as the characters it is.
    assert status(fake, status="x" * 476 + " " + url + ".").status_code == 422
    assert (
        status(fake, status="x" * 400 + " https://charity.example/" + "a" * 80).status_code == 422
    )


def test_media_needs_a_description_and_finished_processing(fake: FakeMastodon) -> None:
    fake.processing_reads = 1
    url = f"{fake.url}/api/v2/media"
    files = {"file": ("photo.png", png(), "image/png")}
    bare = requests.post(url, files=files, headers=AUTH, timeout=5)
    assert bare.status_code == 422 and "Description" in bare.json()["error"]
    media = requests.post(url, files=files, data={"description": "Sam"}, headers=AUTH, timeout=5)
    assert media.status_code == 202 and media.json()["url"] is None
    early = status(fake, status="hi", **{"media_ids[]": media.json()["id"]})
    assert early.status_code == 422 and "finished processing" in early.json()["error"]
    read = requests.get(f"{url.replace('v2', 'v1')}/{media.json()['id']}", headers=AUTH, timeout=5)
    assert read.status_code == 206
    assert status(fake, status="hi", **{"media_ids[]": media.json()["id"]}).status_code == 200
    not_image = {"file": ("page.html", b"<html>moved</html>", "text/html")}
    refused = requests.post(
        url, files=not_image, data={"description": "x"}, headers=AUTH, timeout=5
    )
    assert refused.status_code == 422


def test_tokens_scopes_unknown_paths_and_parameters(fake: FakeMastodon) -> None:
    assert (
        requests.post(f"{fake.url}/api/v1/statuses", data={"status": "x"}, timeout=5).status_code
        == 401
    )
    fake.scopes = {"read:statuses"}
    try:
        assert status(fake, status="x").status_code == 403
    finally:
        fake.scopes = set(README_SCOPES)
    assert requests.get(f"{fake.url}/api/v1/nothing", headers=AUTH, timeout=5).status_code == 404
    account = fake.account_id
    odd = requests.get(
        f"{fake.url}/api/v1/accounts/{account}/statuses?colour=red", headers=AUTH, timeout=5
    )
    assert odd.status_code == 422


def test_instance_and_account_answers_have_the_spec_shapes(fake: FakeMastodon) -> None:
    instance = requests.get(f"{fake.url}/api/v2/instance", timeout=5).json()
    assert validate(response_schema("/api/v2/instance", "get"), instance) == []
    account = requests.get(
        f"{fake.url}/api/v1/accounts/verify_credentials", headers=AUTH, timeout=5
    ).json()
    assert validate(response_schema("/api/v1/accounts/verify_credentials", "get"), account) == []


def test_the_readme_asks_for_exactly_the_scopes_the_fake_grants() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    going_live = readme.partition("## Going live")[2].partition("\n## ")[0]
    for scope in README_SCOPES:
        assert f"`{scope}`" in going_live
