"""The Mastodon publisher: Mastodon.py on any instance, with an application's access token.

Every status is created with an ``Idempotency-Key`` derived from our post id
(:func:`idempotency_key`). Mastodon keeps those keys for an hour and answers a second create with
the same key with the first status instead of making another, so a retry after a timeout or a
crash can never post twice: reconciliation asks the instance again with the same key before it
falls back to scanning the account's recent statuses.

The instance's limits (``GET /api/v2/instance``: characters, characters per URL, image size and
types, alt text length) are read once and kept for :data:`LIMITS_TTL`. A photo is uploaded with
its alt text as ``description``; when the instance answers 202 (still processing) the publisher
waits for it, a bounded number of times, before posting. Statuses are public and carry the
language of ``POST_LANGUAGE``.

Every Mastodon.py failure becomes one of :mod:`bot.core.errors` (:func:`error_from`); the token
only ever travels in the ``Authorization`` header and is scrubbed from any message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from bot.core.errors import (
    AuthExpired,
    OutcomeUnknown,
    PermanentError,
    PhotoUnusable,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
)
from bot.core.net import NetPolicy
from bot.core.settings import Settings
from bot.platforms.base import Candidate, Metrics, PostRequest, Published, pick_published
from bot.platforms.media import download_image
from bot.posts.compose import MASTODON_LIMITS, MastodonLimits, shorten_for_mastodon

PLATFORM = "mastodon"
LIMITS_TTL = timedelta(hours=24)
RECENT_STATUSES = 40  # the most one page of an account's statuses holds
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)
# How often, and how far apart, to ask whether an uploaded image has finished processing.
MEDIA_POLLS = 10
MEDIA_POLL_SECONDS = 1.0
T = TypeVar("T")
Now = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def idempotency_key(post_id: int) -> str:
    """The ``Idempotency-Key`` of our post ``post_id``: the same for every attempt at it."""
    return f"appeal-bot-post-{post_id}"


@dataclass(frozen=True)
class InstanceLimits:
    """What one instance accepts, from ``/api/v2/instance``."""

    text: MastodonLimits
    image_size_limit: int
    image_types: frozenset[str]
    description_limit: int


def limits_from_instance(instance: Any) -> InstanceLimits:
    """Read the limits out of an ``/api/v2/instance`` answer; Mastodon's defaults for any gap."""
    configuration = _get(instance, "configuration") or {}
    statuses = _get(configuration, "statuses") or {}
    media = _get(configuration, "media_attachments") or {}
    types = _get(media, "supported_mime_types") or ()
    return InstanceLimits(
        text=MastodonLimits(
            max_characters=int(_get(statuses, "max_characters") or MASTODON_LIMITS.max_characters),
            url_weight=int(
                _get(statuses, "characters_reserved_per_url") or MASTODON_LIMITS.url_weight
            ),
        ),
        image_size_limit=int(_get(media, "image_size_limit") or 16_777_216),
        image_types=frozenset(str(t) for t in types if str(t).startswith("image/")),
        description_limit=int(_get(media, "description_limit") or 1500),
    )


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else getattr(value, key, None)


