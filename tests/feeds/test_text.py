"""html_to_text and the image helpers: plain, safe text from whatever HTML a feed carries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.feeds.text import ImageTag, find_images, first_image_src, html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Sam Jones, <b>14</b></p>", "Sam Jones, 14"),
        ("Fish &amp; chips", "Fish & chips"),
        ("we&#8217;re here", "we\u2019re here"),
        ("a&nbsp;b", "a b"),
        ("&#x2014;&mdash;", "\u2014\u2014"),
        ("one<br>two<br/>three", "one two three"),
        ("<p>one</p><p>two</p>", "one two"),
        ("<ul><li>one</li><li>two</li></ul>", "one two"),
        ("  lots \n\n of\t space  ", "lots of space"),
        ("before<!-- a comment -->after", "beforeafter"),
        ("a < b and c > d", "a < b and c > d"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>Sam",
        "<SCRIPT type='text/javascript'>alert(1)</SCRIPT>Sam",
        "<style>body{color:red}</style>Sam",
        "<iframe src='https://evil.example'>alert(1)</iframe>Sam",
        "<noscript>alert(1)</noscript>Sam",
        "<img src=x onerror=alert(1)>Sam",
        "<svg><script>alert(1)</script></svg>Sam",
        "<script>alert(1)",  # never closed: the rest of the document is script
    ],
)
def test_hostile_html_leaves_no_code(html: str) -> None:
    text = html_to_text(html)
    assert "alert" not in text
    assert "color" not in text
    assert "<" not in text
    assert text in ("Sam", "")


@pytest.mark.parametrize(
    "html",
    [
        "<p>unclosed <b>tags",
        "</div></p>stray ends",
        "<a href='x",
        "<<<>>>",
        "<![CDATA[x]]>",
        "&#99999999;",
    ],
)
def test_broken_html_never_raises(html: str) -> None:
    assert isinstance(html_to_text(html), str)


@given(st.text())
def test_any_text_gives_one_clean_paragraph(html: str) -> None:
    text = html_to_text(html)
    assert text == text.strip()
    assert "  " not in text
    assert "\n" not in text


@given(st.text(alphabet=st.characters(blacklist_characters="<&")))
def test_plain_text_only_has_its_whitespace_collapsed(plain: str) -> None:
    assert html_to_text(plain) == " ".join(plain.split())


def test_first_image_src() -> None:
    html = '<p>Hi</p><img src="/images/a.jpg" alt="Sam"><img src="/b.jpg">'
    assert first_image_src(html) == "/images/a.jpg"
    assert find_images(html) == [ImageTag("/images/a.jpg", "Sam"), ImageTag("/b.jpg", None)]


def test_first_image_skips_placeholders_and_noscript() -> None:
    html = (
        '<noscript><img src="/fallback.jpg"></noscript>'
        '<img src="data:image/gif;base64,R0lG" data-src="/real.jpg" alt=" Sam \n Jones ">'
    )
    assert find_images(html) == [ImageTag("/real.jpg", "Sam Jones")]


def test_no_image() -> None:
    assert first_image_src("<p>no picture</p>") is None
    assert first_image_src("") is None
    assert first_image_src("<img alt='no source'>") is None
