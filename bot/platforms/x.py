"""The X publisher: tweepy's v2 client with OAuth 1.0a user context, X's errors made ours.

tweepy 4.17 hard-codes ``https://api.twitter.com`` as its host. To reach the fake X (or any
other base URL) without patching tweepy, a transport adapter mounted on the client's own
``requests`` session rewrites each request's URL just before it is sent, after tweepy's OAuth
signature was computed for the public URL; the same adapter applies the timeout, which tweepy
never sets. Media upload, which tweepy's v2 client lacks, goes through the same session and is
signed by tweepy's own OAuth 1.0a handler.

Every tweepy and requests exception is turned into one of :mod:`bot.core.errors`, whose text holds
X's own explanation and never a credential.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
import tweepy
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response
from requests.utils import get_environ_proxies

from bot.core.errors import (
    OutcomeUnknown,
    PermanentError,
    PermissionMissing,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
)
from bot.core.net import NetPolicy
from bot.core.settings import Settings
from bot.platforms.base import Candidate, Metrics, PostRequest, Published, pick_published
from bot.platforms.error_table import Call, find_rule, rule_named, to_error
from bot.platforms.media import Image, download_image

PLATFORM = "x"
# The hosts tweepy 4.17 sends to (client.py hard-codes the first); both are redirected.
TWEEPY_HOST = "https://api.twitter.com"
X_HOST = "https://api.x.com"
MAX_ALT_TEXT = 1000  # the spec's maxLength for alt text
T = TypeVar("T")


class RedirectAdapter(HTTPAdapter):
    """Sends requests meant for X's public hosts to ``base_url`` instead, with a timeout.

    Mounted on a session for ``https://api.twitter.com/`` and ``https://api.x.com/``. The URL is
    rewritten after authentication, so OAuth signatures still name the public URL, as X expects.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        url = request.url or ""
        for host in (TWEEPY_HOST, X_HOST):
            if url.startswith(host + "/"):
                request.url = self.base_url + url[len(host) :]
                # Proxy choice follows the real destination, not the public host.
                kwargs["proxies"] = get_environ_proxies(request.url)
                break
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, *args, **kwargs)


