"""Drawing an appeal card: the person's photo beside their facts, the helpline and a QR code.

Pure apart from reading the bundled font files: photo bytes and lines in, image bytes out.

Layout rules (every size is a fraction of the card, so a small card for a test has the same
shape as a full one):

* The photo fills its own area (the left of a landscape card, the top of a tall one), scaled by
  one factor and cropped, never stretched. Portrait snapshots put the face in the upper part,
  so the crop keeps the top (``ImageOps.fit`` centring (0.5, 0.15)); the *face box* is the part
  of the photo area where that rule expects the face. Nothing is drawn on the photo at all.
* Text sits in the panel beside or below it. A line that does not fit shrinks (down to its
  smallest size), then wraps (up to its most lines), then is cut at a word with "…"; if the
  panel is still too full, every size shrinks together, and at last the lowest lines are left
  off (the description first). The alt text still carries all of them.
* Text in a script the bundled font (DejaVu Sans) lacks, or right-to-left text when Pillow has
  no complex-layout support, raises :class:`CardUnavailable`: the caller posts the plain photo
  and logs why, rather than post boxes or a name spelt backwards.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError, features

from bot.posts.card_text import CardLine, Role

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
REGULAR_FONT = FONT_DIR / "DejaVuSans.ttf"
BOLD_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"
# Photos bigger than this are refused before decoding: a hostile 50,000² PNG is a memory bomb.
MAX_PHOTO_PIXELS = 40_000_000
# Crop centring: middle across, the upper part down (where a snapshot's face usually is).
PHOTO_CENTRING = (0.5, 0.15)
# Longest link put in a QR code; a longer one would make a code too dense to scan from a screen.
MAX_QR_LINK = 300

INK = (17, 17, 17)
PAPER = (255, 255, 255)
HEADLINE_BAND = (176, 0, 32)  # white on this red: contrast 7.6:1 (WCAG AAA for large text)
HEADLINE_INK = (255, 255, 255)


class CardUnavailable(Exception):
    """The card cannot be made well; ``reason`` says why in words for the operators' log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Shape:
    """A card's size in pixels and the platform's byte limit for one image."""

    width: int
    height: int
    max_bytes: int

    @property
    def landscape(self) -> bool:
        return self.width > self.height


