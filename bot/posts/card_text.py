"""What an appeal card says, in reading order, and the alt text made from the same lines.

Pure. The card (:mod:`bot.posts.cards`) draws these lines and the alt text reads them out, so a
screen-reader user hears every fact a sighted reader sees, in the same order, and nothing the
card does not say except the original photo's own description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.posts.facts import Facts

Role = Literal["headline", "name", "fact", "description", "helpline", "small"]
# Facebook's alt text has no stated limit; X allows 1,000 characters, Mastodon 1,500.
MAX_ALT_CHARS = 1000


@dataclass(frozen=True)
class CardLine:
    """One piece of text on the card: its role sets its size and weight."""

    role: Role
    text: str


@dataclass(frozen=True)
class CardWording:
    """The charity's own words on every card (CARD_HEADLINE, CHARITY_HELPLINE, CHARITY_NAME)."""

    headline: str = "MISSING"
    helpline: str = ""
    charity: str = ""


def last_seen_line(facts: Facts) -> str | None:
    """ "Last seen in Leeds, Tuesday 4 November", or whichever half is known."""
    if facts.place and facts.when:
        return f"Last seen in {facts.place}, {facts.when}"
    if facts.place:
        return f"Last seen in {facts.place}"
    if facts.when:
        return f"Last seen {facts.when}"
    return None


def body_lines(facts: Facts, wording: CardWording) -> list[CardLine]:
    """The headline and the person's facts, top to bottom (the card's upper part)."""
    lines = [CardLine("headline", wording.headline)] if wording.headline.strip() else []
    if facts.name:
        lines.append(CardLine("name", facts.name))
    if facts.age:
        lines.append(CardLine("fact", f"Age {facts.age}"))
    seen = last_seen_line(facts)
    if seen:
        lines.append(CardLine("fact", seen))
    if facts.description:
        lines.append(CardLine("description", facts.description))
    return lines


def footer_lines(facts: Facts, wording: CardWording) -> list[CardLine]:
    """The helpline, the charity's name and the case reference (the card's foot)."""
    lines = []
    if wording.helpline.strip():
        lines.append(CardLine("helpline", wording.helpline.strip()))
    if wording.charity.strip():
        lines.append(CardLine("small", wording.charity.strip()))
    if facts.reference:
        lines.append(CardLine("small", f"Ref {facts.reference}"))
    return lines


def card_lines(facts: Facts, wording: CardWording) -> list[CardLine]:
    """Every line of the card in reading order: body, then footer."""
    return body_lines(facts, wording) + footer_lines(facts, wording)


def alt_text(lines: list[CardLine], photo_alt: str | None, has_qr: bool) -> str:
    """ "Missing person appeal card. MISSING. Sam Jones. Age 15. … Photo: <the photo's alt>."

    Every line in the card's reading order, then the QR code, then the original photo's own
    description; cut to MAX_ALT_CHARS at a word (the photo's description goes first).
    """
    parts = ["Missing person appeal card."]
    parts += [_sentence(line.text) for line in lines]
    if has_qr:
        parts.append("QR code linking to the appeal page.")
    if photo_alt and photo_alt.strip():
        parts.append(f"Photo: {_sentence(' '.join(photo_alt.split()))}")
    text = " ".join(parts)
    if len(text) <= MAX_ALT_CHARS:
        return text
    return text[: MAX_ALT_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."
