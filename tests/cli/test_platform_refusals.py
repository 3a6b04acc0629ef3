"""What the command line says when a platform refuses: "sent without photo" in ``post``,
``queue`` (and ``--json``'s ``degraded``) and ``log``; ``check-credentials`` asking each platform
what its token may do and naming a missing permission. Real clients against the fakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.appeals.overview import get_card
from bot.core.db import open_db
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.x_server import FakeX
from bot.platforms.error_table import rule_named
from tests.cli.conftest import Cli
from tests.cli.test_commands import set_live
from tests.live_fakes import FB_PAGE, image_site

REFUSED = "(#324) Missing or invalid image file"


def add_with_photo(cli: Cli, photo: str, platform: str) -> str:
    result = cli(
        "add",
        "--title",
        "Sam Jones, 15, missing from Leeds",
        "--link",
        "https://charity.example/appeals/sam",
        "--image",
        photo,
        "--alt",
        "Sam smiling",
        "--platforms",
        platform,
    )
    assert result.code == 0, result.err
    return result.out.split()[1]


def test_facebook_refusing_the_photo_posts_the_link_and_says_so_everywhere(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fakes: tuple[FakeX, FakeFacebook]
) -> None:
    x, facebook = fakes
    facebook.reset()
    set_live(monkeypatch, tmp_path, x, facebook)
    with image_site() as site:
        item_id = add_with_photo(cli, site + "/photo.png", "facebook")
        facebook.inject(facebook.rule_fault(rule_named("fb_invalid_image")))

        report = cli("post", "--all")

    assert report.code == 0, report.out + report.err
    assert "sent 1 post" in report.out
    assert re.search(rf"post \d+: sent without photo: .*{re.escape(REFUSED)}", report.out)
    (stored,) = [p for p in facebook.posts.values() if not p["deleted"]]
    assert stored["photo_id"] is None and stored["link"] == "https://charity.example/appeals/sam"

    (row,) = cli("queue", "--all", "--json").json()
    assert row["status"] == "sent" and REFUSED in row["degraded"]
    assert "sent without photo" in cli("queue", "--all").out
    assert "sent without photo" in cli("log").out

    card = get_card(open_db(tmp_path / "cli.db"), item_id)
    assert card is not None
    (place,) = card.places
    assert place.degraded and REFUSED in place.degraded


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_check_credentials_asks_what_the_token_may_do(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fakes: tuple[FakeX, FakeFacebook],
    platform: str,
) -> None:
    _x_server, _facebook_server = fakes
    _x_server.reset()
    _facebook_server.reset()
    set_live(monkeypatch, tmp_path, _x_server, _facebook_server)
    assert cli("check-credentials").code == 0
    if platform == "facebook":
        _facebook_server.permissions[FB_PAGE].discard("pages_manage_posts")
        expected = "lacks the permission pages_manage_posts"
    else:
        _x_server.access_level = "read"
        expected = "may only read"
    try:
        result = cli("check-credentials")
    finally:
        _x_server.reset()
        _facebook_server.reset()
    assert result.code == 1
    line = next(line for line in result.out.splitlines() if line.startswith(platform))
    assert "NOT working" in line and expected in line
    assert "to fix:" in result.out
    other = "x" if platform == "facebook" else "facebook"
    assert f"{other} (live): working" in result.out


def test_a_token_for_another_page_is_named(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fakes: tuple[FakeX, FakeFacebook],
) -> None:
    _x_server, _facebook_server = fakes
    _facebook_server.reset()
    set_live(monkeypatch, tmp_path, _x_server, _facebook_server)
    monkeypatch.setenv("FACEBOOK_PAGE_ID", "1000000002")
    _facebook_server.pages["1000000002"] = "another-page-token"
    _facebook_server.page_names["1000000002"] = "Other Page"
    try:
        result = cli("check-credentials")
    finally:
        del _facebook_server.pages["1000000002"]
        del _facebook_server.page_names["1000000002"]
    assert "is for another Facebook Page (1000000001)" in result.out
