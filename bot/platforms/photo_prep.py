"""Making a downloaded photo one the platform takes, decided from its bytes, never its label.

Charity sites label photos wrongly (``image/jpg``, ``application/octet-stream``) and upload what
a phone made: HEIC, WebP, CMYK JPEGs from a print designer, 16-bit PNGs, 6000-pixel originals
with the GPS position of where the photo was taken. Pure, with Pillow (and pillow-heif for
HEIC): bytes in, bytes out. A photo the platform takes as it is goes out byte for byte;
anything else is re-encoded, which also drops every piece of metadata.

Location never leaves: a photo whose EXIF or XMP data holds a GPS position is always
re-encoded without it (the place a missing person's photo was taken can be their home).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.core.errors import PhotoUnusable

# A photo is never this big; a "photo" that is, is a decompression bomb.
MAX_PIXELS = 50_000_000
# Longest side sent: X takes up to 8192, and no platform shows more than 4096.
MAX_SIDE = 4096
JPEG_QUALITY = 90
_GPS_IFD = 0x8825

_MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}
# What each platform's upload takes (their media docs); Facebook is sent photos by URL, but a
# card or a fallback upload goes through here too.
ACCEPTED: dict[str, frozenset[str]] = {
    "x": frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
    "facebook": frozenset({"image/jpeg", "image/png", "image/gif"}),
    "bluesky": frozenset({"image/jpeg", "image/png", "image/webp"}),
    "mastodon": frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
}
DEFAULT_ACCEPTED = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class PreparedPhoto:
    """Bytes ready to upload, their real MIME type, and what was done to them (for the log)."""

    data: bytes
    content_type: str
    changes: tuple[str, ...] = ()


@cache
def _open_heif_too() -> None:
    """Teach Pillow to open HEIC, on first use: pillow-heif costs about 10 MB, which a daemon
    waiting for its next slot need not carry."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def sniff_type(data: bytes) -> str | None:
    """The MIME type the bytes are, as Pillow reads them; None if they are no image."""
    _open_heif_too()
    try:
        with Image.open(io.BytesIO(data)) as image:
            return _MIME.get(image.format or "")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        return None


def prepare_photo(data: bytes, platform: str) -> PreparedPhoto:
    """``data`` as ``platform`` takes it; raises ``PhotoUnusable`` if it is not an image.

    Converted: a type the platform does not take (HEIC everywhere, WebP for Facebook, BMP,
    TIFF) and colours platforms show wrongly (CMYK, 16-bit); resized: a side over
    :data:`MAX_SIDE`; re-encoded without metadata: any photo carrying a GPS position.
    """
    _open_heif_too()
    accepted = ACCEPTED.get(platform, DEFAULT_ACCEPTED)
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoUnusable(platform, f"the photo is {width}×{height} pixels, too large")
            mime = _MIME.get(image.format or "")
            changes = _needed_changes(image, mime, accepted)
            if not changes:
                return PreparedPhoto(data, mime or "image/jpeg")
            image.load()
            return _reencode(image, changes, accepted)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise PhotoUnusable(platform, "the photo could not be read as an image") from None


def _needed_changes(image: Image.Image, mime: str | None, accepted: frozenset[str]) -> list[str]:
    changes = []
    if mime not in accepted:
        changes.append(f"converted from {(mime or 'an unknown type').removeprefix('image/')}")
    if image.mode == "CMYK":
        changes.append("CMYK made RGB")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F") or image.info.get("bits", 8) > 8:
        changes.append("16-bit made 8-bit")
    if max(image.size) > MAX_SIDE:
        changes.append(f"resized to {MAX_SIDE} px")
    if _has_location(image):
        changes.append("location removed")
    return changes


def _has_location(image: Image.Image) -> bool:
    try:
        exif = image.getexif()
    except Exception:  # a broken EXIF block: re-encoding drops it either way
        return True
    if _GPS_IFD in exif and exif.get_ifd(_GPS_IFD):
        return True
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    return b"GPSLatitude" in (xmp if isinstance(xmp, bytes) else str(xmp).encode())


def _reencode(image: Image.Image, changes: list[str], accepted: frozenset[str]) -> PreparedPhoto:
    frame = ImageOps.exif_transpose(image) or image  # keep it upright once EXIF is gone
    if frame.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit grey to 8-bit: scale 0-65535 down to 0-255 rather than clip.
        frame = frame.point(lambda value: value / 256).convert("L")
    transparent = frame.mode in ("RGBA", "LA", "PA") or (
        frame.mode == "P" and "transparency" in frame.info
    )
    frame = frame.convert("RGBA" if transparent else "RGB")
    if max(frame.size) > MAX_SIDE:
        frame.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if transparent and "image/png" in accepted:
        frame.save(buffer, "PNG", optimize=True)
        mime = "image/png"
    else:
        frame.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
        mime = "image/jpeg"
    return PreparedPhoto(buffer.getvalue(), mime, tuple(changes))
