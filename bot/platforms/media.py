"""Fetching an appeal's photo before it is attached to a post.

The photo comes from the charity's own site, which can misbehave like any web server: a page
that moved now answers with HTML, or a huge original was uploaded. The address comes from the
feed, so it is fetched through :func:`bot.core.net.fetch`: a whole-request deadline, a size cap
and the SSRF guard (never our own network). What is wrong is said in words a comms officer
understands, before anything reaches a platform. What the file is comes from its bytes, not its
Content-Type (``image/jpg`` and ``application/octet-stream`` photos are common);
:mod:`bot.platforms.photo_prep` then makes it one the platform takes, without its location.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import PhotoUnreachable, PhotoUnusable
from bot.core.net import NetError, NetPolicy, Refused, Response, TooBig, fetch
from bot.platforms.photo_prep import prepare_photo, sniff_type

# The still-image types X and Facebook both accept.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class Image:
    """A downloaded image, ready for its platform: its bytes and their real MIME type."""

    data: bytes
    content_type: str


def download_image(policy: NetPolicy, url: str, *, platform: str = "image") -> Image:
    """Download ``url`` within ``policy``; raise ``PhotoUnusable`` for anything that is not a
    usable image.

    ``platform`` names the platform the error is reported for. A missing page, a non-image
    type, a file over ``policy.max_bytes`` or an address we must not reach will not fix itself
    (``PhotoUnusable``); a timeout, connection failure or 5xx might (``PhotoUnreachable``).
    """
    if not url.lower().startswith(("http://", "https://")):
        raise PhotoUnusable(platform, f"the image address {url!r} is not an http(s) URL")

    def check(head: Response) -> None:
        if head.status >= 500 or head.status == 429:
            raise PhotoUnreachable(platform, f"the image server answered {head.status} for {url}")
        if not 200 <= head.status < 300:
            raise PhotoUnusable(
                platform, f"the image at {url} could not be fetched ({head.status})"
            )
        if _content_type(head).startswith("text/"):
            # A web page where the photo was (it moved): not worth downloading.
            raise PhotoUnusable(platform, _not_an_image(url, _content_type(head)))

    try:
        response = fetch(url, policy, check=check)
    except Refused as error:
        # Never to be tried again: the address is ours or private, and stays so.
        why = f"the image at {url} was refused: {error.url} {error.reason}"
        raise PhotoUnusable(platform, why) from None
    except TooBig:
        raise PhotoUnusable(platform, _too_big(url, policy.max_bytes)) from None
    except NetError as error:
        raise PhotoUnreachable(
            platform, f"the image at {url} could not be downloaded: {error.reason}"
        ) from None
    if not response.body:
        raise PhotoUnusable(platform, f"the image at {url} is empty")
    if sniff_type(response.body) is None:
        raise PhotoUnusable(platform, _not_an_image(url, _content_type(response)))
    prepared = prepare_photo(response.body, platform)
    return Image(prepared.data, prepared.content_type)


def _content_type(response: Response) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _not_an_image(url: str, content_type: str) -> str:
    shown = content_type or "of no stated type"
    return f"the file at {url} is {shown}, not a JPEG, PNG, GIF or WebP image"


def _too_big(url: str, max_bytes: int) -> str:
    return f"the image at {url} is over {max_bytes:,} bytes; use a smaller one"
