"""``add`` takes the card's facts; ``card`` writes the card (or an A4 PDF poster) to a file."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from bot.fakes.images import silhouette
from tests.cli.conftest import Cli
from tests.cli.test_commands import add_appeal, assert_one_error_line

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]


def _appeal_with_photo(cli: Cli, feed_server: FeedServer, *extra: str) -> str:
    photo = feed_server.serve("/photo.png", silhouette(120, 160), content_type="image/png")
    return add_appeal(
        cli, "Sam Jones, 15, missing from Leeds", "--image", photo, "--alt", "A silhouette", *extra
    )


def test_card_writes_the_platform_card_with_the_facts_add_was_given(
    cli: Cli, feed_server: FeedServer, tmp_path: Path
) -> None:
    item_id = _appeal_with_photo(cli, feed_server, "--age", "16", "--last-seen", "York station")
    output = tmp_path / "card.png"
    result = cli("card", item_id, "--output", str(output), "--platform", "facebook")
    assert result.code == 0, result.err
    assert Image.open(io.BytesIO(output.read_bytes())).size == (1080, 1350)
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert "alt text: Missing person appeal card. MISSING. Sam Jones. Age 16." in result.out
    assert "Last seen in York station." in result.out


def test_card_pdf_writes_an_a4_poster(cli: Cli, feed_server: FeedServer, tmp_path: Path) -> None:
    item_id = _appeal_with_photo(cli, feed_server)
    output = tmp_path / "poster.pdf"
    assert cli("card", item_id, "--output", str(output), "--pdf").code == 0
    data = output.read_bytes()
    assert data.startswith(b"%PDF")
    # 1240 × 1754 pixels at 150 dpi: an A4 page of 595 × 842 points.
    assert b"/MediaBox [0 0 595.2" in data or b"/MediaBox [ 0 0 595.2" in data


def test_card_refuses_in_one_line(cli: Cli, feed_server: FeedServer, tmp_path: Path) -> None:
    no_photo = add_appeal(cli, "Ada Lovelace, 15, missing from London")
    result = cli("card", no_photo, "--output", str(tmp_path / "c.png"))
    assert_one_error_line(result)
    assert "no photo" in result.err
    item_id = _appeal_with_photo(cli, feed_server)
    result = cli("card", item_id, "--output", str(tmp_path / "c.png"), "--platform", "myspace")
    assert_one_error_line(result)
    assert "myspace" in result.err
    result = cli("card", item_id, "--output", str(tmp_path / "nowhere" / "c.png"))
    assert_one_error_line(result)
    assert "cannot write" in result.err


def test_no_card_for_a_closed_appeal(cli: Cli, feed_server: FeedServer, tmp_path: Path) -> None:
    item_id = _appeal_with_photo(cli, feed_server)
    assert cli("withdraw", item_id, "--reason", "found safe and well").code == 0
    output = tmp_path / "card.png"
    result = cli("card", item_id, "--output", str(output))
    assert_one_error_line(result)
    assert "closed" in result.err and not output.exists()
    assert not list(tmp_path.glob("cli.db-cards/*"))
