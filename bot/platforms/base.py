"""The one small interface every platform client implements: the pipeline never knows which.

A publisher raises only the errors of :mod:`bot.core.errors` (``TransientError``, ``RateLimited``,
``OutcomeUnknown``, ``AuthExpired``, ``PermanentError``, ``DuplicatePost``, ``RemoteGone``), never a
library's own exception, so the failure policy lives in one place (:mod:`bot.sending.publishing`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.platforms.media import Image

log = logging.getLogger("appeal_bot")


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
    # A hint for platforms whose search can be narrowed (usually the link). Never the identity:
    # two appeals may share a link (a police force's page), so a post is matched by its whole
    # text (:func:`is_same_post`).
    marker: str = ""
    # When this queue entry was made: a remote post older than that cannot be this one (a
    # re-appeal carries the same link as the appeal's first post).
    not_before: datetime | None = None
    # Remote ids our other posts already own on this platform: a remote post one of them owns
    # is never this one, whatever its text (set by the sender for crash reconciliation).
    taken: frozenset[str] = frozenset()


# Remote clocks and ours may differ a little; a re-appeal is days apart from its first post.
CLOCK_SKEW = timedelta(minutes=2)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def _canonical_url(match: re.Match[str]) -> str:
    """A link as platforms may give it back: any scheme, host case, a bare host's slash."""
    url = match.group().rstrip("/")
    rest = url.partition("://")[2]
    host, slash, path = rest.partition("/")
    return f"{host.lower()}{slash}{path}"


def comparable_text(text: str) -> str:
    """A post's text reduced to what survives a platform's round trip (shape: one line).

    Platforms normalise Unicode and whitespace and may give a link back with another scheme
    case or without a bare host's trailing slash; everything else must be equal.
    """
    text = unicodedata.normalize("NFC", text)
    return " ".join(_URL.sub(_canonical_url, text).split())


def is_same_post(
    post: PostRequest, text: str, links: Iterable[str], created: datetime | None
) -> bool:
    """Whether a post found on the account is ``post`` (crash reconciliation).

    ``text`` is the remote post's whole text with shortened links expanded (t.co → the URL
    we sent). Only the whole text identifies a post: two appeals can share a link, and a link
    alone once matched appeal A's post for appeal B, whose withdrawal then deleted A's (issue
    11). A remote post made before the queue entry existed is never it. ``links`` is unused
    for identity and kept for implementations that pass a link-only post's attachment.
    """
    del links
    if not post.text.strip():
        return False
    if post.not_before and created and created < post.not_before - CLOCK_SKEW:
        return False
    return comparable_text(text) == comparable_text(post.text)


@dataclass(frozen=True)
class Candidate:
    """One recent post on the account, as the platform returned it."""

    remote_id: str
    url: str
    text: str
    links: tuple[str, ...] = ()
    created: datetime | None = None


def pick_published(post: PostRequest, candidates: Iterable[Candidate]) -> Published | None:
    """The one remote post that is ``post``, or None when there is none or it cannot tell.

    A candidate another of our posts owns (``post.taken``) is skipped. Two matches left means
    guessing, and a wrong guess records someone else's post as ours (its withdrawal would
    delete it): None then, so the post counts as not sent and the platform's own duplicate
    check is the net. Logged either way.
    """
    matches = []
    for candidate in candidates:
        if not is_same_post(post, candidate.text, candidate.links, candidate.created):
            continue
        if candidate.remote_id in post.taken:
            log.info(
                "reconcile post %s: remote post %s has its text but is another post's",
                post.post_id,
                candidate.remote_id,
            )
            continue
        matches.append(candidate)
    if len(matches) > 1:
        log.warning(
            "reconcile post %s: %d remote posts have its text (%s); not guessing, treated as"
            " not sent",
            post.post_id,
            len(matches),
            ", ".join(m.remote_id for m in matches),
        )
        return None
    if not matches:
        return None
    return Published(matches[0].remote_id, matches[0].url)


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
        """The account's recent post that is ``post`` (crash reconciliation), or None.

        Implementations pass the recent posts to :func:`pick_published`.
        """
        ...

    def check_credentials(self) -> str:
        """Call the cheapest authenticated endpoint; return the account's name or raise."""
        ...
