"""A photo is what its bytes say: converted, resized and stripped of its location as each
platform needs, and downloaded whatever the site's Content-Type claims."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import requests
from PIL import Image

from bot.core.errors import PhotoUnusable
from bot.core.net import NetPolicy
from bot.platforms.media import download_image
from bot.platforms.photo_prep import MAX_SIDE, prepare_photo, sniff_type

if TYPE_CHECKING:
    from tests.feed_server import FeedServer

pytest_plugins = ["tests.feed_server"]

GPS_IFD = 0x8825


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(size: tuple[int, int] = (120, 90), **options: object) -> bytes:
    return encoded(Image.new("RGB", size, (180, 40, 40)), "JPEG", **options)


def with_location(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (53.0, 48.0, 0.0), 3: "W", 4: (1.0, 32.0, 0.0)})
    if orientation:
        exif[0x0112] = orientation
    return jpeg((120, 90), exif=exif.tobytes())


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


@pytest.mark.parametrize("label", ["image/jpg", "application/octet-stream", "", "image/png"])
def test_a_jpeg_is_a_jpeg_whatever_its_label(
    label: str, feed_server: FeedServer, session: requests.Session
) -> None:
    data = jpeg()
    url = feed_server.serve("/ada.jpg", data, content_type=label)
    image = download_image(NetPolicy(5, 1_000_000, allow_private=True), url, platform="x")
    assert (image.content_type, image.data) == ("image/jpeg", data)  # untouched


def test_bytes_that_are_no_image_are_refused(
    feed_server: FeedServer, session: requests.Session
) -> None:
    url = feed_server.serve("/ada.jpg", b"<?php echo 'oops'; ?>" * 10, content_type="image/jpeg")
    with pytest.raises(PhotoUnusable, match="not a JPEG, PNG, GIF or WebP image"):
        download_image(NetPolicy(5, 1_000_000, allow_private=True), url, platform="x")


def test_heic_is_converted_for_every_platform() -> None:
    heic = encoded(Image.new("RGB", (64, 48), (10, 120, 200)), "HEIF")
    assert sniff_type(heic) == "image/heic"
    for platform in ("x", "facebook", "bluesky", "mastodon"):
        photo = prepare_photo(heic, platform)
        assert photo.content_type == "image/jpeg"
        assert opened(photo.data).size == (64, 48)
        assert "converted from heic" in photo.changes


def test_webp_goes_to_x_as_it_is_and_to_facebook_as_jpeg() -> None:
    webp = encoded(Image.new("RGB", (64, 48), (10, 120, 200)), "WEBP")
    assert prepare_photo(webp, "x").data == webp
    facebook = prepare_photo(webp, "facebook")
    assert facebook.content_type == "image/jpeg" and opened(facebook.data).format == "JPEG"


def test_a_transparent_webp_stays_transparent_as_png() -> None:
    webp = encoded(Image.new("RGBA", (64, 48), (10, 120, 200, 0)), "WEBP", lossless=True)
    photo = prepare_photo(webp, "facebook")
    assert photo.content_type == "image/png" and opened(photo.data).mode == "RGBA"


def test_cmyk_jpeg_is_made_rgb() -> None:
    cmyk = encoded(Image.new("CMYK", (80, 60), (0, 200, 200, 0)), "JPEG")
    photo = prepare_photo(cmyk, "x")
    assert opened(photo.data).mode == "RGB"
    assert "CMYK made RGB" in photo.changes


def test_16_bit_png_is_made_8_bit() -> None:
    deep = encoded(Image.new("I;16", (40, 30), 40000), "PNG")
    assert opened(deep).mode.startswith("I")
    photo = prepare_photo(deep, "x")
    image = opened(photo.data)
    assert image.mode in ("L", "RGB")
    assert 150 <= image.convert("L").getpixel((0, 0)) <= 160  # 40000 / 256, not clipped to 255


def test_a_huge_photo_is_resized() -> None:
    big = jpeg((MAX_SIDE + 904, 300))
    photo = prepare_photo(big, "x")
    assert max(opened(photo.data).size) == MAX_SIDE


def test_the_location_is_stripped_and_the_photo_kept_upright() -> None:
    photo = prepare_photo(with_location(orientation=6), "x")  # 6: rotate 90° to view
    image = opened(photo.data)
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"PhoneMaker" not in photo.data
    assert image.size == (90, 120)  # turned as EXIF said, since the tag is gone
    assert "location removed" in photo.changes


def test_a_photo_without_location_keeps_its_bytes() -> None:
    data = jpeg(exif=Image.Exif().tobytes())
    assert prepare_photo(data, "x").data == data


def test_a_download_for_x_has_no_location(
    feed_server: FeedServer, session: requests.Session
) -> None:
    url = feed_server.serve("/ada.jpg", with_location(), content_type="image/jpeg")
    image = download_image(NetPolicy(5, 1_000_000, allow_private=True), url, platform="x")
    assert not opened(image.data).getexif().get_ifd(GPS_IFD)
