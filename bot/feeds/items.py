"""An item is one appeal or news story, as taken from a feed or added by hand by the comms team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.frozen import set_at_once

Kind = Literal["appeal", "news"]
# An appeal's life as the charity's site reports it. News items have no status.
AppealStatus = Literal["missing", "found", "withdrawn"]
KINDS: tuple[Kind, ...] = ("appeal", "news")
CLOSED_STATUSES: frozenset[str] = frozenset({"found", "withdrawn"})


# Set at once: a first poll builds thousands of items (bot.core.frozen).
@set_at_once
@dataclass(frozen=True)
class Item:
    """A normalised feed entry: plain text only, absolute URLs, UTC times."""

    id: str
    kind: Kind
    title: str
    summary: str = ""
    link: str | None = None
    image_url: str | None = None
    image_alt: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    categories: tuple[str, ...] = ()
    status: AppealStatus | None = None
    urgent: bool = False
    region: str | None = None
    feed_url: str | None = None
    # Facts for the appeal card that the feed or a person stated outright, as (fact, text) pairs
    # (bot.posts.facts.FACT_KEYS); the rest are read from the title and summary when needed.
    facts: tuple[tuple[str, str], ...] = ()

    @property
    def is_closed(self) -> bool:
        """True once the person is found or the appeal withdrawn: it must not be posted."""
        return self.status in CLOSED_STATUSES
