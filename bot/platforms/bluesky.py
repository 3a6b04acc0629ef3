"""The Bluesky publisher: the ``atproto`` SDK signed in with a handle and an app password.

The session (an access and a refresh token) is kept in a file beside the database, mode 0600,
so a restart reuses it instead of signing in again (Bluesky allows 30 sign-ins per 5 minutes and
300 a day per account). It is never written to the database or a log: tokens are as good as the
password until they expire. The SDK refreshes the access token itself before it expires; when
the stored session has been revoked the publisher signs in again with the app password once, and
when that is refused too (the app password was revoked) it raises ``AuthExpired``, which pauses
the platform.

Posts carry rich-text facets (links and hashtags, with UTF-8 byte ranges, found by the SDK's
port of Bluesky's own detector), the language from ``POST_LANGUAGE``, and either the photo (an
image embed with its alt text and aspect ratio, re-encoded under Bluesky's 1,000,000-byte blob
limit) or a link card. A post's id is its AT URI (``at://did/app.bsky.feed.post/rkey``).

Every SDK and HTTP failure is turned into one of :mod:`bot.core.errors` by :func:`error_from`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
from atproto import Client, models
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request
from atproto_client.utils.facet_detection import detect_facets
from atproto_core.exceptions import AtProtocolError

from bot.core.errors import (
    AuthExpired,
    OutcomeUnknown,
    PermanentError,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
)
from bot.core.net import NetPolicy
from bot.core.settings import Settings
from bot.platforms.base import Candidate, Metrics, PostRequest, Published, pick_published
from bot.platforms.images import fit_image
from bot.platforms.media import download_image

PLATFORM = "bluesky"
DEFAULT_SERVICE = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
MAX_BLOB_BYTES = 1_000_000
RECENT_POSTS = 100
# When a 429 says nothing about when to come back.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)
# Errors that mean the session (not the password) is no longer good: sign in again.
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthMissing", "AuthRequired"})
_CARD_TITLE_MAX = 300
T = TypeVar("T")
Now = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SessionStore(Protocol):
    """Where the session string lives between runs."""

    def load(self) -> str | None: ...

    def save(self, session: str | None) -> None: ...


class FileSessionStore:
    """The session in a JSON file (mode 0600) that also names the service and handle, so a
    session made on the sandbox is never offered to Bluesky, nor one account's to another."""

    def __init__(self, path: str | Path, service: str, handle: str) -> None:
        self.path = Path(path)
        self.owner = {"service": service, "handle": handle}

    def load(self) -> str | None:
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or any(stored.get(k) != v for k, v in self.owner.items()):
            return None
        session = stored.get("session")
        return session if isinstance(session, str) and session else None

    def save(self, session: str | None) -> None:
        if session is None:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=".bluesky-session.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump({**self.owner, "session": session}, file)
            os.chmod(name, 0o600)
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise


class MemorySessionStore:
    """A session kept in memory only (tests, one-off commands)."""

    def __init__(self) -> None:
        self.session: str | None = None

    def load(self) -> str | None:
        return self.session

    def save(self, session: str | None) -> None:
        self.session = session


def session_path(database_path: str | Path) -> Path:
    """The session file of the bot whose database is ``database_path``."""
    database = Path(database_path)
    return database.with_name(database.name + ".bluesky-session")


# --- pure helpers ----------------------------------------------------------------------------


def facets_for(text: str) -> list[models.AppBskyRichtextFacet.Main]:
    """Link and hashtag facets of ``text`` with UTF-8 byte ranges (Bluesky's own detection).

    Mentions are left out (they need a network lookup of each handle), and so are cashtags: an
    appeal's "$500 reward" is not a ticker.
    """
    kept = []
    for facet in detect_facets(text):
        features = [
            f
            for f in facet.features
            if not (isinstance(f, models.AppBskyRichtextFacet.Tag) and f.tag.startswith("$"))
        ]
        if features:
            kept.append(facet.model_copy(update={"features": features}))
    return kept


def card_title(text: str, link: str) -> str:
    """A link card's title from the post's own words: the text without links and hashtags."""
    words = [w for w in text.split() if w != link and not re.match(r"(https?://|[#＃])", w)]
    title = " ".join(words)
    return title if len(title) <= _CARD_TITLE_MAX else title[: _CARD_TITLE_MAX - 1] + "…"


