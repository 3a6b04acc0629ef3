"""The one small interface every platform client implements: the pipeline never knows which.

A publisher raises only the errors of :mod:`bot.core.errors` (``TransientError``, ``RateLimited``,
``OutcomeUnknown``, ``AuthExpired``, ``PermanentError``, ``DuplicatePost``, ``RemoteGone``), never a
library's own exception, so the failure policy lives in one place (:mod:`bot.sending.publishing`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.platforms.media import Image


@dataclass(frozen=True)
class PostRequest:
    """What to publish: the composed text plus what a platform needs beside it."""

    post_id: int
    text: str
    link: str | None = None
    image_url: str | None = None
    alt_text: str | None = None
    # The image itself, made here (an appeal card): uploaded instead of fetching ``image_url``,
    # which stays set as the photo the card was made from.
    image: Image | None = None
    # Which account or page to post on, for platforms with several (Facebook regional pages).
    # ``None`` means the platform's default.
    target: str | None = None
    # A string the published post is sure to contain, used after a crash to find out whether
    # the post went out (reconciliation). Usually the link, else the start of the text.
    marker: str = ""
    # When this queue entry was made: a remote post older than that cannot be this one (a
    # re-appeal carries the same link as the appeal's first post).
    not_before: datetime | None = None


# Remote clocks and ours may differ a little; a re-appeal is days apart from its first post.
CLOCK_SKEW = timedelta(minutes=2)


def is_same_post(
    post: PostRequest, text: str, links: Iterable[str], created: datetime | None
) -> bool:
    """Whether a post found on the account is ``post`` (crash reconciliation).

    A link marker must appear whole (one of the post's links, or a whole word of its text):
    ``…/appeals/1`` is not ``…/appeals/12``. A remote post made before the queue entry existed
    is never it.
    """
    if not post.marker:
        return False
    if post.not_before and created and created < post.not_before - CLOCK_SKEW:
        return False
    if post.link and post.marker == post.link:
        return post.link in {*links, *text.split()}
    return post.marker in text


@dataclass(frozen=True)
class Published:
    """Where a post landed: the platform's id (needed to delete it) and a public URL."""

    remote_id: str
    url: str


@dataclass(frozen=True)
class Metrics:
    """One reading of how far a post travelled. ``impressions`` is None when the API hides it."""

    shares: int = 0
    quotes: int = 0
    likes: int = 0
    replies: int = 0
    impressions: int | None = None


class Publisher(Protocol):
    """A platform client. Implementations: sandbox, X (tweepy), Facebook (Graph API)."""

    platform: str
    live: bool

    def publish(self, post: PostRequest) -> Published:
        """Publish now; raise a :class:`bot.core.errors.PublishError` subclass on failure."""
        ...

    def delete(self, remote_id: str, target: str | None = None) -> None:
        """Delete a published post; raise ``RemoteGone`` if it is already gone."""
        ...

    def metrics(self, remote_id: str, target: str | None = None) -> Metrics:
        """Read the current counts; raise ``RemoteGone`` if the post was deleted."""
        ...

    def find_published(self, post: PostRequest) -> Published | None:
        """Look among the account's recent posts for ``post.marker`` (crash reconciliation)."""
        ...

    def check_credentials(self) -> str:
        """Call the cheapest authenticated endpoint; return the account's name or raise."""
        ...