def error_from(
    exc: MastodonError,
    *,
    creating: bool,
    now: datetime,
    reset: float | None,
    gone_means_done: bool = False,
) -> PublishError:
    """The :mod:`bot.core.errors` error for one Mastodon.py failure (a pure function).

    ``reset`` is Mastodon.py's ``ratelimit_reset`` (epoch seconds from ``X-RateLimit-Reset``,
    already moved to our clock), read after the failed call.
    """
    if isinstance(exc, MastodonRatelimitError):
        when = datetime.fromtimestamp(reset, UTC) if reset else None
        retry_at = when if when and when > now else now + DEFAULT_RATE_LIMIT_WAIT
        return RateLimited(PLATFORM, "Mastodon rate limit reached", retry_at)
    if isinstance(exc, MastodonNetworkError):
        never_sent = "NewConnectionError" in str(exc) or "ConnectTimeout" in str(exc)
        if creating and not never_sent:
            return OutcomeUnknown(PLATFORM, "Mastodon did not answer after the status was sent")
        return TransientError(PLATFORM, "Mastodon could not be reached")
    args = exc.args
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else 0
    said = (
        str(args[3] if len(args) > 3 and args[3] else (args[0] if args else "")) or f"HTTP {status}"
    )
    if isinstance(exc, MastodonUnauthorizedError) or status == 401:
        return AuthExpired(
            PLATFORM,
            f"Mastodon refused the access token ({said}); make a new one (Preferences >"
            " Development > appeal-bot) and set MASTODON_ACCESS_TOKEN",
        )
    if status == 403:
        return AuthExpired(
            PLATFORM,
            f"Mastodon refused this token the action ({said}); give the application the scopes"
            " the README lists and set the new MASTODON_ACCESS_TOKEN",
        )
    if isinstance(exc, MastodonNotFoundError) or status in (404, 410):
        if gone_means_done:
            return RemoteGone(PLATFORM, said)
        return PermanentError(PLATFORM, said)
    if isinstance(exc, MastodonServerError) or status >= 500:
        return TransientError(PLATFORM, f"Mastodon is having trouble ({status}): {said}")
    if status == 422 and "finished processing" in said:
        return TransientError(PLATFORM, said)
    if isinstance(exc, MastodonAPIError) and not status:
        # An answer Mastodon.py could not read.
        error_type = OutcomeUnknown if creating else TransientError
        return error_type(PLATFORM, "Mastodon sent an answer that could not be read")
    return PermanentError(PLATFORM, said)


