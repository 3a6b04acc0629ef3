"""The Facebook Pages client: the Graph API over plain ``requests``, one page access token a page.

Tokens travel only in the ``Authorization: OAuth`` header, never in a URL, because ``requests``
puts URLs into its exception messages and those end up in logs. Every failure is turned into one
of :mod:`bot.core.errors` by :func:`classify_error`, a pure function of the response and a
clock, and every message is scrubbed of the tokens before it is raised.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bot.core.errors import (
    AuthExpired,
    ConfigError,
    OutcomeUnknown,
    PermanentError,
    PermissionMissing,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
)
from bot.core.settings import FacebookPage, Settings
from bot.platforms.base import Candidate, Metrics, PostRequest, Published, pick_published
from bot.platforms.error_table import FB_NEW_TOKEN, Call, find_rule, to_error

PLATFORM = "facebook"
# Graph's throttling codes beyond the error table's rows: the business use case range (80000-80014).
RATE_LIMIT_CODES = frozenset(range(80000, 80015))
# When Graph throttles without saying for how long. App usage is a rolling one-hour window, so
# waiting a quarter of it when usage is at 100% lets enough of it roll off.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)
FULL_APP_USAGE_WAIT = timedelta(minutes=15)
RECENT_POSTS_LIMIT = 50
# What posting, deleting and reading share counts need of a Page access token.
REQUIRED_PERMISSIONS = ("pages_manage_posts", "pages_read_engagement")
METRICS_FIELDS = (
    "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
)
# PagePost has no ``link`` field since Graph v3.3: a link post's URL is in its attachments.
RECENT_POSTS_FIELDS = "id,message,permalink_url,created_time,attachments{url,unshimmed_url}"

Now = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (Graph may echo what it was sent)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def rate_limit_retry_at(headers: Mapping[str, str], now: datetime) -> datetime:
    """When to try again after a throttling error, from Graph's usage headers.

    ``X-Business-Use-Case-Usage`` gives ``estimated_time_to_regain_access`` in minutes (the
    largest across its entries wins); ``Retry-After`` (seconds) is honoured on an HTTP 429; an
    ``X-App-Usage`` at 100% means waiting for the rolling window; anything else a short default.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    minutes = 0.0
    try:
        usage = json.loads(lowered.get("x-business-use-case-usage", "") or "{}")
        for entries in usage.values() if isinstance(usage, dict) else ():
            for entry in entries if isinstance(entries, list) else ():
                minutes = max(minutes, float(entry.get("estimated_time_to_regain_access") or 0))
    except (ValueError, TypeError, AttributeError):
        minutes = 0.0
    if minutes > 0:
        return now + timedelta(minutes=minutes)
    retry_after = lowered.get("retry-after", "").strip()
    if retry_after.isascii() and retry_after.isdigit():  # isdigit alone takes "²", int() does not
        return now + timedelta(seconds=int(retry_after))
    try:
        app = json.loads(lowered.get("x-app-usage", "") or "{}")
        peak = max((float(v) for v in app.values()), default=0.0) if isinstance(app, dict) else 0.0
    except (ValueError, TypeError):
        peak = 0.0
    return now + (FULL_APP_USAGE_WAIT if peak >= 100 else DEFAULT_RATE_LIMIT_WAIT)