def parse_at_uri(uri: str) -> tuple[str, str, str]:
    """(repo, collection, rkey) of ``at://repo/collection/rkey``; ValueError otherwise."""
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{uri!r} is not the AT URI of a record")
    return parts[0], parts[1], parts[2]


def post_url(uri: str) -> str:
    """The public bsky.app address of the post ``uri``."""
    repo, _, rkey = parse_at_uri(uri)
    return f"https://bsky.app/profile/{repo}/post/{rkey}"


def _xrpc_error(exc: RequestErrorBase) -> tuple[str, str]:
    content = exc.response.content if exc.response is not None else None
    if isinstance(content, XrpcError):
        return str(content.error or ""), str(content.message or "")
    return "", ""


def is_session_error(exc: BaseException) -> bool:
    """True when a call failed because the session is no longer good (sign in again)."""
    if isinstance(exc, LoginRequiredError):
        return True
    if not isinstance(exc, UnauthorizedError | BadRequestError):
        return False
    name, _ = _xrpc_error(exc)
    return name in SESSION_ERRORS or (isinstance(exc, UnauthorizedError) and not name)


def network_error(exc: httpx.HTTPError, *, creating: bool) -> PublishError:
    """A failure with no answer: creating a post, it may have gone out unless the connection
    was never made."""
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "lost the connection"
    if creating and not never_sent:
        return OutcomeUnknown(PLATFORM, f"Bluesky {kind} after the post was sent")
    return TransientError(PLATFORM, f"Bluesky {kind} ({type(exc).__name__})")


def error_from(
    exc: AtProtocolError, *, creating: bool, now: datetime, gone_means_done: bool = False
) -> PublishError:
    """The :mod:`bot.core.errors` error for one failed SDK call (a pure function).

    ``creating``: the call made a post, so a failure after sending means it may exist
    (``OutcomeUnknown``). ``gone_means_done``: a missing record means it is already deleted.
    """
    if isinstance(exc, RateLimitExceededError):
        retry_at = exc.reset_at or now + DEFAULT_RATE_LIMIT_WAIT
        daily = retry_at - now > timedelta(hours=1)
        return RateLimited(PLATFORM, "Bluesky rate limit reached", retry_at, daily=daily)
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        status = exc.response.status_code
        name, message = _xrpc_error(exc)
        said = f"{name}: {message}".strip(": ") or f"HTTP {status}"
        if status in (401, 403) or name in SESSION_ERRORS or name == "AuthenticationRequired":
            return AuthExpired(PLATFORM, f"Bluesky refused the sign-in: {said}")
        if gone_means_done and (name == "RecordNotFound" or status == 404):
            return RemoteGone(PLATFORM, said)
        if status >= 500 or status in (408, 409):
            return TransientError(PLATFORM, f"Bluesky is having trouble ({status}): {said}")
        return PermanentError(PLATFORM, said)
    if isinstance(exc, NetworkError):  # no answer at all (a timeout is a NetworkError too)
        cause = exc.__cause__
        if isinstance(cause, httpx.HTTPError):
            return network_error(cause, creating=creating)
        kind = "timed out" if isinstance(exc, InvokeTimeoutError) else "lost the connection"
        if creating:
            return OutcomeUnknown(PLATFORM, f"Bluesky {kind} after the post was sent")
        return TransientError(PLATFORM, f"Bluesky {kind}")
    if creating:
        return OutcomeUnknown(
            PLATFORM, f"Bluesky's answer could not be read ({type(exc).__name__})"
        )
    return TransientError(PLATFORM, f"Bluesky's answer could not be read ({type(exc).__name__})")


# --- the publisher ---------------------------------------------------------------------------