# X and Bluesky show 16:9 best; Facebook and Mastodon feeds 4:5. Byte limits from each platform's
# documentation: X 5 MB, Bluesky's blob limit 1,000,000 bytes, Facebook 4 MB, Mastodon 8 MB (its
# default before 4.3 raised it to 16 MB).
SHAPES: dict[str, Shape] = {
    "x": Shape(1600, 900, 5_000_000),
    "bluesky": Shape(1600, 900, 1_000_000),
    "facebook": Shape(1080, 1350, 4_000_000),
    "mastodon": Shape(1080, 1350, 8_000_000),
}
# An A4 poster (portrait, 150 dots per inch) for ``run_bot.py card --pdf``.
POSTER = Shape(1240, 1754, 50_000_000)
POSTER_DPI = 150


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels; ``right`` and ``bottom`` are exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    def intersects(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def inside(self, other: Box) -> bool:
        return (
            other.left <= self.left
            and other.top <= self.top
            and self.right <= other.right
            and self.bottom <= other.bottom
        )


@dataclass(frozen=True)
class Placed:
    """A line of text as drawn: what it says (maybe cut), its size and its ink's box."""

    role: Role
    text: str
    size: int
    box: Box
    origin: tuple[int, int]  # where the text was drawn, with ``anchor``
    anchor: str


@dataclass(frozen=True)
class Card:
    """The image and where everything went on it (for tests and previews)."""

    data: bytes
    content_type: str
    width: int
    height: int
    photo_box: Box
    face_box: Box
    placed: tuple[Placed, ...]
    shown: tuple[CardLine, ...]  # the lines drawn (some may be cut short), in reading order
    extras: tuple[Box, ...] = field(default=())  # the QR code and the logo


# Each role's largest and smallest size (in hundredths of the card's shorter side), most lines,
# and weight.
@dataclass(frozen=True)
class _Style:
    largest: float
    smallest: float
    max_lines: int
    bold: bool


_STYLES: dict[Role, _Style] = {
    "headline": _Style(9.0, 5.0, 1, True),
    "name": _Style(8.5, 4.5, 2, True),
    "fact": _Style(5.2, 3.2, 2, False),
    "description": _Style(4.2, 3.0, 3, False),
    "helpline": _Style(5.5, 3.0, 2, True),
    "small": _Style(3.4, 2.4, 1, False),
}
_SCALES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
ELLIPSIS = "…"


def render_card(
    photo: bytes,
    body: Sequence[CardLine],
    footer: Sequence[CardLine],
    shape: Shape,
    link: str | None = None,
    logo: bytes | None = None,
) -> Card:
    """Draw the card; raise :class:`CardUnavailable` when it cannot be drawn well.

    ``body`` goes top down beside or under the photo, ``footer`` at the bottom beside the QR
    code of ``link`` (left out when None or too long) and the ``logo``. The result is a PNG, or
    a JPEG when the PNG is over ``shape.max_bytes``.
    """
    check_script([*body, *footer])
    picture = _open_photo(photo)
    canvas = Image.new("RGB", (shape.width, shape.height), PAPER)
    unit = min(shape.width, shape.height) / 100
    photo_box, panel = _areas(shape, unit)
    canvas.paste(
        ImageOps.fit(
            picture,
            (photo_box.right - photo_box.left, photo_box.bottom - photo_box.top),
            Image.Resampling.LANCZOS,
            centering=PHOTO_CENTRING,
        ),
        (photo_box.left, photo_box.top),
    )
    draw = ImageDraw.Draw(canvas)
    footer_height = round((panel.bottom - panel.top) * (0.3 if shape.landscape else 0.32))
    footer_box = Box(panel.left, panel.bottom - footer_height, panel.right, panel.bottom)
    extras: list[Box] = []
    text_right = panel.right
    qr_link = link if link and len(link) <= MAX_QR_LINK else None
    if qr_link:
        qr_box = Box(panel.right - footer_height, footer_box.top, panel.right, panel.bottom)
        canvas.paste(_qr(qr_link, footer_height), (qr_box.left, qr_box.top))
        extras.append(qr_box)
        text_right = qr_box.left - round(2 * unit)
    footer_text = Box(panel.left, footer_box.top, text_right, footer_box.bottom)
    if logo:
        logo_height = round(footer_height * 0.35)
        logo_image = _open_logo(logo, (text_right - panel.left, logo_height))
        logo_box = Box(
            panel.left,
            panel.bottom - logo_image.height,
            panel.left + logo_image.width,
            panel.bottom,
        )
        canvas.paste(logo_image, (logo_box.left, logo_box.top), logo_image)
        extras.append(logo_box)
        footer_text = Box(panel.left, footer_box.top, text_right, logo_box.top - round(unit))
    body_box = Box(panel.left, panel.top, panel.right, footer_box.top - round(2 * unit))
    placed = _fit(draw, list(body), body_box, unit) + _fit(draw, list(footer), footer_text, unit)
    for item in placed:
        _draw_line(draw, item, body_box if item.role == "headline" else None, unit)
    shown = tuple(CardLine(p.role, p.text) for p in placed)
    data, content_type = _encode(canvas, shape.max_bytes)
    return Card(
        data=data,
        content_type=content_type,
        width=shape.width,
        height=shape.height,
        photo_box=photo_box,
        face_box=face_box(photo_box),
        placed=tuple(placed),
        shown=shown,
        extras=tuple(extras),
    )


def face_box(photo_box: Box) -> Box:
    """Where the crop rule expects the face: the middle 60% across, 5% to 65% down."""
    width, height = photo_box.right - photo_box.left, photo_box.bottom - photo_box.top
    return Box(
        photo_box.left + round(width * 0.2),
        photo_box.top + round(height * 0.05),
        photo_box.left + round(width * 0.8),
        photo_box.top + round(height * 0.65),
    )


def _areas(shape: Shape, unit: float) -> tuple[Box, Box]:
    """The photo's area and the text panel's. Landscape: photo left (3:4); tall: photo on top."""
    margin = round(4 * unit)
    if shape.landscape:
        photo_right = min(round(shape.height * 0.75), shape.width // 2)
        photo_box = Box(0, 0, photo_right, shape.height)
        panel = Box(photo_right + margin, margin, shape.width - margin, shape.height - margin)
    else:
        photo_bottom = round(shape.height * 0.48)
        photo_box = Box(0, 0, shape.width, photo_bottom)
        panel = Box(
            margin, photo_bottom + round(3 * unit), shape.width - margin, shape.height - margin
        )
    return photo_box, panel


# --- scripts -----------------------------------------------------------------------------------


@functools.cache
def _covered(path: Path) -> frozenset[int]:
    # Imported here, at the first card: a process that never draws one (most commands, a
    # daemon between sends) does not carry fontTools.
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _is_rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def check_script(lines: Sequence[CardLine]) -> None:
    """Raise :class:`CardUnavailable` if a line has a character the bundled font cannot draw,
    or right-to-left text while Pillow lacks libraqm (it would come out backwards, unjoined)."""
    covered = _covered(REGULAR_FONT) & _covered(BOLD_FONT)
    for line in lines:
        missing = sorted({c for c in line.text if not c.isspace() and ord(c) not in covered})
        if missing:
            shown = " ".join(f"U+{ord(c):04X}" for c in missing[:3])
            raise CardUnavailable(
                f"the card font (DejaVu Sans) cannot draw some characters ({shown}); "
                "posted the plain photo instead"
            )
        if any(_is_rtl(c) for c in line.text) and not features.check("raqm"):
            raise CardUnavailable(
                "right-to-left text needs Pillow built with libraqm; posted the plain photo instead"
            )


# --- images ------------------------------------------------------------------------------------


def _open_photo(photo: bytes) -> Image.Image:
    try:
        opened = Image.open(io.BytesIO(photo))
        if opened.width * opened.height > MAX_PHOTO_PIXELS:
            raise CardUnavailable(
                f"the photo is {opened.width}×{opened.height} pixels, too large to make a card from"
            )
        image = ImageOps.exif_transpose(opened)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise CardUnavailable(f"the photo could not be read as an image ({error})") from None
    if image.width < 1 or image.height < 1:
        raise CardUnavailable("the photo is empty")
    return image.convert("RGB")


def _open_logo(logo: bytes, size: tuple[int, int]) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(logo))
        if image.width * image.height > MAX_PHOTO_PIXELS:
            raise CardUnavailable("the logo file is too large an image")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise CardUnavailable(f"the logo (CARD_LOGO) is not an image ({error})") from None
    return ImageOps.contain(image.convert("RGBA"), size, Image.Resampling.LANCZOS)


def _qr(link: str, size: int) -> Image.Image:
    import qrcode  # only when a card is drawn: 5 MB a waiting daemon need not carry

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=2)
    code.add_data(link)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST)


