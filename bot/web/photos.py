"""The Add form's photo check: fetch the photo as the X client will, and say what is wrong.

The same download as posting (:func:`bot.platforms.media.download_image`: http(s) only, a
type check, a size cap, a timeout), so a photo that passes here is one the sender can attach.
"""

from __future__ import annotations

from bot.core.errors import PublishError
from bot.core.net import NetPolicy
from bot.platforms.media import download_image

MAX_BYTES = 5_000_000  # X's limit for a photo, the smaller of the two platforms'
TIMEOUT_SECONDS = 5.0


def check_photo(url: str, allow_private_addresses: bool = False) -> str | None:
    """What is wrong with the photo at ``url`` in words, or None when it is a usable image.

    The same SSRF guard as posting: a photo on our own network is refused here too.
    """
    policy = NetPolicy(TIMEOUT_SECONDS, MAX_BYTES, allow_private=allow_private_addresses)
    try:
        download_image(policy, url, platform="photo")
    except PublishError as problem:
        return problem.message
    return None
