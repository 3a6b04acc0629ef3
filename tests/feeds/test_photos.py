"""The appeal's photo chosen as a person would: never an avatar, a pixel, an icon or an emoji;
the biggest real picture; the real one behind lazy-loading markup; its own alt text."""

from __future__ import annotations

import pytest

from bot.feeds.fetch import FeedRules, parse_feed
from bot.feeds.items import Item
from bot.feeds.photos import Picture, choose_photo, is_photo, largest_in_srcset

URL = "https://charity.example/feed/"
MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/"'


def entry(inner: str) -> Item:
    body = (
        f'<?xml version="1.0"?><rss version="2.0" {MEDIA}><channel><title>A</title>'
        f"<item><guid>a1</guid><title>Ada, 15</title><link>https://charity.example/ada</link>"
        f"{inner}</item></channel></rss>"
    ).encode()
    [item] = parse_feed(body, URL, "appeal", FeedRules()).items
    return item


def html(markup: str) -> str:
    return "<description>" + markup.replace("&", "&amp;").replace("<", "&lt;") + "</description>"


def test_the_photo_in_the_content_beats_the_authors_gravatar() -> None:
    item = entry(
        '<media:content url="https://0.gravatar.com/avatar/5f1c?s=96&amp;d=identicon"'
        ' medium="image"><media:title type="html">ada_admin</media:title></media:content>'
        + html(
            '<p><img src="https://charity.example/wp-content/uploads/ada.jpg" width="800"'
            ' height="1000" alt="Ada in a red coat"></p><p>Ada, 15, was last seen…</p>'
        )
    )
    assert item.image_url == "https://charity.example/wp-content/uploads/ada.jpg"
    assert item.image_alt == "Ada in a red coat"


def test_a_tracking_pixel_alone_is_no_photo() -> None:
    item = entry(
        html('<p>Ada was seen.</p><img src="https://pixel.wp.com/b.gif?host=charity.example"'
             ' width="1" height="1" alt="">')
    )  # fmt: skip
    assert item.image_url is None


@pytest.mark.parametrize(
    "tag",
    [
        '<img src="https://s.w.org/images/core/emoji/14.0.0/72x72/1f64f.png" class="wp-smiley"'
        ' alt="🙏">',
        '<img src="https://secure.gravatar.com/avatar/ab12?s=48" class="avatar avatar-48">',
        '<img src="https://charity.example/images/spacer.gif">',
        '<img src="https://charity.example/icons/facebook.png" width="32" height="32">',
        '<img src="https://feeds.feedburner.com/~r/charity/~4/abc">',
        '<img src="https://charity.example/share/twitter.png">',
        '<img src="https://charity.example/uploads/logo-small.png" width="64">',
        '<img src="https://blogger.googleusercontent.com/tracker/123-456?l=blog">',
    ],
)
def test_what_is_never_an_appeal_photo_is_skipped(tag: str) -> None:
    item = entry(html(f'<p>Ada.</p>{tag}<img src="/uploads/ada.jpg" alt="Ada">'))
    assert item.image_url == "https://charity.example/uploads/ada.jpg"
    assert item.image_alt == "Ada"


@pytest.mark.parametrize(
    "attribute", ["data-src", "data-lazy-src", "data-original", "data-orig-file", "data-lazyload"]
)
def test_lazy_loading_names_the_real_picture(attribute: str) -> None:
    item = entry(
        html(
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
            f'{attribute}="/uploads/ada.jpg" alt="Ada at the station">'
            '<img src="/wp-content/plugins/lazy/placeholder.gif" data-src="/uploads/bo.jpg">'
        )
    )
    assert item.image_url == "https://charity.example/uploads/ada.jpg"
    assert item.image_alt == "Ada at the station"


def test_the_largest_declared_picture_wins_with_its_own_alt() -> None:
    item = entry(
        html(
            '<img src="/uploads/poster-thumb.jpg" width="150" height="150" alt="Poster">'
            '<img src="/uploads/ada.jpg" width="1200" height="1600" alt="Ada, full photo">'
        )
    )
    assert (item.image_url, item.image_alt) == (
        "https://charity.example/uploads/ada.jpg",
        "Ada, full photo",
    )


def test_srcset_gives_the_biggest_candidate() -> None:
    item = entry(
        html(
            '<img src="/uploads/ada-300x200.jpg" width="300" height="200" alt="Ada"'
            ' srcset="/uploads/ada-300x200.jpg 300w, /uploads/ada-1024x683.jpg 1024w,'
            ' /uploads/ada-768x512.jpg 768w">'
        )
    )
    assert item.image_url == "https://charity.example/uploads/ada-1024x683.jpg"
    assert item.image_alt == "Ada"


def test_media_content_dimensions_beat_a_small_thumbnail() -> None:
    item = entry(
        '<media:thumbnail url="https://charity.example/t/ada-150.jpg" width="150" height="150"/>'
        '<media:content url="https://charity.example/p/ada.jpg" medium="image" width="1200"'
        ' height="800"><media:description>Ada outside school</media:description>'
        "</media:content>"
    )
    assert item.image_url == "https://charity.example/p/ada.jpg"
    assert item.image_alt == "Ada outside school"


def test_the_bigger_enclosure_wins() -> None:
    item = entry(
        '<enclosure url="https://charity.example/a/small.jpg" type="image/jpeg" length="9000"/>'
        '<enclosure url="https://charity.example/a/ada.jpg" type="image/jpeg" length="480000"/>'
    )
    assert item.image_url == "https://charity.example/a/ada.jpg"


def test_a_relative_picture_resolves_against_the_feed() -> None:
    assert entry(html('<img src="../uploads/ada.jpg">')).image_url == (
        "https://charity.example/uploads/ada.jpg"
    )


def test_choose_photo_keeps_the_order_when_nothing_is_declared() -> None:
    first, second = Picture("https://a.example/1.jpg"), Picture("https://a.example/2.jpg")
    assert choose_photo([first, second]) == first
    assert choose_photo([]) is None
    assert not is_photo(Picture("https://a.example/x.jpg", width=40, height=400))


def test_largest_in_srcset() -> None:
    assert largest_in_srcset("a.jpg 1x, b.jpg 2x") == ("b.jpg", None)
    assert largest_in_srcset("a.jpg 480w, b.jpg 1024w") == ("b.jpg", 1024)
    assert largest_in_srcset("") is None


def test_a_picture_linked_at_full_size_is_taken_full_size() -> None:
    # Blogger and WordPress's "link to media file": a small <img> inside a link to the original.
    item = entry(
        html(
            '<a href="https://charity.example/uploads/ada.jpg"><img'
            ' src="https://charity.example/uploads/ada-300x200.jpg" width="300" height="200"'
            ' alt="Ada"></a><a href="/appeals/ada"><img src="/uploads/logo.png" width="120"></a>'
        )
    )
    assert (item.image_url, item.image_alt) == ("https://charity.example/uploads/ada.jpg", "Ada")
