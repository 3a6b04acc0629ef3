"""Appeal cards: golden images, layout properties for any name, script and photo shape, scripts
the font lacks, and alt text that reads out every line of the card in order."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from bot.fakes.images import silhouette
from bot.posts.card_text import CardLine, CardWording, alt_text, body_lines, footer_lines
from bot.posts.cards import SHAPES, Box, CardUnavailable, Shape, render_card
from bot.posts.facts import Facts

GOLDEN = Path(__file__).parent / "golden"
WORDING = CardWording("MISSING", "Call or text 116 000", "Example Missing People")
FACTS = Facts(
    name="Alex Marlowe",
    age="14",
    place="Library Street, Wigan",
    when="3.30pm on Sunday 2 March",
    description="5ft 4in, slim, short brown hair, navy school blazer and a red backpack",
    reference="25-0001",
)
LINK = "https://charity.example/appeals/sample-0001"


def _card(facts: Facts, shape: Shape, photo: bytes | None = None, **kwargs: object) -> object:
    return render_card(
        photo or silhouette(300, 400),
        body_lines(facts, WORDING),
        footer_lines(facts, WORDING),
        shape,
        LINK,
        **kwargs,  # type: ignore[arg-type]
    )


def _difference(a: Image.Image, b: Image.Image) -> tuple[float, float]:
    """(mean absolute difference per channel, share of pixels off by more than 64)."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")
    histogram = diff.histogram()
    pixels = a.width * a.height
    mean = sum(value * count for value, count in enumerate(histogram)) / pixels
    return mean, sum(histogram[65:]) / pixels


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_golden_cards(platform: str) -> None:
    """Within a small tolerance, so a FreeType hinting change does not break the test, while a
    moved line, a lost photo or other wording does."""
    card = render_card(
        silhouette(300, 400),
        body_lines(FACTS, WORDING),
        footer_lines(FACTS, WORDING),
        SHAPES[platform],
        LINK,
    )
    image = Image.open(io.BytesIO(card.data))
    golden = GOLDEN / f"card-{platform}.png"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(card.data)
    expected = Image.open(golden)
    assert image.size == expected.size
    mean, far_off = _difference(image, expected)
    assert mean < 1.5 and far_off < 0.005, (mean, far_off)


def test_the_golden_comparison_catches_a_changed_card() -> None:
    """The tolerance is not so loose that another name passes."""
    other = Facts(**{**FACTS.as_dict(), "name": "Jordan Whitfield-Smythe"})
    card = render_card(
        silhouette(300, 400),
        body_lines(other, WORDING),
        footer_lines(other, WORDING),
        SHAPES["x"],
        LINK,
    )
    _, far_off = _difference(Image.open(io.BytesIO(card.data)), Image.open(GOLDEN / "card-x.png"))
    assert far_off >= 0.005


def test_the_photo_is_scaled_evenly_never_stretched() -> None:
    """A square in a wide photo is still a square on the card."""
    photo = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(photo).rectangle((150, 50, 249, 149), fill="black")
    out = io.BytesIO()
    photo.save(out, "PNG")
    for platform in ("x", "facebook"):
        card = render_card(out.getvalue(), [], [], SHAPES[platform])
        image = Image.open(io.BytesIO(card.data)).convert("L")
        area = card.photo_box
        region = image.crop((area.left, area.top, area.right, area.bottom))
        dark = region.point(lambda v: 255 if v < 100 else 0).getbbox()
        assert dark is not None
        width, height = dark[2] - dark[0], dark[3] - dark[1]
        assert abs(width - height) <= 2, (platform, width, height)


# --- properties ----------------------------------------------------------------------------

_SCRIPTS = {
    "latin": "abcdefghijklmnopqrstuvwxyzéøßñç' -",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "hebrew": "אבגדהוזחטיכלמנסעפצקרשת",
}
_SMALL = {"landscape": Shape(400, 225, 1_000_000), "tall": Shape(270, 338, 1_000_000)}


@st.composite
def _names(draw: st.DrawFn) -> str:
    letters = _SCRIPTS[draw(st.sampled_from(sorted(_SCRIPTS)))]
    words = draw(st.lists(st.text(letters, min_size=1, max_size=30), min_size=1, max_size=8))
    return " ".join(words)


