"""A missing permission pauses the platform like an expired token, says which permission is
missing (``status``, ``check-credentials``, which asks the platform what the token may do), and
posting resumes by itself once the token can post again. Real clients against the fakes."""

from __future__ import annotations

import pytest

from tests.live_fakes import FB_PAGE, Live


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