class XPublisher:
    """Publishes to one X account. Implements :class:`bot.platforms.base.Publisher`."""

    platform = PLATFORM

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        access_token: str,
        access_token_secret: str,
        base_url: str = X_HOST,
        live: bool = True,
        timeout: float = 20.0,
        max_image_bytes: int = 5_000_000,
        allow_private_addresses: bool = False,
    ) -> None:
        self.live = live
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_image_bytes = max_image_bytes
        self._secrets = tuple(
            s for s in (api_key, api_secret, access_token, access_token_secret) if s
        )
        self._oauth = tweepy.OAuth1UserHandler(
            api_key, api_secret, access_token, access_token_secret
        )
        self.client = tweepy.Client(
            consumer_key=api_key,
            consumer_secret=api_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
        )
        adapter = RedirectAdapter(self.base_url, timeout)
        for host in (TWEEPY_HOST, X_HOST):
            self.client.session.mount(host + "/", adapter)
        # Photos come from the feed, so from anywhere: fetched within bot.core.net's limits
        # (the loopback fakes need ALLOW_PRIVATE_ADDRESSES), never through the X adapter.
        self.photo_policy = NetPolicy(
            timeout, max_image_bytes, allow_private=allow_private_addresses
        )
        self._username: str | None = None
        self._user_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> XPublisher:
        return cls(
            settings.x_api_key,
            settings.x_api_secret,
            settings.x_access_token,
            settings.x_access_token_secret,
            base_url=settings.x_api_base_url,
            live=not settings.sandbox,
            allow_private_addresses=settings.allow_private_addresses,
        )

    def __repr__(self) -> str:
        return f"XPublisher(base_url={self.base_url!r}, live={self.live})"

    # --- the Publisher interface -------------------------------------------------------------
    def publish(self, post: PostRequest) -> Published:
        media_ids: list[str] = []
        if post.image is not None:
            media_ids.append(self._upload(post.image, post.alt_text))
        elif post.image_url:
            image = download_image(self.photo_policy, post.image_url, platform=PLATFORM)
            media_ids.append(self._upload(image, post.alt_text))
        response = self._call(
            lambda: self.client.create_tweet(
                text=post.text, media_ids=media_ids or None, user_auth=True
            ),
            creating=True,
        )
        data = response.data if isinstance(response.data, dict) else {}
        remote_id = str(data.get("id") or "")
        if not remote_id:
            raise OutcomeUnknown(PLATFORM, "X accepted the post but did not say its id")
        return Published(remote_id, status_url(remote_id))

    def delete(self, remote_id: str, target: str | None = None) -> None:
        response = self._call(lambda: self.client.delete_tweet(remote_id, user_auth=True))
        self._raise_for_lookup_errors(response, remote_id)
        data = response.data if isinstance(response.data, dict) else {}
        if not data.get("deleted"):
            raise PermanentError(PLATFORM, f"X did not delete post {remote_id}")

    def metrics(self, remote_id: str, target: str | None = None) -> Metrics:
        response = self._call(
            lambda: self.client.get_tweet(
                remote_id, tweet_fields=["public_metrics"], user_auth=True
            )
        )
        self._raise_for_lookup_errors(response, remote_id)
        counts: dict[str, Any] = _raw(response.data).get("public_metrics") or {}
        shares = counts.get("retweet_count", counts.get("repost_count", 0))
        impressions = counts.get("impression_count")
        return Metrics(
            shares=int(shares or 0),
            quotes=int(counts.get("quote_count") or 0),
            likes=int(counts.get("like_count") or 0),
            replies=int(counts.get("reply_count") or 0),
            impressions=None if impressions is None else int(impressions),
        )

    def find_published(self, post: PostRequest) -> Published | None:
        """The post among the account's last 100 whose whole text, t.co links expanded, is
        ``post.text`` (see :func:`bot.platforms.base.pick_published`)."""
        if not post.text.strip():
            return None
        user_id = self._me()
        response = self._call(
            lambda: self.client.get_users_tweets(
                user_id,
                max_results=100,
                tweet_fields=["entities", "created_at"],
                user_auth=True,
            )
        )
        candidates = [
            Candidate(
                str(raw["id"]),
                status_url(str(raw["id"])),
                expanded_text(raw),
                created=_when(raw.get("created_at")),
            )
            for raw in map(_raw, response.data or [])
            if raw.get("id")
        ]
        return pick_published(post, candidates)

    def check_credentials(self) -> str:
        """Who the token signs in as, and whether it may post (X's ``x-access-level`` header).

        Always asks X: a paused platform resumes on this answer, so a remembered one from
        before the token was revoked would resume posting with credentials that no longer work.
        Raises ``AuthExpired`` for refused credentials, ``PermissionMissing`` for a read-only app.
        """
        self._user_id = None
        auth = self._oauth.apply_auth()
        response = self._call(
            lambda: self._checked_response(
                self.client.session.get(TWEEPY_HOST + "/2/users/me", auth=auth)
            ),
            kind="check",
        )
        raw = _raw(response.json().get("data"))
        if not raw.get("id"):
            raise TransientError(PLATFORM, "X did not say which account the token belongs to")
        self._user_id, self._username = str(raw["id"]), str(raw.get("username", ""))
        level = response.headers.get("x-access-level", "")
        if level and "write" not in level:
            raise PermissionMissing(
                PLATFORM,
                f"the X app may only read (access level {level!r}): it cannot post",
                missing=["write"],
                fix=rule_named("x_oauth1_permissions").fix,
            )
        return f"@{self._username}"

    # --- helpers -----------------------------------------------------------------------------
    def _me(self) -> str:
        """The account's user id, asked once; the username is kept for ``check_credentials``."""
        if self._user_id is None:
            response = self._call(lambda: self.client.get_me(user_auth=True), kind="check")
            raw = _raw(response.data)
            if not raw.get("id"):
                raise TransientError(PLATFORM, "X did not say which account the token belongs to")
            self._user_id, self._username = str(raw["id"]), str(raw.get("username", ""))
        return self._user_id

    def _upload(self, image: Image, alt_text: str | None) -> str:
        auth = self._oauth.apply_auth()
        uploaded = self._call(
            lambda: self._checked(
                self.client.session.post(
                    TWEEPY_HOST + "/2/media/upload",
                    files={"media": ("image", image.data, image.content_type)},
                    data={"media_category": "tweet_image"},
                    auth=auth,
                )
            ),
            kind="media",
        )
        media_id = str(_raw(uploaded.get("data")).get("id") or "")
        if not media_id:
            raise TransientError(PLATFORM, "X accepted the image but did not say its id")
        if alt_text:
            body = {"id": media_id, "metadata": {"alt_text": {"text": alt_text[:MAX_ALT_TEXT]}}}
            self._call(
                lambda: self._checked(
                    self.client.session.post(
                        TWEEPY_HOST + "/2/media/metadata", json=body, auth=auth
                    )
                ),
                kind="media",
            )
        return media_id

    @staticmethod
    def _checked_response(response: Response) -> Response:
        """A call made outside tweepy, or tweepy's exception for its status."""
        if response.status_code >= 400:
            raise tweepy.HTTPException(response)
        return response

    @staticmethod
    def _checked(response: Response) -> dict[str, Any]:
        """The JSON of a call made outside tweepy, or tweepy's exception for its status."""
        if response.status_code >= 400:
            raise tweepy.HTTPException(response)
        body: dict[str, Any] = response.json()
        return body

    def _call(self, call: Callable[[], T], creating: bool = False, kind: Call | None = None) -> T:
        """Run one API call; translate every failure into a :mod:`bot.core.errors` error."""
        try:
            return call()
        except tweepy.HTTPException as exc:
            raise self._scrubbed(error_from_response(exc.response, creating, kind)) from None
        except requests.RequestException as exc:
            raise self._scrubbed(network_error(exc, creating)) from None
        except ValueError:  # a body that is not JSON
            error_type = OutcomeUnknown if creating else TransientError
            raise error_type(PLATFORM, "X sent an answer that is not JSON") from None
        except tweepy.TweepyException as exc:
            raise TransientError(PLATFORM, f"tweepy failed ({type(exc).__name__})") from None

    def _scrubbed(self, error: PublishError) -> PublishError:
        """The same error with any credential blanked out of its text (belt and braces)."""
        message = error.message
        for secret in self._secrets:
            message = message.replace(secret, "***")
        if message != error.message:
            error.message = message
            error.args = (f"{error.platform}: {message}",)
        return error

    @staticmethod
    def _raise_for_lookup_errors(response: Any, remote_id: str) -> None:
        """X answers a lookup of a missing post with 200 and ``errors``: that is ``RemoteGone``."""
        if response.data is not None:
            return
        errors = [e for e in response.errors or [] if isinstance(e, dict)]
        if any(str(e.get("type", "")).endswith("/resource-not-found") for e in errors):
            raise RemoteGone(PLATFORM, f"post {remote_id} no longer exists on X")
        if errors:
            raise PermanentError(PLATFORM, _messages(errors) or "X returned errors and no data")


