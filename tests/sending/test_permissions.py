"""A missing permission pauses the platform like an expired token, says which permission is
missing (``status``, ``check-credentials``, which asks the platform what the token may do), and
posting resumes by itself once the token can post again. Real clients against the fakes."""

# The fixtures are imported from the modules that define them, so their names recur as
# test parameters.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.x_server import FakeX
from tests.live_fakes import FB_PAGE, START
from tests.sending.test_live_pipeline import (  # noqa: F401
    _CLOCK,
    Live,
    _facebook_server,
    _x_server,
    build_live,
)
from tests.test_cli import Cli, _restore_logging, cli, set_live  # noqa: F401


@pytest.fixture
def live(tmp_path: Path, _x_server: FakeX, _facebook_server: FakeFacebook) -> Iterator[Live]:
    _CLOCK.set(START)
    _x_server.reset()
    _facebook_server.reset()
    yield build_live(tmp_path, _x_server, _facebook_server)
    _x_server.reset()
    _facebook_server.reset()


def revoke(live: Live, platform: str) -> str:
    """Take posting away from the token; returns the words ``status`` must show."""
    if platform == "facebook":
        live.facebook.permissions[FB_PAGE].discard("pages_manage_posts")
        return "pages_manage_posts"
    live.x.access_level = "read"
    return "Read and write"


def restore(live: Live, platform: str) -> None:
    if platform == "facebook":
        live.facebook.permissions[FB_PAGE].add("pages_manage_posts")
    else:
        live.x.access_level = "read-write"


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_a_missing_permission_pauses_names_it_and_resumes_when_granted(
    live: Live, platform: str
) -> None:
    ids = live.queue(2, platform)
    missing = revoke(live, platform)

    report = live.run(platform)

    assert report.sent == {} and report.failed == {}
    status = live.status_of(platform)
    assert status["paused"] and missing in status["paused_reason"]
    assert [live.row(i)["status"] for i in ids] == ["queued", "queued"]
    assert live.row(ids[0])["attempts"] == 0
    assert live.creates(platform) == 1, "kept posting after the first refusal"

    # The platform is asked again a minute later: still missing, still paused.
    live.clock.advance(120)
    assert live.run(platform).skipped[platform].startswith("paused")
    assert live.creates(platform) == 1

    restore(live, platform)
    live.clock.advance(120)
    assert live.run(platform).sent == {platform: 2}
    assert not live.status_of(platform)["paused"]


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_check_credentials_asks_what_the_token_may_do(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    _x_server: FakeX,
    _facebook_server: FakeFacebook,
    platform: str,
) -> None:
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
    _x_server: FakeX,
    _facebook_server: FakeFacebook,
) -> None:
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
