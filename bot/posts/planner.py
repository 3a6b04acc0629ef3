"""Deciding what to queue for an item: which platforms and pages, what text, when, how urgent.

Pure: a function of the item, the settings and ``now``. The database is not touched here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core.settings import Settings
from bot.feeds.items import Item
from bot.posts.compose import PostStyle, alt_text, compose, post_style, style_for
from bot.posts.queue import PlannedPost, priority_of
from bot.posts.regions import region_hashtags, regional_pages
from bot.posts.states import PostStatus
from bot.posts.tracking import tracked_link


def targets_for(item: Item, settings: Settings, platform: str) -> list[str]:
    """Pages to post on: '' is the main account; on Facebook, plus the item's regional page."""
    if platform != "facebook":
        return [""]
    return ["", *regional_pages(settings, item.region)]


def style_for_item(item: Item, settings: Settings, platform: str) -> PostStyle:
    """The platform's style for the item's kind, plus its region's REGION_HASHTAGS.

    Every caller that composes an item's text (first post, edits from the feed, re-appeals) goes
    through here, so a region's hashtags are never lost when a text is recomposed.
    """
    style = style_for(settings, platform, item.kind)
    extra = region_hashtags(settings, item.region)
    if not extra:
        return style
    tags = tuple(dict.fromkeys((*style.hashtags, *extra)))
    return post_style(style.template, tags, style.urgent_prefix)


def post_content(item: Item, settings: Settings, platform: str) -> tuple[str, str | None]:
    """The text and link of an item's post on ``platform``, from its current details.

    The text and the stored link carry the same tracked link, so reconciliation (which looks
    for the link) finds what was sent.
    """
    link = tracked_link(item.link, platform, item.id, settings) if item.link else None
    style = style_for_item(item, settings, platform)
    text = compose(item, platform, style, link=link)
    if link and (not text or text.isspace()):  # as not text.strip(), without copying it
        # A link too long to fit at all (over X's 4,096-character URL limit, a link counts
        # character by character): the appeal goes out with its words, never as an empty post.
        return compose(replace(item, link=None), platform, style, link=None), None
    return text, link


def plan_posts(
    item: Item,
    settings: Settings,
    now: datetime,
    *,
    platforms: tuple[str, ...] | None = None,
    scheduled_at: datetime | None = None,
    pinned_at: datetime | None = None,
    draft: bool = False,
    round: int = 0,
) -> list[PlannedPost]:
    """One post per platform (and regional page) for a new item; nothing for a closed appeal."""
    if item.is_closed:
        return []
    planned = []
    # The same for every post of the item: the photo, its alt text, the time, the urgency.
    image_url = item.image_url
    alt = alt_text(item) if image_url else None
    when = scheduled_at or now
    priority = priority_of(item.kind, item.urgent)
    status = PostStatus.DRAFT if draft else PostStatus.QUEUED
    for platform in platforms or settings.platforms:
        text, link = post_content(item, settings, platform)
        for target in targets_for(item, settings, platform):
            # By place, in the order of PlannedPost's fields (half the cost of naming them: a
            # first poll plans thousands); the planner's reference test checks each field.
            planned.append(
                PlannedPost(
                    platform,
                    text,
                    when,
                    priority,
                    target,
                    link,
                    image_url,
                    alt,
                    round,
                    status,
                    pinned_at,
                )
            )
    return planned
