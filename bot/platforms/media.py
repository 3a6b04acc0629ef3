"""Fetching an appeal's photo before it is attached to a post.

The photo comes from the charity's own site, which can misbehave like any web server: a page
that moved now answers with HTML, or a huge original was uploaded. The download is streamed and
refused, in words a comms officer understands, before either reaches a platform. What the file
is comes from its bytes, not its Content-Type (``image/jpg`` and
``application/octet-stream`` photos are common); :mod:`bot.platforms.photo_prep` then makes it
one the platform takes, without its location.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from bot.core.errors import PhotoUnreachable, PhotoUnusable
from bot.platforms.photo_prep import prepare_photo, sniff_type

# The still-image types X and Facebook both accept.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Image:
    """A downloaded image, ready for its platform: its bytes and their real MIME type."""

    data: bytes
    content_type: str


def download_image(
    session: requests.Session,
    url: str,
    max_bytes: int,
    timeout: float,
    *,
    platform: str = "image",
) -> Image:
    """Download ``url``; raise ``PhotoUnusable`` for anything that is not a usable image.

    ``platform`` names the platform the error is reported for. A missing page, a non-image type
    or a file over ``max_bytes`` will not fix itself (``PhotoUnusable``); a timeout, connection
    failure or 5xx might (``PhotoUnreachable``).
    """
    if not url.lower().startswith(("http://", "https://")):
        raise PhotoUnusable(platform, f"the image address {url!r} is not an http(s) URL")
    try:
        with session.get(url, stream=True, timeout=timeout) as response:
            status = response.status_code
            if status >= 500 or status == 429:
                raise PhotoUnreachable(platform, f"the image server answered {status} for {url}")
            if status >= 400:
                raise PhotoUnusable(platform, f"the image at {url} could not be fetched ({status})")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type.startswith("text/"):
                # A web page where the photo was (it moved): not worth downloading.
                raise PhotoUnusable(platform, _not_an_image(url, content_type))
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise PhotoUnusable(platform, _too_big(url, int(declared), max_bytes))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PhotoUnusable(platform, _too_big(url, size, max_bytes))
                chunks.append(chunk)
    except requests.RequestException as exc:
        reason = type(exc).__name__
        message = f"the image at {url} could not be downloaded ({reason})"
        raise PhotoUnreachable(platform, message) from None
    if size == 0:
        raise PhotoUnusable(platform, f"the image at {url} is empty")
    data = b"".join(chunks)
    if sniff_type(data) is None:
        raise PhotoUnusable(platform, _not_an_image(url, content_type))
    prepared = prepare_photo(data, platform)
    return Image(prepared.data, prepared.content_type)


def _not_an_image(url: str, content_type: str) -> str:
    shown = content_type or "of no stated type"
    return f"the file at {url} is {shown}, not a JPEG, PNG, GIF or WebP image"


def _too_big(url: str, size: int, max_bytes: int) -> str:
    return f"the image at {url} is over {max_bytes:,} bytes (at least {size:,}); use a smaller one"