def classify_error(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    now: datetime,
    gone_means_done: bool = False,
    secrets: Iterable[str] = (),
    call: Call | None = None,
) -> PublishError:
    """Turn one failed Graph answer into the :mod:`bot.core.errors` exception the pipeline acts on.

    The answer is looked up in :mod:`bot.platforms.error_table` (Meta's documented codes and
    subcodes). ``call`` says which call answered (``"photo"`` for ``/photos``, ``"lookup"`` for a
    delete or metrics read); ``gone_means_done`` is the older spelling of ``call="lookup"``.
    On a publish, "object does not exist" means the page id is wrong; on a lookup, the post is gone.
    """
    call = call or ("lookup" if gone_means_done else "post")
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        text = body if isinstance(body, str) else json.dumps(body)[:200] if body else ""
        message = scrub(f"HTTP {status} {text}".strip(), secrets)
        if status == 429:
            return RateLimited(PLATFORM, message, rate_limit_retry_at(headers, now))
        if status == 404 and call == "lookup":
            return RemoteGone(PLATFORM, message)
        return to_error(None, PLATFORM, message, now, server_error=status >= 500)
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    detail = f"code {code}" + (f"/{subcode}" if subcode is not None else "")
    words = str(error.get("message") or "Graph API error")
    user_words = str(error.get("error_user_msg") or "")
    if user_words and user_words not in words:
        words = f"{words} {user_words}"
    message = scrub(f"{words} ({detail})", secrets)
    rule = find_rule(PLATFORM, status, code=code, subcode=subcode, message=words, call=call)
    if rule is None and subcode is not None:
        # Meta lists the authentication subcodes on their own: one names the fix whatever code.
        by_subcode = find_rule(PLATFORM, status, code=190, subcode=subcode, call=call)
        rule = by_subcode if by_subcode and by_subcode.subcode == subcode else None
    if rule is None and status == 404 and call == "lookup":
        return RemoteGone(PLATFORM, message)
    if rule is None and (status == 429 or code in RATE_LIMIT_CODES):
        return RateLimited(PLATFORM, message, rate_limit_retry_at(headers, now))
    if rule is None and error.get("is_transient") is True:
        return TransientError(PLATFORM, message)
    if rule is not None and rule.outcome == "hold" and rule.wait is None:
        # Graph's usage headers say when access comes back.
        return to_error(rule, PLATFORM, message, now, rate_limit_retry_at(headers, now))
    return to_error(rule, PLATFORM, message, now, server_error=status >= 500)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _nothing_sent(error: requests.RequestException) -> bool:
    """True when the request surely never reached Graph (refused or timed out connecting)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return type(reason).__name__ in ("NewConnectionError", "NameResolutionError")


class FacebookPublisher:
    """Posts to one or more Facebook Pages (the main page and regional ones), each with its token.

    ``post.target`` names the page by id (or by region); ``None`` means the first page.
    """

    platform = PLATFORM

    def __init__(
        self,
        pages: Sequence[FacebookPage],
        graph_url: str = "https://graph.facebook.com",
        api_version: str = "v24.0",
        live: bool = True,
        timeout: float = 20.0,
        session: requests.Session | None = None,
        now: Now = _utcnow,
    ) -> None:
        if not pages:
            raise ConfigError("FACEBOOK_PAGE_ID", "no Facebook page is configured")
        self.pages = tuple(pages)
        self.base_url = f"{graph_url.rstrip('/')}/{api_version}"
        self.live = live
        self.timeout = timeout
        self.session = session or requests.Session()
        self.now = now
        self._secrets = tuple(page.token for page in self.pages if page.token)

    @classmethod
    def from_settings(
        cls, settings: Settings, session: requests.Session | None = None
    ) -> FacebookPublisher:
        """The publisher the settings describe; ``SANDBOX=1`` marks it not live."""
        return cls(
            settings.facebook_pages,
            graph_url=settings.facebook_graph_url,
            api_version=settings.facebook_api_version,
            live=not settings.sandbox,
            session=session,
        )

    # --- the Publisher protocol ------------------------------------------------------------
    def publish(self, post: PostRequest) -> Published:
        """Photo posts go to ``/photos`` (with alt text), link and text posts to ``/feed``."""
        page = self._page(post.target)
        if post.image is not None or post.image_url:
            # A card made here is uploaded as the file ("source"); a photo on the charity's
            # site is fetched by Facebook from its address.
            data = {} if post.image is not None else {"url": post.image_url or ""}
            if post.text:
                data["message"] = post.text
            if post.alt_text:
                data["alt_text_custom"] = post.alt_text
            files = None
            if post.image is not None:
                files = {"source": ("card", post.image.data, post.image.content_type)}
            body = self._call(
                "POST", f"{page.page_id}/photos", page, data=data, files=files, call="photo"
            )
            remote_id = str(body.get("post_id") or body.get("id") or "")
        else:
            data = {"message": post.text}
            if post.link:
                data["link"] = post.link
            body = self._call("POST", f"{page.page_id}/feed", page, data=data)
            remote_id = str(body.get("id") or "")
        if not remote_id:
            raise OutcomeUnknown(PLATFORM, "Graph accepted the post but returned no id")
        return Published(remote_id, f"https://www.facebook.com/{remote_id}")

    def delete(self, remote_id: str, target: str | None = None) -> None:
        """Delete with the token of the page the id belongs to; ``RemoteGone`` if already gone."""
        page = self._page_of(remote_id, target)
        body = self._call("DELETE", remote_id, page, call="lookup")
        if body.get("success") is False:
            # Graph answered but did not delete: the post is still up, so try again later.
            raise TransientError(PLATFORM, f"Facebook did not delete post {remote_id}")

    def metrics(self, remote_id: str, target: str | None = None) -> Metrics:
        """Shares, reactions and comments; Graph leaves ``shares`` out while it is zero."""
        page = self._page_of(remote_id, target)
        body = self._call("GET", remote_id, page, params={"fields": METRICS_FIELDS}, call="lookup")
        shares = body.get("shares") or {}
        return Metrics(
            shares=_int(shares.get("count") if isinstance(shares, dict) else None) or 0,
            likes=_summary_total(body.get("reactions")),
            replies=_summary_total(body.get("comments")),
            quotes=0,
            impressions=None,
        )

    def find_published(self, post: PostRequest) -> Published | None:
        """The page's recent post whose message is ``post.text`` (see
        :func:`bot.platforms.base.pick_published`)."""
        if not post.text.strip():
            return None
        page = self._page(post.target)
        body = self._call(
            "GET",
            f"{page.page_id}/posts",
            page,
            params={"fields": RECENT_POSTS_FIELDS, "limit": str(RECENT_POSTS_LIMIT)},
        )
        candidates = [
            Candidate(
                str(item["id"]),
                str(item.get("permalink_url") or f"https://www.facebook.com/{item['id']}"),
                str(item.get("message") or ""),
                created=_graph_when(item.get("created_time")),
            )
            for item in body.get("data") or []
            if item.get("id")
        ]
        return pick_published(post, candidates)

    def check_credentials(self) -> str:
        """Ask Graph about each page's token: it must work, be this page's, and carry
        :data:`REQUIRED_PERMISSIONS` (``GET /debug_token``, which says what a token may do).

        Raises ``AuthExpired`` for a refused token, ``PermissionMissing`` naming the missing
        permission (or the other page the token is for); both name the failing page.
        """
        names = []
        for page in self.pages:
            try:
                body = self._call(
                    "GET", page.page_id, page, params={"fields": "name"}, call="check"
                )
            except AuthExpired as error:
                raise AuthExpired(
                    PLATFORM, f"page {page.page_id}: token refused: {error.message}", error.fix
                ) from None
            self._check_permissions(page)
            name = str(body.get("name") or page.page_id)
            names.append(f"{name} ({page.region})" if page.region else name)
        return ", ".join(names)

    def _check_permissions(self, page: FacebookPage) -> None:
        """Raise when Graph says the page's token cannot post there; pass when it cannot say."""
        try:
            body = self._call(
                "GET", "debug_token", page, params={"input_token": page.token}, call="check"
            )
        except AuthExpired:
            raise
        except PublishError:
            return  # Graph would not say (an outage, an app without access to debug_token)
        data: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else {}
        where = f"page {page.page_id}"
        if data.get("is_valid") is False:
            problem = (data.get("error") or {}).get("message") or "the token is not valid"
            raise AuthExpired(PLATFORM, f"{where}: token refused: {problem}", FB_NEW_TOKEN)
        profile = str(data.get("profile_id") or "")
        if profile and profile != page.page_id:
            raise PermissionMissing(
                PLATFORM,
                f"{where}: the token is for another Facebook Page ({profile}), not this one",
                fix=f"make the Page access token from Page {page.page_id} itself",
            )
        scopes = {str(s) for s in data.get("scopes") or []}
        missing = [p for p in REQUIRED_PERMISSIONS if p not in scopes]
        if scopes and missing:
            raise PermissionMissing(
                PLATFORM,
                f"{where}: the token lacks the permission {', '.join(missing)}",
                missing=missing,
                fix="give the app " + " and ".join(missing) + " and make a new Page access token",
            )

    # --- plumbing --------------------------------------------------------------------------
    def _page(self, target: str | None) -> FacebookPage:
        if target is None:
            return self.pages[0]
        for page in self.pages:
            if target in (page.page_id, page.region):
                return page
        raise PermanentError(PLATFORM, f"no Facebook page {target!r} is configured")

    def _page_of(self, remote_id: str, target: str | None) -> FacebookPage:
        prefix, sep, _ = remote_id.partition("_")
        if sep:
            for page in self.pages:
                if page.page_id == prefix:
                    return page
        return self._page(target)

    def _call(
        self,
        method: str,
        path: str,
        page: FacebookPage,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        call: Call = "post",
    ) -> dict[str, Any]:
        """One Graph call with the page's token in the header; any failure as a bot error."""
        where = f"{method} /{path.split('?')[0]}"
        try:
            response = self.session.request(
                method,
                f"{self.base_url}/{path}",
                params=params,
                data=data,
                files=files,
                headers={"Authorization": f"OAuth {page.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            reason = scrub(f"{where}: {type(error).__name__}", self._secrets)
            maybe_sent = isinstance(error, requests.Timeout | requests.ConnectionError)
            if method == "POST" and maybe_sent and not _nothing_sent(error):
                raise OutcomeUnknown(
                    PLATFORM, f"{reason}; the post may have been published"
                ) from None
            raise TransientError(PLATFORM, reason) from None
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:200]
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise classify_error(
                response.status_code,
                body,
                response.headers,
                now=self.now(),
                secrets=self._secrets,
                call=call,
            )
        if not isinstance(body, dict):
            message = scrub(f"{where}: unexpected answer {str(body)[:100]!r}", self._secrets)
            if method == "POST":
                raise OutcomeUnknown(PLATFORM, message)
            raise TransientError(PLATFORM, message)
        return body


def _summary_total(edge: Any) -> int:
    if isinstance(edge, dict) and isinstance(edge.get("summary"), dict):
        return _int(edge["summary"].get("total_count")) or 0
    return 0


def _graph_when(value: Any) -> datetime | None:
    """Graph's created_time ("2026-11-25T10:00:00+0000"), or None when absent or unreadable."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z") if value else None
    except ValueError:
        return None