class BlueskyPublisher:
    """Publishes to one Bluesky account. Implements :class:`bot.platforms.base.Publisher`."""

    platform = PLATFORM

    def __init__(
        self,
        handle: str,
        app_password: str,
        service_url: str = DEFAULT_SERVICE,
        *,
        language: str = "en",
        live: bool = True,
        timeout: float = 20.0,
        store: SessionStore | None = None,
        now: Now = _utcnow,
        max_download_bytes: int = 20_000_000,
        allow_private_addresses: bool = False,
    ) -> None:
        self.handle = handle.lstrip("@")
        self._password = app_password
        self.service_url = service_url.rstrip("/")
        self.language = language
        self.live = live
        self.timeout = timeout
        self.store = store or MemorySessionStore()
        self.now = now
        self.max_download_bytes = max_download_bytes
        self.client = Client(base_url=self.service_url, request=Request(timeout=timeout))
        self.client.on_session_change(self._session_changed)
        # Photos come from the feed: fetched within bot.core.net's limits and SSRF guard.
        self.allow_private_addresses = allow_private_addresses
        self._did: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> BlueskyPublisher:
        store = FileSessionStore(
            session_path(settings.database_path),
            settings.bluesky_service_url,
            settings.bluesky_handle,
        )
        return cls(
            settings.bluesky_handle,
            settings.bluesky_app_password,
            settings.bluesky_service_url,
            language=settings.post_language,
            live=not settings.sandbox,
            store=store,
            allow_private_addresses=settings.allow_private_addresses,
        )

    def __repr__(self) -> str:
        return f"BlueskyPublisher(handle={self.handle!r}, service_url={self.service_url!r})"

    # --- the Publisher interface -----------------------------------------------------------
    def publish(self, post: PostRequest) -> Published:
        embed: Any = None
        if post.image is not None or post.image_url:
            embed = self._image_embed(post, post.alt_text or "")
        elif post.link:
            embed = models.AppBskyEmbedExternal.Main(
                external=models.AppBskyEmbedExternal.External(
                    uri=post.link, title=card_title(post.text, post.link), description=""
                )
            )
        facets = facets_for(post.text)
        record = models.AppBskyFeedPost.Record(
            text=post.text,
            created_at=self.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            facets=facets or None,
            embed=embed,
            langs=[self.language],
        )
        created = self._call(
            lambda: self.client.app.bsky.feed.post.create(self._me(), record), creating=True
        )
        return Published(created.uri, post_url(created.uri))

    def delete(self, remote_id: str, target: str | None = None) -> None:
        """``RemoteGone`` when the post is already gone: a PDS deletes a missing record without
        complaint, so the record is looked up first."""
        repo, collection, rkey = self._own_record(remote_id)
        self._call(
            lambda: self.client.com.atproto.repo.get_record(
                models.ComAtprotoRepoGetRecord.Params(repo=repo, collection=collection, rkey=rkey)
            ),
            gone_means_done=True,
        )
        self._call(
            lambda: self.client.com.atproto.repo.delete_record(
                models.ComAtprotoRepoDeleteRecord.Data(repo=repo, collection=collection, rkey=rkey)
            )
        )

    def metrics(self, remote_id: str, target: str | None = None) -> Metrics:
        self._own_record(remote_id)
        found = self._call(lambda: self.client.get_posts([remote_id]))
        if not found.posts:
            raise RemoteGone(PLATFORM, f"post {remote_id} no longer exists on Bluesky")
        view = found.posts[0]
        return Metrics(
            shares=view.repost_count or 0,
            quotes=view.quote_count or 0,
            likes=view.like_count or 0,
            replies=view.reply_count or 0,
            impressions=None,
        )

    def find_published(self, post: PostRequest) -> Published | None:
        """The post among the account's last 100 whose whole text, shortened links expanded
        from their facets, is ``post.text`` (see :func:`bot.platforms.base.pick_published`)."""
        if not post.text.strip():
            return None
        did = self._me()
        feed = self._call(
            lambda: self.client.get_author_feed(did, filter="posts_no_replies", limit=RECENT_POSTS)
        )
        candidates = []
        for item in feed.feed:
            view = item.post
            if item.reason is not None or view.author.did != did:
                continue  # a repost of someone else's post
            record = view.record
            candidates.append(
                Candidate(
                    view.uri,
                    post_url(view.uri),
                    _expanded_text(record),
                    created=_when(getattr(record, "created_at", None)),
                )
            )
        return pick_published(post, candidates)

    def check_credentials(self) -> str:
        """Asks Bluesky every time (a paused platform resumes on this answer)."""
        answer = self._call(lambda: self.client.com.atproto.server.get_session())
        return f"@{answer.handle}"

    # --- session ---------------------------------------------------------------------------
    def _session_changed(self, _event: Any, session: Any) -> None:
        self.store.save(session.export())
        self._did = session.did

    def _sign_in(self) -> None:
        """Sign in with the app password; ``AuthExpired`` when Bluesky refuses it."""
        self.store.save(None)
        try:
            self.client.login(self.handle, self._password, fetch_bsky_profile=False)
        except (UnauthorizedError, BadRequestError) as exc:
            name, message = _xrpc_error(exc)
            raise AuthExpired(
                PLATFORM,
                f"Bluesky refused the app password for @{self.handle} ({name or 'refused'}: "
                f"{message}); make a new app password and set BLUESKY_APP_PASSWORD",
            ) from None
        except AtProtocolError as exc:
            raise error_from(exc, creating=False, now=self.now()) from None

    def _ensure_session(self) -> None:
        if self.client._session is not None:  # the SDK's own record of being signed in
            return
        stored = self.store.load()
        if stored:
            try:
                self.client.login(session_string=stored, fetch_bsky_profile=False)
                return
            except (AtProtocolError, ValueError):
                self.store.save(None)  # unreadable: sign in afresh
        self._sign_in()

    def _me(self) -> str:
        self._ensure_session()
        session = self.client._session
        if session is None:
            raise TransientError(PLATFORM, "Bluesky did not say which account signed in")
        return str(session.did)

    def _own_record(self, remote_id: str) -> tuple[str, str, str]:
        try:
            repo, collection, rkey = parse_at_uri(remote_id)
        except ValueError as exc:
            raise PermanentError(PLATFORM, str(exc)) from None
        if collection != POST_COLLECTION:
            raise PermanentError(PLATFORM, f"{remote_id} is not a Bluesky post")
        return repo, collection, rkey

    def _renew(self) -> None:
        """A new session after one was refused: refreshed with the refresh token when that
        still works (no sign-in spent), else signed in again with the app password."""
        try:
            # The SDK refreshes by itself only when its own clock says the token is about to
            # expire; a PDS may refuse it earlier (clock skew, a revoked access token).
            self.client._refresh_and_set_session()
        except AtProtocolError as exc:
            if not is_session_error(exc):
                raise
            self._sign_in()

    def _call(
        self, call: Callable[[], T], *, creating: bool = False, gone_means_done: bool = False
    ) -> T:
        """Run one SDK call, renewing the session once if it was refused."""
        self._ensure_session()
        for attempt in (1, 2):
            try:
                return call()
            except AtProtocolError as exc:
                if attempt == 1 and is_session_error(exc):
                    # Refused before anything was created: safe to renew and try again.
                    try:
                        self._renew()
                    except AtProtocolError as renew_error:
                        raise error_from(renew_error, creating=False, now=self.now()) from None
                    continue
                raise error_from(
                    exc, creating=creating, now=self.now(), gone_means_done=gone_means_done
                ) from None
            except httpx.HTTPError as exc:  # transport failures the SDK passes on unwrapped
                raise network_error(exc, creating=creating) from None
            except ValueError:  # pydantic could not read the answer
                error_type = OutcomeUnknown if creating else TransientError
                raise error_type(
                    PLATFORM, "Bluesky sent an answer that could not be read"
                ) from None
        raise AssertionError("unreachable")

    def _image_embed(self, post: PostRequest, alt: str) -> models.AppBskyEmbedImages.Main:
        """The post's image (a card made here, else its photo downloaded) as an embed."""
        policy = NetPolicy(
            self.timeout, self.max_download_bytes, allow_private=self.allow_private_addresses
        )
        image = post.image or download_image(policy, post.image_url or "", platform=PLATFORM)
        fitted = fit_image(image.data, image.content_type, MAX_BLOB_BYTES, platform=PLATFORM)
        uploaded = self._call(
            lambda: self.client.com.atproto.repo.upload_blob(
                fitted.data, headers={"Content-Type": fitted.content_type}
            )
        )
        return models.AppBskyEmbedImages.Main(
            images=[
                models.AppBskyEmbedImages.Image(
                    alt=alt,
                    image=uploaded.blob,
                    aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(
                        width=fitted.width, height=fitted.height
                    ),
                )
            ]
        )


def _when(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _expanded_text(record: Any) -> str:
    """A record's text with each link facet's (possibly shortened) text replaced by its URI.

    Facets index the UTF-8 bytes of the text, so the replacing is done on bytes, last first.
    """
    raw = str(getattr(record, "text", "") or "").encode()
    links = [
        (facet.index.byte_start, facet.index.byte_end, str(feature.uri))
        for facet in getattr(record, "facets", None) or []
        for feature in facet.features
        if isinstance(feature, models.AppBskyRichtextFacet.Link)
    ]
    for start, end, uri in sorted(links, reverse=True):
        if 0 <= start <= end <= len(raw):
            raw = raw[:start] + uri.encode() + raw[end:]
    return raw.decode(errors="replace")
