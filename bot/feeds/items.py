"""An item is one appeal or news story, as taken from a feed or added by hand by the comms team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal["appeal", "news"]
# An appeal's life as the charity's site reports it. News items have no status.
AppealStatus = Literal["missing", "found", "withdrawn"]
KINDS: tuple[Kind, ...] = ("appeal", "news")
CLOSED_STATUSES: frozenset[str] = frozenset({"found", "withdrawn"})


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
    categories: tuple[str, ...] = field(default_factory=tuple)
    status: AppealStatus | None = None
    urgent: bool = False
    region: str | None = None
    feed_url: str | None = None
    # Facts for the appeal card that the feed or a person stated outright, as (fact, text) pairs
    # (bot.posts.facts.FACT_KEYS); the rest are read from the title and summary when needed.
    facts: tuple[tuple[str, str], ...] = ()

    def __init__(
        self,
        id: str,
        kind: Kind,
        title: str,
        summary: str = "",
        link: str | None = None,
        image_url: str | None = None,
        image_alt: str | None = None,
        published_at: datetime | None = None,
        updated_at: datetime | None = None,
        categories: tuple[str, ...] = (),
        status: AppealStatus | None = None,
        urgent: bool = False,
        region: str | None = None,
        feed_url: str | None = None,
        facts: tuple[tuple[str, str], ...] = (),
    ) -> None:
        # The fields above, set at once: a frozen dataclass's own __init__ sets each through
        # object.__setattr__, at three times the cost (a first poll reads thousands of items).
        # Setting the instance dict is how a frozen object may be built; after this it refuses
        # changes. tests/feeds/test_item.py holds this to the fields, their order and defaults.
        self.__dict__.update(
            id=id,
            kind=kind,
            title=title,
            summary=summary,
            link=link,
            image_url=image_url,
            image_alt=image_alt,
            published_at=published_at,
            updated_at=updated_at,
            categories=categories,
            status=status,
            urgent=urgent,
            region=region,
            feed_url=feed_url,
            facts=facts,
        )

    @property
    def is_closed(self) -> bool:
        """True once the person is found or the appeal withdrawn: it must not be posted."""
        return self.status in CLOSED_STATUSES
