"""Terminal tables: what a cut value keeps."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.display import shorten_url


def test_a_long_feed_url_keeps_its_host_and_file_name() -> None:
    url = "https://charity.example/" + "deeply/nested/" * 8 + "appeals.xml"
    short = shorten_url(url, 60)
    assert len(short) <= 60
    assert short == "https://charity.example/…/appeals.xml"


def test_a_file_url_in_a_deep_checkout_keeps_its_file_name() -> None:
    # The status table showed the start of a file:// URL and cut off the file name in a deep
    # folder, so what it showed depended on where the checkout lives.
    url = "file:///" + "a-very-long-folder-name/" * 6 + "bot/data/sample_appeals.xml"
    short = shorten_url(url, 60)
    assert short.endswith("/sample_appeals.xml") and short.startswith("file://")
    assert len(short) <= 60


def test_a_short_url_is_left_alone() -> None:
    assert shorten_url("https://charity.example/feed", 60) == "https://charity.example/feed"


def test_a_file_name_longer_than_the_column_keeps_both_ends() -> None:
    short = shorten_url("https://c.example/" + "x" * 30 + "-appeals.xml", 20)
    assert len(short) == 20 and short.endswith("peals.xml") and short.startswith("xxx")


@given(st.text(min_size=0, max_size=300), st.integers(min_value=10, max_value=120))
def test_never_wider_than_the_column(url: str, width: int) -> None:
    short = shorten_url(url, width)
    assert len(short) <= width
    if len(" ".join(url.split())) <= width:
        assert short == " ".join(url.split())