def _encode(canvas: Image.Image, max_bytes: int) -> tuple[bytes, str]:
    """PNG keeps text sharp; a photo-heavy card over the limit goes as JPEG, best quality first."""
    out = io.BytesIO()
    canvas.save(out, "PNG", compress_level=6)
    if out.tell() <= max_bytes:
        return out.getvalue(), "image/png"
    for quality in (92, 85, 75, 60):
        out = io.BytesIO()
        canvas.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= max_bytes:
            return out.getvalue(), "image/jpeg"
    raise CardUnavailable(f"the card could not be made smaller than {max_bytes:,} bytes")


# --- text --------------------------------------------------------------------------------------


@functools.cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(BOLD_FONT if bold else REGULAR_FONT), size, layout_engine=engine)


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return ascent + descent


def _fit(draw: ImageDraw.ImageDraw, lines: list[CardLine], box: Box, unit: float) -> list[Placed]:
    """Lay ``lines`` out top down in ``box``: shrink, wrap, cut, shrink all, then leave off."""
    width, height = box.right - box.left, box.bottom - box.top
    while lines:
        for scale in _SCALES:
            laid = [_lay_line(line, width, unit, scale) for line in lines]
            gap = round(1.2 * unit * scale)
            total = sum(_line_height(font) * len(rows) for font, rows, _ in laid)
            total += gap * (len(laid) - 1)
            if total <= height:
                return _stack(draw, laid, box, gap)
        # Still too full at the smallest sizes: the last line gives way (the alt text keeps it).
        lines = lines[:-1]
    return []


