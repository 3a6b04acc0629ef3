"""Swapping an appeal post's photo for its card just before it is published (APPEAL_CARDS=1).

The card replaces the photo on every platform, with alt text made from the card's lines and
the photo's own description. When no card can be made (a script the font lacks, an unreadable
photo), the post goes with the plain photo as before, and the operators' log says why. A photo
that cannot be downloaded raises the same errors a publisher's own download would, so the
sender's photo policy (retry once, then post without it) applies unchanged.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import sqlite_utils

from bot.core import events
from bot.core.errors import AppealBotError
from bot.core.net import NetPolicy
from bot.core.settings import Settings
from bot.feeds.items import Item
from bot.platforms.base import PostRequest
from bot.platforms.media import Image, download_image
from bot.posts.appeal_card import CardSettings, FetchPhoto, item_facts, make_card
from bot.posts.card_text import alt_text, body_lines, footer_lines
from bot.posts.cards import MAX_QR_LINK, POSTER, POSTER_DPI, SHAPES, CardUnavailable, render_card
from bot.posts.queue import Post, get_item

log = logging.getLogger("appeal_bot")
# The photo a card is made from may be larger than a platform takes: the card is re-encoded.
MAX_PHOTO_BYTES = 15_000_000


class CardMaker:
    """Makes (or finds) the card of each appeal post and puts it in the request."""

    def __init__(
        self,
        card: CardSettings,
        timeout: float = 20.0,
        allow_private_addresses: bool = False,
    ) -> None:
        self.card = card
        # Photos come from the feed: fetched within bot.core.net's limits and SSRF guard.
        self.policy = NetPolicy(timeout, MAX_PHOTO_BYTES, allow_private=allow_private_addresses)
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> CardMaker | None:
        """The maker APPEAL_CARDS asks for, or None when it is 0."""
        if not settings.appeal_cards:
            return None
        try:
            card = CardSettings.from_settings(settings)
        except CardUnavailable as error:
            log.warning("cards are made without the logo: %s", error.reason)
            card = CardSettings.from_settings(settings.replace(card_logo=None))
        return cls(
            card,
            timeout=settings.feed_timeout_seconds,
            allow_private_addresses=settings.allow_private_addresses,
        )

    def fetcher(self, platform: str) -> FetchPhoto:
        def fetch(url: str) -> Image:
            return download_image(self.policy, url, platform=platform)

        return fetch

    def attach(
        self, db: sqlite_utils.Database, post: Post, request: PostRequest, now: datetime
    ) -> PostRequest:
        """``request`` with the appeal's card as its image, or unchanged when there is none."""
        if not request.image_url:
            return request
        item = get_item(db, post.item_id)
        if item.kind != "appeal" or item.is_closed:
            return request
        # The post's own photo and alt text, which a person may have edited.
        item = replace(item, image_url=request.image_url, image_alt=request.alt_text)
        try:
            made = make_card(db, item, post.platform, self.card, self.fetcher(post.platform))
        except CardUnavailable as error:
            log.warning("post %s goes with the plain photo: %s", post.id, error.reason)
            events.record_post(db, post, "card", "skipped", error.reason, now)
            return request
        return replace(request, image=made.image, alt_text=made.alt_text)


def write_card(
    db: sqlite_utils.Database,
    settings: Settings,
    item_id: str,
    output: Path,
    platform: str = "x",
    pdf: bool = False,
    maker: CardMaker | None = None,
) -> str:
    """Write the appeal's card for ``platform`` (or, with ``pdf``, an A4 poster) to ``output``,
    readable by its owner only (it is personal data). Returns its alt text.

    Raises ``AppealBotError`` in words when there is no card to make (unknown platform, not
    an appeal, no photo, a script the font lacks), and the photo download's own errors.
    """
    if platform not in SHAPES:
        raise AppealBotError(f"--platform: no card size for {platform!r}; use {', '.join(SHAPES)}")
    maker = maker or CardMaker(
        CardSettings.from_settings(settings),
        timeout=settings.feed_timeout_seconds,
        allow_private_addresses=settings.allow_private_addresses,
    )
    item = get_item(db, item_id)
    if item.kind != "appeal":
        raise AppealBotError(f"{item_id} is a news item: only appeals have cards")
    closed = db.execute("SELECT closed_at FROM items WHERE id = ?", [item_id]).fetchone()[0]
    if closed or item.is_closed:
        # Its cards were deleted with its posts: a copy made now would outlive the appeal.
        raise AppealBotError(f"{item_id} is closed (found or withdrawn): it has no card any more")
    try:
        if pdf:
            data, alt = _poster(item, maker)
        else:
            made = make_card(db, item, platform, maker.card, maker.fetcher(platform))
            data, alt = made.image.data, made.alt_text
    except CardUnavailable as error:
        raise AppealBotError(f"no card for {item_id}: {error.reason}") from None
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as error:
        raise AppealBotError(f"--output: cannot write {output} ({error.strerror})") from None
    return alt


def _poster(item: Item, maker: CardMaker) -> tuple[bytes, str]:
    """An A4 PDF poster: the tall card drawn at print size, never kept."""
    from PIL import Image as PILImage

    if not item.image_url:
        raise CardUnavailable("the appeal has no photo")
    facts = item_facts(item)
    body, footer = body_lines(facts, maker.card.wording), footer_lines(facts, maker.card.wording)
    link = item.link if item.link and len(item.link) <= MAX_QR_LINK else None
    photo = maker.fetcher("poster")(item.image_url)
    card = render_card(photo.data, body, footer, POSTER, link, maker.card.logo)
    out = io.BytesIO()
    PILImage.open(io.BytesIO(card.data)).convert("RGB").save(out, "PDF", resolution=POSTER_DPI)
    return out.getvalue(), alt_text([*body, *footer], item.image_alt, link is not None)
