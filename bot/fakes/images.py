"""A real PNG made on the spot: the photo of the sandbox's sample appeals and of the tests.

Built rather than stored, so no binary blob (or base64 text that looks like a token) sits in
the repository.
"""

from __future__ import annotations

import io
import struct
import zlib


def png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A valid ``width`` × ``height`` PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def silhouette(width: int = 600, height: int = 800) -> bytes:
    """A PNG of a grey head-and-shoulders silhouette on a pale background: a stand-in photo
    with no face, so no demo, test or README ever shows a real person."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (214, 222, 230))
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    cx = width // 2
    head = unit * 0.18
    head_top = height * 0.12
    draw.ellipse((cx - head, head_top, cx + head, head_top + 2.3 * head), fill=(120, 132, 146))
    shoulders_top = head_top + 2.2 * head
    draw.ellipse(
        (cx - 2.2 * head, shoulders_top, cx + 2.2 * head, shoulders_top + 3.6 * head),
        fill=(120, 132, 146),
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