def status_url(remote_id: str) -> str:
    """The public address of a post; ``/i/status/`` works without knowing the username."""
    return f"https://x.com/i/status/{remote_id}"


def _raw(value: Any) -> dict[str, Any]:
    """The plain dict behind a tweepy model (``Tweet``, ``User``) or a dict itself."""
    if isinstance(value, dict):
        return value
    data = getattr(value, "data", None)
    return data if isinstance(data, dict) else {}


def _when(value: Any) -> datetime | None:
    """X's created_at ("2026-11-25T10:00:00.000Z"), or None when absent or unreadable."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def expanded_text(tweet: Mapping[str, Any]) -> str:
    """A post's text as we sent it: each t.co link replaced by the URL it stands for.

    X escapes ``&``, ``<`` and ``>`` in the text it returns, and appends a t.co link to an
    attached photo (an entity with a ``media_key``), which we never wrote: that one is dropped.
    """
    text = html.unescape(str(tweet.get("text", "")))
    for url in (tweet.get("entities") or {}).get("urls") or []:
        short = url.get("url")
        if not short:
            continue
        if url.get("media_key"):
            text = text.replace(short, "")
        elif url.get("expanded_url"):
            text = text.replace(short, url["expanded_url"])
    return text


def _messages(errors: list[Any]) -> str:
    parts = []
    for error in errors:
        if isinstance(error, dict):
            parts.append(str(error.get("message") or error.get("detail") or error.get("title")))
        else:
            parts.append(str(error))
    return "; ".join(p for p in parts if p and p != "None")


def _epoch(value: str | None) -> datetime | None:
    """A reset header's Unix time; None unless it is ASCII digits a datetime can hold."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()):  # isdigit alone takes "²", int() does not
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def error_from_response(
    response: Any, creating: bool = False, call: Call | None = None
) -> PublishError:
    """The :mod:`bot.core.errors` error for an HTTP error answer from X (a pure function).

    The answer is looked up in :mod:`bot.platforms.error_table` by status, problem type, code
    and words. ``call`` says which call answered (``"media"`` for an upload, ``"lookup"`` for a
    delete or metrics read); without it, a create is a ``"post"`` and anything else a lookup.
    A 429 waits for X's reset headers: the 24-hour post cap's when that is what ran out.
    """
    call = call or ("post" if creating else "lookup")
    status = int(getattr(response, "status_code", 0))
    headers = getattr(response, "headers", {}) or {}
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    message = _messages(errors) or str(body.get("detail") or "")
    message = message or f"HTTP {status} {getattr(response, 'reason', '') or ''}".strip()
    problem = str(body.get("type") or "") or next(
        (str(e.get("type")) for e in errors if e.get("type")), ""
    )
    codes = (str(e.get("code", "")) for e in errors)
    code = next((int(c) for c in codes if c.isascii() and c.isdigit()), None)
    words = " ".join([message, str(body.get("detail") or "")])
    rule = find_rule(PLATFORM, status, code=code, problem=problem, message=words, call=call)
    now = datetime.now(UTC)
    if status == 429 and (rule is None or rule.name == "x_rate_limited"):
        daily_headers = ("x-user-limit-24hour-remaining", "x-app-limit-24hour-remaining")
        exhausted = [h for h in daily_headers if headers.get(h) == "0"]
        if exhausted:
            resets = [_epoch(headers.get(h.replace("remaining", "reset"))) for h in exhausted]
            retry_at = max((r for r in resets if r), default=None)
            return RateLimited(PLATFORM, f"daily post cap reached: {message}", retry_at, daily=True)
        retry_at = _epoch(headers.get("x-rate-limit-reset"))
        return to_error(rule, PLATFORM, f"rate limited: {message}", now, retry_at)
    if status == 401:
        message = f"X refused the credentials: {message}"
    elif rule is not None and rule.outcome == "pause":
        message = f"X refused to let this app post: {message}"
    elif status >= 500:
        message = f"X is having trouble ({status}): {message}"
    return to_error(rule, PLATFORM, message, now, server_error=status >= 500)


def network_error(exc: requests.RequestException, creating: bool) -> PublishError:
    """A failure with no answer. Creating a post, it may have gone out: ``OutcomeUnknown``.

    A refused or timed-out connection never carried the request, so it is plain ``TransientError``
    even when creating.
    """
    kind = "timed out" if isinstance(exc, requests.Timeout) else "lost the connection"
    never_sent = isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc.args)
    )
    if creating and not never_sent:
        return OutcomeUnknown(
            PLATFORM,
            f"X {kind} after the post was sent; it may have gone out ({type(exc).__name__})",
        )
    return TransientError(PLATFORM, f"X {kind} ({type(exc).__name__})")
