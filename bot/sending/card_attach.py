"""Swapping an appeal post's photo for its card just before it is published (APPEAL_CARDS=1).

The card replaces the photo on every platform, with alt text made from the card's lines and
the photo's own description. When no card can be made (a script the font lacks, an unreadable
photo), the post goes with the plain photo as before, and the operators' log says why. A photo
that cannot be downloaded raises the same errors a publisher's own download would, so the
sender's photo policy (retry once, then post without it) applies unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

import requests
import sqlite_utils

from bot.core import events
from bot.core.settings import Settings
from bot.platforms.base import PostRequest
from bot.platforms.media import Image, download_image
from bot.posts.appeal_card import CardSettings, FetchPhoto, make_card
from bot.posts.cards import CardUnavailable
from bot.posts.queue import Post, get_item

log = logging.getLogger("appeal_bot")
# The photo a card is made from may be larger than a platform takes: the card is re-encoded.
MAX_PHOTO_BYTES = 15_000_000


class CardMaker:
    """Makes (or finds) the card of each appeal post and puts it in the request."""

    def __init__(
        self,
        card: CardSettings,
        session: requests.Session | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.card = card
        # Photos come from the charity's site: a plain session, never a platform's.
        self.session = session or requests.Session()
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
        return cls(card, timeout=settings.feed_timeout_seconds)

    def fetcher(self, platform: str) -> FetchPhoto:
        def fetch(url: str) -> Image:
            return download_image(
                self.session, url, MAX_PHOTO_BYTES, self.timeout, platform=platform
            )

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