def _lay_line(
    line: CardLine, width: int, unit: float, scale: float
) -> tuple[ImageFont.FreeTypeFont, list[str], CardLine]:
    style = _STYLES[line.role]
    largest = max(6, round(style.largest * unit * scale))
    smallest = max(6, round(style.smallest * unit * scale))
    size = largest
    while size >= smallest:
        font = _font(style.bold, size)
        if font.getlength(line.text) <= width:
            return font, [line.text], line
        size = max(smallest, round(size * 0.9)) if size > smallest else smallest - 1
    font = _font(style.bold, smallest)
    return font, _wrap(line.text, font, width, style.max_lines), line


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Greedy wrap at spaces into at most ``max_lines``; the last cut at a word with "…"."""
    rows: list[str] = []
    words = text.split()
    while words and len(rows) < max_lines:
        row = words.pop(0)
        if font.getlength(row) > width:
            row = _cut_chars(row, font, width)
        while words and font.getlength(f"{row} {words[0]}") <= width:
            row = f"{row} {words.pop(0)}"
        rows.append(row)
    if words:
        last = rows[-1].split(" ")
        while len(last) > 1 and font.getlength(" ".join(last) + ELLIPSIS) > width:
            last.pop()
        cut = " ".join(last)
        rows[-1] = (
            cut + ELLIPSIS
            if font.getlength(cut + ELLIPSIS) <= width
            else _cut_chars(cut + ELLIPSIS, font, width)
        )
    return rows


def _cut_chars(word: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """A single word wider than the panel (no space to cut at): cut it by characters, with "…"."""
    text = word.rstrip(ELLIPSIS)
    while text and font.getlength(text + ELLIPSIS) > width:
        text = text[:-1]
    return text + ELLIPSIS


def _stack(
    draw: ImageDraw.ImageDraw,
    laid: list[tuple[ImageFont.FreeTypeFont, list[str], CardLine]],
    box: Box,
    gap: int,
) -> list[Placed]:
    placed: list[Placed] = []
    y = box.top
    for font, rows, line in laid:
        for row in rows:
            right_to_left = _starts_rtl(row)
            x = box.right if right_to_left else box.left
            anchor = "ra" if right_to_left else "la"
            left, top, right, bottom = draw.textbbox((x, y), row, font=font, anchor=anchor)
            ink = Box(int(left), int(top), int(right + 0.999), int(bottom + 0.999))
            placed.append(Placed(line.role, row, int(font.size), ink, (x, y), anchor))
            y += _line_height(font)
        y += gap
    return placed


def _starts_rtl(text: str) -> bool:
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            return kind != "L"
    return False


def _draw_line(draw: ImageDraw.ImageDraw, item: Placed, band: Box | None, unit: float) -> None:
    font = _font(_STYLES[item.role].bold, item.size)
    ink = INK
    if band is not None:
        # Half a unit of red above and below the ink (less than the smallest gap between two
        # lines), a unit either side (within the panel's margin, so never over the photo).
        pad, side = round(0.5 * unit), round(unit)
        draw.rectangle(
            (band.left - side, item.box.top - pad, band.right + side - 1, item.box.bottom + pad),
            fill=HEADLINE_BAND,
        )
        ink = HEADLINE_INK
    draw.text(item.origin, item.text, font=font, fill=ink, anchor=item.anchor)
