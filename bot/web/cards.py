"""The appeal card on the dashboard: ``/card.png?item=ID&platform=x`` and the preview beside an
appeal (Appeals page) or an appeal's post (Queue page).

The image is the card the sender posts (the same function, the same stored file), made here if
it is not made yet. Only open appeals get one: a withdrawn appeal's cards were deleted, and a
page view must not bring them back. Behind the sign-in like every page, and never cached.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, request, url_for

from bot.core.errors import PublishError
from bot.core.settings import Settings
from bot.feeds.items import Item
from bot.posts.appeal_card import CardSettings, card_wording, item_facts, make_card
from bot.posts.card_text import alt_text, body_lines, footer_lines
from bot.posts.cards import MAX_QR_LINK, SHAPES, CardUnavailable
from bot.posts.queue import get_item
from bot.sending.card_attach import CardMaker
from bot.web.context import get_db

cards = Blueprint("cards", __name__)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["appeal_bot"]["settings"]
    return settings


@cards.route("/card.png")
def card_image() -> Any:
    """The card as a PNG or JPEG; 404 with the reason in words when there is none."""
    settings = _settings()
    platform = request.args.get("platform", "x")
    if not settings.appeal_cards:
        abort(404, "Appeal cards are off (APPEAL_CARDS=0): posts carry the plain photo.")
    if platform not in SHAPES:
        abort(404, f"No card size for {platform}.")
    db = get_db()
    item = _open_appeal(request.args.get("item", ""))
    if item is None:
        abort(404, "Only an open appeal with a photo has a card.")
    # The sender's own fetch (its SSRF guard, ALLOW_PRIVATE_ADDRESSES), with a page's patience.
    maker = CardMaker(
        CardSettings.from_settings(settings),
        timeout=5.0,
        allow_private_addresses=settings.allow_private_addresses,
    )
    try:
        made = make_card(db, item, platform, maker.card, maker.fetcher(platform))
    except CardUnavailable as error:
        abort(404, f"No card: {error.reason}.")
    except PublishError as error:
        abort(404, f"No card: {error.message}.")
    return Response(made.image.data, mimetype=made.image.content_type)


def _open_appeal(item_id: str) -> Item | None:
    """The appeal if it is open and has a photo; None for news, closed or purged appeals."""
    db = get_db()
    row = db.execute(
        "SELECT kind, closed_at, purged_at, image_url FROM items WHERE id = ?", [item_id]
    ).fetchone()
    if row is None or row[0] != "appeal" or row[1] or row[2] or not row[3]:
        return None
    item = get_item(db, item_id)
    return None if item.is_closed else item


def card_preview(item_id: str, platform: str = "x") -> dict[str, str] | None:
    """What a page needs to show the appeal's card: its address and alt text; None without one.

    Pure apart from one read of the item: the image itself loads only when shown.
    """
    settings = _settings()
    if not settings.appeal_cards or platform not in SHAPES:
        return None
    item = _open_appeal(item_id)
    if item is None:
        return None
    wording = card_wording(settings)
    facts = item_facts(item)
    lines = [*body_lines(facts, wording), *footer_lines(facts, wording)]
    has_qr = bool(item.link) and len(item.link or "") <= MAX_QR_LINK
    return {
        "url": url_for("cards.card_image", item=item.id, platform=platform),
        "alt": alt_text(lines, item.image_alt, has_qr),
    }
