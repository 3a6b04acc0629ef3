"""Fitting a downloaded photo under a platform's byte limit (Bluesky's blobs: 1,000,000 bytes).

Pure: bytes in, bytes out, with Pillow. A photo already small enough goes out as it is; a larger
one is re-encoded as JPEG, first at lower quality, then smaller, until it fits. Re-encoding also
drops EXIF data (a phone photo's GPS position among it). Its pixel size is read either way, for
the aspect ratio Bluesky shows before the image loads.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from bot.core.errors import PhotoUnusable

# A photo is never this big; a "photo" that is, is a decompression bomb.
MAX_PIXELS = 50_000_000
_QUALITIES = (85, 75, 65, 50)
_SCALES = (1.0, 0.75, 0.5, 0.35, 0.25)


@dataclass(frozen=True)
class FittedImage:
    """An image under the limit: its bytes, MIME type and size in pixels."""

    data: bytes
    content_type: str
    width: int
    height: int


def fit_image(data: bytes, content_type: str, max_bytes: int, *, platform: str) -> FittedImage:
    """``data`` (of ``content_type``) as an image of at most ``max_bytes`` bytes.

    Raises ``PhotoUnusable`` when the bytes are not an image Pillow can read, when the image is
    larger than :data:`MAX_PIXELS`, or when even a quarter-size JPEG does not fit.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoUnusable(platform, f"the photo is {width}×{height} pixels, too large")
            if len(data) <= max_bytes:
                return FittedImage(data, content_type, width, height)
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise PhotoUnusable(platform, "the photo could not be read as an image") from None
    for scale in _SCALES:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        resized = rgb if scale == 1.0 else rgb.resize(size, Image.Resampling.LANCZOS)
        for quality in _QUALITIES:
            buffer = io.BytesIO()
            resized.save(buffer, "JPEG", quality=quality, optimize=True)
            if buffer.tell() <= max_bytes:
                return FittedImage(buffer.getvalue(), "image/jpeg", *size)
    raise PhotoUnusable(platform, f"the photo cannot be made smaller than {max_bytes:,} bytes")
