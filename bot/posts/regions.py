"""Regions: one rule for matching a region typed by a person or given by a feed to the regions
configured in REGION_HASHTAGS and FACEBOOK_REGIONAL_PAGES.

Two names are the same region when they agree ignoring case and the spaces, hyphens, dots and
underscores between words ("North West", "north-west" and "north_west" are one), so the CLI, the
dashboard, the feeds and the planner all pick the same Facebook page and hashtags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.memo import small_lru_cache
from bot.core.settings import Settings

_SEPARATORS = re.compile(r"[\s\-_.]+")


@small_lru_cache(maxsize=256, max_size=200, size=lambda name: len(name or ""))
def region_key(name: str | None) -> str:
    """The comparison form of a region name: lower case, words joined by '-' ('' for none).

    Cached: planning an item's posts asks it of the same few names several times each.
    """
    return _SEPARATORS.sub("-", (name or "").strip().lower()).strip("-")


@dataclass(frozen=True)
class Region:
    """A configured region: its name as configured, its Facebook page id(s) and hashtags."""

    name: str
    page_ids: tuple[str, ...]
    hashtags: tuple[str, ...]


def configured_regions(settings: Settings) -> list[Region]:
    """Every region named in REGION_HASHTAGS or FACEBOOK_REGIONAL_PAGES, by name."""
    names: dict[str, str] = {}
    for name in [*settings.region_hashtags, *(p.region for p in settings.facebook_pages)]:
        if name:
            names.setdefault(region_key(name), name)
    return [
        Region(
            name=name,
            page_ids=tuple(
                p.page_id for p in settings.facebook_pages if region_key(p.region) == key
            ),
            hashtags=region_hashtags(settings, name),
        )
        for key, name in sorted(names.items())
    ]


def region_hashtags(settings: Settings, region: str | None) -> tuple[str, ...]:
    """REGION_HASHTAGS for ``region`` under the matching rule; () for none."""
    if not settings.region_hashtags:  # none configured, as often: every post asks
        return ()
    key = region_key(region)
    if not key:
        return ()
    tags: list[str] = []
    for name, hashtags in settings.region_hashtags.items():
        if region_key(name) == key:
            tags += hashtags
    return tuple(dict.fromkeys(tags))


def regional_pages(settings: Settings, region: str | None) -> list[str]:
    """The ids of the Facebook pages configured for ``region`` under the matching rule."""
    key = region_key(region)
    if not key:
        return []
    return [p.page_id for p in settings.facebook_pages if region_key(p.region) == key]


def match_region(settings: Settings, text: str | None) -> str | None:
    """The configured name of the region ``text`` names, or None when it names none."""
    key = region_key(text)
    return next((r.name for r in configured_regions(settings) if region_key(r.name) == key), None)


def resolve_region(settings: Settings, text: str | None) -> str | None:
    """The region to store for a post added by hand, from what a person typed or chose.

    A configured region comes back as configured ("North West" → "north-west"); None for no
    region. When regions are configured, one that matches none is refused with the list, as it
    would silently get no regional page or hashtags. Raises ValueError.
    """
    if not region_key(text):
        return None
    known = configured_regions(settings)
    if not known:
        return " ".join((text or "").split()).lower()
    match = match_region(settings, text)
    if match is None:
        names = ", ".join(r.name for r in known)
        raise ValueError(f"the region {text!r} is not one of the configured regions: {names}")
    return match