def _photo(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 100, 110)).save(out, "PNG")
    return out.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_names(),
    description=st.text(_SCRIPTS["latin"], max_size=300),
    photo_size=st.tuples(st.integers(1, 900), st.integers(1, 900)),
    shape=st.sampled_from(sorted(_SMALL)),
    logo=st.booleans(),
)
def test_text_stays_in_the_card_and_off_the_face(
    name: str, description: str, photo_size: tuple[int, int], shape: str, logo: bool
) -> None:
    facts = Facts(
        name=name, age="15", place=name, when="Tuesday 4 November", description=description or None
    )
    card = render_card(
        _photo(*photo_size),
        body_lines(facts, WORDING),
        footer_lines(facts, WORDING),
        _SMALL[shape],
        LINK,
        logo=_photo(60, 20) if logo else None,
    )
    whole = Box(0, 0, card.width, card.height)
    assert card.placed, "at least the headline shows"
    for item in (*(p.box for p in card.placed), *card.extras):
        assert item.inside(whole), item
        assert not item.intersects(card.face_box), item
        assert not item.intersects(card.photo_box), item
    boxes = [p.box for p in card.placed]
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            assert not first.intersects(second), (first, second)
    assert Image.open(io.BytesIO(card.data)).size == (card.width, card.height)


@settings(max_examples=4, deadline=None)
@given(platform=st.sampled_from(sorted(SHAPES)), seed=st.integers(0, 2**32 - 1))
def test_every_platform_card_is_under_its_byte_limit(platform: str, seed: int) -> None:
    """The worst case for size: a photo of noise, which PNG cannot compress."""
    noise = Image.effect_noise((800, 1000), 120).convert("RGB")
    noise = ImageChops.offset(noise, seed % 800, seed % 1000)
    out = io.BytesIO()
    noise.save(out, "PNG")
    card = _card(FACTS, SHAPES[platform], out.getvalue())
    assert len(card.data) <= SHAPES[platform].max_bytes  # type: ignore[attr-defined]


def test_a_script_the_font_lacks_falls_back() -> None:
    with pytest.raises(CardUnavailable, match="cannot draw"):
        _card(Facts(name="山田 太郎"), SHAPES["x"])


def test_right_to_left_names_render_right_aligned() -> None:
    card = render_card(
        silhouette(300, 400),
        [CardLine("name", "سارة أحمد")],
        [],
        SHAPES["facebook"],
    )
    (placed,) = card.placed
    assert placed.anchor == "ra" and placed.box.right <= card.width


def test_a_long_name_is_cut_at_a_word_with_an_ellipsis() -> None:
    name = " ".join(["Bartholomew-Featherstonehaugh"] * 12)
    card = _card(Facts(name=name), SHAPES["x"])
    shown = [p.text for p in card.placed if p.role == "name"]  # type: ignore[attr-defined]
    assert shown[-1].endswith("…")
    assert all(part.rstrip("…") in name for part in shown)
    assert shown[-1].rstrip("…").endswith("Featherstonehaugh")


def test_a_broken_photo_falls_back() -> None:
    with pytest.raises(CardUnavailable, match="photo"):
        _card(FACTS, SHAPES["x"], b"<html>not an image</html>")


# --- alt text ------------------------------------------------------------------------------


def test_alt_text_reads_every_line_of_the_card_in_order() -> None:
    body, footer = body_lines(FACTS, WORDING), footer_lines(FACTS, WORDING)
    card = render_card(silhouette(300, 400), body, footer, SHAPES["x"], LINK)
    text = alt_text([*body, *footer], "A grey silhouette", has_qr=True)
    assert text.startswith("Missing person appeal card.")
    position = 0
    for placed in card.placed:
        found = text.find(placed.text.rstrip("…"), position)
        assert found >= position, placed.text
        position = found
    for fact in FACTS.as_dict().values():
        assert fact in text
    assert text.index("QR code") < text.index("Photo: A grey silhouette.")
    assert text.endswith("Photo: A grey silhouette.")


def test_alt_text_leaves_out_unknown_facts_and_is_capped() -> None:
    text = alt_text(body_lines(Facts(name="Sam Jones"), WORDING), None, has_qr=False)
    assert text == "Missing person appeal card. MISSING. Sam Jones."
    long = alt_text([CardLine("description", "word " * 400)], "photo " * 100, has_qr=True)
    assert len(long) <= 1000 and long.endswith("…")
