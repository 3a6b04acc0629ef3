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
