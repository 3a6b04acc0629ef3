"""An appeal's card for one platform: made once per version of its facts, kept, and re-made
when the facts change before posting.

The version is a hash of everything drawn (the facts, the wording, the photo's address, the
link, the logo, the platform's shape and :data:`CARD_FORMAT`), so a stored card is used only
while it still says what the appeal says now. The photo is fetched only when a card is made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.core.settings import Settings
from bot.feeds.items import Item
from bot.platforms.media import Image
from bot.posts import card_files
from bot.posts.card_text import CardWording, alt_text, body_lines, footer_lines
from bot.posts.cards import MAX_QR_LINK, SHAPES, CardUnavailable, render_card
from bot.posts.facts import Facts, facts_of

# Bump when the drawing changes, so cards made by an older version are made again.
CARD_FORMAT = "1"
# The logo is read at most this large: it is the charity's own file, but a mistake (a 200 MB
# TIFF) must not stall every post.
MAX_LOGO_BYTES = 2_000_000

FetchPhoto = Callable[[str], Image]


@dataclass(frozen=True)
class CardSettings:
    """What every card of the charity shares: its wording and logo (bytes, or None)."""

    wording: CardWording
    logo: bytes | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CardSettings:
        """CARD_HEADLINE, CHARITY_HELPLINE, CHARITY_NAME and the CARD_LOGO file's bytes."""
        logo = None
        if settings.card_logo is not None:
            logo = _read_logo(settings.card_logo)
        return cls(card_wording(settings), logo)


def card_wording(settings: Settings) -> CardWording:
    """CARD_HEADLINE, CHARITY_HELPLINE and CHARITY_NAME as the card's wording."""
    return CardWording(
        headline=settings.card_headline,
        helpline=settings.charity_helpline,
        charity=settings.charity_name,
    )


def _read_logo(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_LOGO_BYTES + 1)
    except OSError as error:
        raise CardUnavailable(
            f"the logo file {path} could not be read ({error.strerror})"
        ) from None
    if len(data) > MAX_LOGO_BYTES:
        raise CardUnavailable(f"the logo file {path} is over {MAX_LOGO_BYTES:,} bytes")
    return data


@dataclass(frozen=True)
class MadeCard:
    """A card ready to post: the image, its alt text, and the stored file (None: not kept)."""

    image: Image
    alt_text: str
    path: Path | None


def item_facts(item: Item) -> Facts:
    """The appeal's facts: those stated outright, else read from its title and summary."""
    return facts_of(item.title, item.summary, dict(item.facts))


def card_version(item: Item, facts: Facts, card: CardSettings, platform: str) -> str:
    """A short hash of everything the card shows, for its file name."""
    drawn = [
        CARD_FORMAT,
        facts.as_dict(),
        [card.wording.headline, card.wording.helpline, card.wording.charity],
        item.image_url,
        item.link,
        hashlib.sha256(card.logo).hexdigest() if card.logo else None,
        [SHAPES[platform].width, SHAPES[platform].height],
    ]
    encoded = json.dumps(drawn, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:16]


def make_card(
    db: sqlite_utils.Database,
    item: Item,
    platform: str,
    card: CardSettings,
    fetch_photo: FetchPhoto,
) -> MadeCard:
    """The appeal's card for ``platform``, from the store or drawn now (and stored).

    Raises :class:`CardUnavailable` when no card can be made well (no photo, a script the font
    lacks, an unreadable photo); the photo fetch's own errors (``PhotoUnusable``,
    ``PhotoUnreachable``) pass through, for the sender's photo policy.
    """
    if not item.image_url:
        raise CardUnavailable("the appeal has no photo")
    if platform not in SHAPES:
        raise CardUnavailable(f"no card size is set for {platform}")
    facts = item_facts(item)
    body, footer = body_lines(facts, card.wording), footer_lines(facts, card.wording)
    has_qr = bool(item.link) and len(item.link or "") <= MAX_QR_LINK
    alt = alt_text([*body, *footer], item.image_alt, has_qr)
    version = card_version(item, facts, card, platform)
    directory = card_files.cards_dir(db)
    if directory is not None:
        stored = card_files.find_card(directory, item.id, platform, version)
        if stored is not None:
            content_type = "image/png" if stored.suffix == ".png" else "image/jpeg"
            return MadeCard(Image(stored.read_bytes(), content_type), alt, stored)
    photo = fetch_photo(item.image_url)
    drawn = render_card(
        photo.data, body, footer, SHAPES[platform], item.link if has_qr else None, card.logo
    )
    path = None
    if directory is not None:
        path = card_files.save_card(
            directory, item.id, platform, version, drawn.data, drawn.content_type
        )
    return MadeCard(Image(drawn.data, drawn.content_type), alt, path)