class MastodonPublisher:
    """Publishes to one Mastodon account. Implements :class:`bot.platforms.base.Publisher`."""

    platform = PLATFORM

    def __init__(
        self,
        api_base_url: str,
        access_token: str,
        *,
        language: str = "en",
        live: bool = True,
        timeout: float = 20.0,
        now: Now = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        max_download_bytes: int = 20_000_000,
        allow_private_addresses: bool = False,
    ) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self.language = language
        self.live = live
        self.timeout = timeout
        self.now = now
        self.sleep = sleep
        self.max_download_bytes = max_download_bytes
        self._token = access_token
        self.api = Mastodon(
            access_token=access_token,
            api_base_url=self.api_base_url,
            request_timeout=timeout,
            ratelimit_method="throw",
            session=requests.Session(),
            user_agent="appeal-bot",
        )
        # Photos come from the feed: fetched within bot.core.net's limits and SSRF guard.
        self.allow_private_addresses = allow_private_addresses
        self._limits: tuple[InstanceLimits, datetime] | None = None
        self._account_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> MastodonPublisher:
        return cls(
            settings.mastodon_api_base_url,
            settings.mastodon_access_token,
            language=settings.post_language,
            live=not settings.sandbox,
            allow_private_addresses=settings.allow_private_addresses,
        )

    def __repr__(self) -> str:
        return f"MastodonPublisher(api_base_url={self.api_base_url!r}, live={self.live})"

    # --- the Publisher interface -----------------------------------------------------------
    def publish(self, post: PostRequest) -> Published:
        limits = self.limits()
        text = shorten_for_mastodon(post.text, limits.text)
        has_image = post.image is not None or bool(post.image_url)
        media_ids = [self._upload(post, post.alt_text or "", limits)] if has_image else None
        status = self._call(
            lambda: self.api.status_post(
                text,
                media_ids=media_ids,
                visibility="public",
                language=self.language,
                idempotency_key=idempotency_key(post.post_id),
            ),
            creating=True,
        )
        return self._published(status)

    def delete(self, remote_id: str, target: str | None = None) -> None:
        self._call(lambda: self.api.status_delete(remote_id), gone_means_done=True)

    def metrics(self, remote_id: str, target: str | None = None) -> Metrics:
        status = self._call(lambda: self.api.status(remote_id), gone_means_done=True)
        return Metrics(
            shares=int(_get(status, "reblogs_count") or 0),
            quotes=int(_get(status, "quotes_count") or 0),
            likes=int(_get(status, "favourites_count") or 0),
            replies=int(_get(status, "replies_count") or 0),
            impressions=None,
        )

    def find_published(self, post: PostRequest) -> Published | None:
        """The status among the account's last 40 whose whole text is ``post.text`` (see
        :func:`bot.platforms.base.pick_published`).

        The idempotency key does the rest: a status this scan misses (older than 40) is still
        not posted twice within the hour, because a re-send carries the same key.
        """
        if not post.text.strip():
            return None
        account_id = self._me()
        statuses = self._call(
            lambda: self.api.account_statuses(
                account_id, exclude_replies=True, exclude_reblogs=True, limit=RECENT_STATUSES
            )
        )
        by_id = {str(_get(status, "id")): status for status in statuses or []}
        candidates = [
            Candidate(
                status_id,
                status_id,
                _plain_text(str(_get(status, "content") or "")),
                created=_when(_get(status, "created_at")),
            )
            for status_id, status in by_id.items()
        ]
        found = pick_published(post, candidates)
        return None if found is None else self._published(by_id[found.remote_id])

    def check_credentials(self) -> str:
        """Asks the instance every time (a paused platform resumes on this answer)."""
        self._account_id = None
        account = self._call(self.api.account_verify_credentials)
        self._account_id = str(_get(account, "id"))
        host = self.api_base_url.split("://", 1)[-1]
        return f"@{_get(account, 'acct')}@{host}"

    # --- helpers ---------------------------------------------------------------------------
    def limits(self) -> InstanceLimits:
        """The instance's limits, read at most once per :data:`LIMITS_TTL`."""
        now = self.now()
        if self._limits is None or now - self._limits[1] > LIMITS_TTL:
            self._limits = (limits_from_instance(self._call(self.api.instance_v2)), now)
        return self._limits[0]

    def _me(self) -> str:
        if self._account_id is None:
            account = self._call(self.api.account_verify_credentials)
            self._account_id = str(_get(account, "id"))
        return self._account_id

    def _upload(self, post: PostRequest, alt: str, limits: InstanceLimits) -> str:
        """Upload the post's image (a card made here, else its photo downloaded)."""
        policy = NetPolicy(
            self.timeout, limits.image_size_limit, allow_private=self.allow_private_addresses
        )
        image = post.image or download_image(policy, post.image_url or "", platform=PLATFORM)
        if len(image.data) > limits.image_size_limit:
            raise PhotoUnusable(
                PLATFORM,
                f"the image is over this instance's limit of {limits.image_size_limit:,} bytes",
            )
        if limits.image_types and image.content_type not in limits.image_types:
            raise PermanentError(
                PLATFORM, f"this instance does not take {image.content_type} images"
            )
        media = self._call(
            lambda: self.api.media_post(
                image.data,
                mime_type=image.content_type,
                description=alt[: limits.description_limit],
            )
        )
        media_id = str(_get(media, "id"))
        for _ in range(MEDIA_POLLS):
            if _get(media, "url"):
                return media_id
            self.sleep(MEDIA_POLL_SECONDS)
            media = self._call(lambda: self.api.media(media_id))
        if _get(media, "url"):
            return media_id
        raise TransientError(PLATFORM, "Mastodon is still processing the photo; trying again later")

    def _published(self, status: Any) -> Published:
        remote_id = str(_get(status, "id") or "")
        if not remote_id:
            raise OutcomeUnknown(PLATFORM, "Mastodon accepted the status but did not say its id")
        url = str(
            _get(status, "url")
            or _get(status, "uri")
            or f"{self.api_base_url}/statuses/{remote_id}"
        )
        return Published(remote_id, url)

    def _call(
        self, call: Callable[[], T], *, creating: bool = False, gone_means_done: bool = False
    ) -> T:
        try:
            return call()
        except MastodonError as exc:
            error = error_from(
                exc,
                creating=creating,
                now=self.now(),
                reset=self.api.ratelimit_reset,
                gone_means_done=gone_means_done,
            )
        if self._token and self._token in error.message:
            error.message = error.message.replace(self._token, "***")
            error.args = (f"{error.platform}: {error.message}",)
        raise error


def _plain_text(html: str) -> str:
    """A status's HTML content as text, links as their addresses (for matching the marker)."""
    import html as html_lib
    import re

    text = re.sub(r"<br\s*/?>|</p><p>", "\n", html)
    text = re.sub(r'<a [^>]*href="([^"]+)"[^>]*>.*?</a>', r"\1", text)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", text))


def _links(html: str) -> list[str]:
    import html as html_lib
    import re

    return [html_lib.unescape(u) for u in re.findall(r'<a [^>]*href="([^"]+)"', html)]


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
