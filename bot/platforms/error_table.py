"""Every documented refusal of the X API v2 and the Graph API, and what appeal-bot does about it.

One table, in one place, so the README's words, the clients and the tests cannot drift apart:
:func:`bot.platforms.facebook.classify_error` and :func:`bot.platforms.x.error_from_response`
look an answer up here, and the tests are parametrised from :data:`RULES` (each row carries an
example answer in the platform's own words, which the fakes can serve).

Outcomes (``Rule.outcome``):

- ``retry``: try the post again later (``wait`` when the platform does not say when);
- ``hold``: the whole platform waits (throttling, a temporary block) until its reset or ``wait``;
- ``pause``: the platform stops until a person acts (``fix`` says what); posts wait, queued;
- ``fallback``: the photo is refused, the appeal goes out without it ("sent without photo");
- ``photo_retry``: the platform could not fetch the photo: one more try, then without it;
- ``fail``: the post will never go as it is; it fails with the platform's own words;
- ``duplicate``: the platform has this post already: recorded as sent, never re-sent;
- ``gone``: on a delete or a share-count read, the post no longer exists.

An answer matching no row is retried :data:`bot.sending.policy.UNKNOWN_TRIES` times, then fails:
a new code is never failed on its first appearance, nor retried for ever.

Sources (each row names its own): Meta's "Handling Errors", "Rate Limits", Permissions and
Page photos references; X's "Response codes and errors", "Rate limits" and media upload
references. The URLs are the ``*_ERRORS``, ``*_RATE``, ``*_PHOTOS``/``X_MEDIA`` constants below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.core.errors import (
    AuthExpired,
    DuplicatePost,
    PermanentError,
    PermissionMissing,
    PhotoUnreachable,
    PhotoUnusable,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
    UnknownPlatformError,
)

Outcome = Literal["retry", "hold", "pause", "fallback", "photo_retry", "fail", "duplicate", "gone"]
# Which call an answer came from: a post, a photo (Facebook /photos), an upload (X media), a
# delete or share-count read of an existing post ("lookup"), or a credentials check.
Call = Literal["post", "photo", "media", "lookup", "check"]

FB_ERRORS = "https://developers.facebook.com/docs/graph-api/guides/error-handling"
FB_RATE = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
FB_PHOTOS = "https://developers.facebook.com/docs/graph-api/reference/page/photos/"
FB_PERMS = "https://developers.facebook.com/docs/permissions"
X_ERRORS = "https://docs.x.com/x-api/fundamentals/response-codes-and-errors"
X_RATE = "https://docs.x.com/x-api/fundamentals/rate-limits"
X_MEDIA = "https://docs.x.com/x-api/media/upload-media"

FB_NEW_TOKEN = (
    "make a new Page access token (Meta Business Suite or the Graph API Explorer) and put it in"
    " FACEBOOK_PAGE_ACCESS_TOKEN"
)
X_NEW_TOKENS = (
    "regenerate the access token and secret in the X developer portal and put them in"
    " X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET"
)


@dataclass(frozen=True)
class Rule:
    """One documented refusal: how to recognise it, what to do, and where the rule comes from.

    Matching: every field that is set must agree. ``code``/``subcode`` are Graph's ``code`` and
    ``error_subcode``, or the numeric ``code`` of an X ``errors`` entry; ``problem`` is the end of
    an X problem ``type`` URL; ``phrase`` a lower-case piece of the platform's message; ``calls``
    the calls the row applies to (empty: any). ``example`` is the platform's own message, which
    the fakes serve and the tests replay. ``wait`` is the delay when the answer names none.
    """

    platform: Literal["x", "facebook"]
    name: str
    status: int
    outcome: Outcome
    meaning: str
    source: str
    example: str
    code: int | None = None
    # With ``code``, a range of codes (Graph's permissions errors are 200-299).
    code_to: int | None = None
    subcode: int | None = None
    problem: str | None = None
    phrase: str | None = None
    calls: tuple[Call, ...] = ()
    wait: timedelta | None = None
    fix: str = ""
    transient: bool | None = None

    def matches(
        self,
        status: int,
        code: int | None,
        subcode: int | None,
        problem: str,
        message: str,
        call: Call,
    ) -> bool:
        if self.code is not None:
            last = self.code_to if self.code_to is not None else self.code
            if code is None or not self.code <= code <= last:
                return False
        if self.code is None and self.status != status:
            return False
        if self.subcode is not None and self.subcode != subcode:
            return False
        if self.problem is not None and not problem.endswith(self.problem):
            return False
        if self.phrase is not None and self.phrase not in message.lower():
            return False
        return not self.calls or call in self.calls


def _fb(
    name: str,
    code: int,
    outcome: Outcome,
    meaning: str,
    example: str,
    *,
    status: int = 400,
    source: str = FB_ERRORS,
    **kw: Any,
) -> Rule:
    return Rule("facebook", name, status, outcome, meaning, source, example, code=code, **kw)


def _x(
    name: str,
    status: int,
    outcome: Outcome,
    meaning: str,
    example: str,
    *,
    source: str = X_ERRORS,
    **kw: Any,
) -> Rule:
    return Rule("x", name, status, outcome, meaning, source, example, **kw)


MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)

# Most specific first: the first row that matches wins.
RULES: tuple[Rule, ...] = (
    # --- Facebook: photos (fall back to a /feed post with the link) ---------------------------
    _fb(
        "fb_invalid_image",
        324,
        "fallback",
        "the photo is missing, not an image, or unreadable",
        "(#324) Missing or invalid image file",
        source=FB_PHOTOS,
    ),
    _fb(
        "fb_photo_too_big",
        100,
        "fallback",
        "the photo is over Facebook's size limit or in a type it refuses",
        "Your photos couldn't be uploaded. Photos should be less than 4 MB and saved as JPG,"
        " PNG, GIF, TIFF, HEIF or WebP files.",
        subcode=1366046,
        source=FB_PHOTOS,
    ),
    _fb(
        "fb_photo_url_invalid",
        100,
        "fallback",
        "the photo's address is not one Facebook can use",
        "(#100) url should represent a valid URL",
        phrase="url should represent a valid url",
        calls=("photo",),
        source=FB_PHOTOS,
    ),
    _fb(
        "fb_photo_unfetchable",
        1,
        "photo_retry",
        "Facebook could not fetch the photo from its address (code 1 on /photos)",
        "An unknown error has occurred.",
        calls=("photo",),
        source=FB_PHOTOS,
    ),
    # --- Facebook: credentials (pause) ----------------------------------------------------------
    _fb(
        "fb_app_not_installed",
        190,
        "pause",
        "the token's user has not authorised the app",
        "Error validating access token: The user has not authorized application 123.",
        subcode=458,
        fix=FB_NEW_TOKEN + " (the Page admin must authorise the app again)",
    ),
    _fb(
        "fb_user_checkpointed",
        190,
        "pause",
        "the token's user must log in to Facebook to clear a security check",
        "Error validating access token: The user is enrolled in a blocking, logged-in checkpoint",
        subcode=459,
        fix="the Page admin whose token this is must log in at https://www.facebook.com and"
        " follow the security check, then " + FB_NEW_TOKEN,
    ),
    _fb(
        "fb_password_changed",
        190,
        "pause",
        "the token's user changed their password",
        "Error validating access token: The session has been invalidated because the user"
        " changed their password.",
        subcode=460,
        fix=FB_NEW_TOKEN,
    ),
    _fb(
        "fb_token_expired",
        190,
        "pause",
        "the access token has expired",
        "Error validating access token: Session has expired on Tuesday, 01-Jul-25 10:00:00 PDT.",
        subcode=463,
        fix=FB_NEW_TOKEN,
    ),
    _fb(
        "fb_unconfirmed_user",
        190,
        "pause",
        "the token's user has not confirmed their account",
        "Error validating access token: Sessions for the user are not allowed because the user"
        " is not a confirmed user.",
        subcode=464,
        fix="the Page admin must confirm their Facebook account, then " + FB_NEW_TOKEN,
    ),
    _fb(
        "fb_token_invalid",
        190,
        "pause",
        "the access token is invalid (revoked, or mistyped)",
        "Error validating access token: The session is invalid because the user logged out.",
        subcode=467,
        fix=FB_NEW_TOKEN,
    ),
    _fb(
        "fb_session_invalid",
        190,
        "pause",
        "the session behind the token is no longer valid",
        "Error validating access token: The session is invalid.",
        subcode=492,
        fix=FB_NEW_TOKEN,
    ),
    _fb(
        "fb_token_refused",
        190,
        "pause",
        "the access token has expired, been revoked or is invalid",
        "Invalid OAuth access token - Cannot parse access token",
        fix=FB_NEW_TOKEN,
    ),
    _fb(
        "fb_session_key",
        102,
        "pause",
        "the login session or token has expired or is invalid",
        "Session key invalid or no longer valid",
        fix=FB_NEW_TOKEN,
    ),
    # --- Facebook: permissions (pause, naming the permission) ----------------------------------
    _fb(
        "fb_permission_denied",
        10,
        "pause",
        "a permission the call needs was not granted or was removed",
        "(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page"
        " Public Content Access' feature.",
        status=403,
        source=FB_PERMS,
        fix="give the app the missing permission and make a new Page access token with it",
    ),
    _fb(
        "fb_permission",
        200,
        "pause",
        "a permission the call needs was not granted or was removed (codes 200-299)",
        "(#200) If posting to a page, requires both pages_read_engagement and"
        " pages_manage_posts as an admin with sufficient administrative permission",
        code_to=299,
        status=403,
        source=FB_PERMS,
        fix="give the app the missing permission and make a new Page access token with it",
    ),
    _fb(
        "fb_api_method",
        3,
        "pause",
        "the app lacks the capability or permission for this call",
        "(#3) Application does not have the capability to make this API call.",
        fix="check the app's permissions and features in the Meta developer dashboard",
    ),
    _fb(
        "fb_deprecated_version",
        2635,
        "pause",
        "the Graph API version appeal-bot calls is no longer served",
        "(#2635) You are calling a deprecated version of the Graph API.",
        fix="set FACEBOOK_API_VERSION to a current version (see the Graph API changelog)",
    ),
    # --- Facebook: throttling and temporary blocks (hold the platform) -------------------------
    _fb(
        "fb_app_throttled",
        4,
        "hold",
        "the app's request limit is reached",
        "(#4) Application request limit reached",
        transient=True,
        source=FB_RATE,
    ),
    _fb(
        "fb_user_throttled",
        17,
        "hold",
        "the user's request limit is reached",
        "(#17) User request limit reached",
        transient=True,
        source=FB_RATE,
    ),
    _fb(
        "fb_page_throttled",
        32,
        "hold",
        "the Page's request limit is reached",
        "(#32) Page request limit reached",
        transient=True,
        source=FB_RATE,
    ),
    _fb(
        "fb_app_limit",
        341,
        "hold",
        "an application limit is reached",
        "(#341) Application limit reached",
        wait=HOUR,
    ),
    _fb(
        "fb_api_throttled",
        613,
        "hold",
        "calls to this API exceeded its rate limit",
        "(#613) Calls to this api have exceeded the rate limit.",
        source=FB_RATE,
    ),
    _fb(
        "fb_business_throttled",
        80001,
        "hold",
        "the Page's business use case limit is reached",
        "There have been too many calls to this Page account. Wait a bit and try again.",
        source=FB_RATE,
    ),
    _fb(
        "fb_policy_block",
        368,
        "hold",
        "Facebook temporarily blocked posting (deemed abusive or against its policies)",
        "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
        wait=6 * HOUR,
        fix="check the Page's Support Inbox for a warning; posting resumes by itself later",
    ),
    # --- Facebook: the rest ---------------------------------------------------------------------
    _fb(
        "fb_duplicate",
        506,
        "duplicate",
        "the same post was just made on this Page",
        "(#506) Duplicate status message",
    ),
    _fb(
        "fb_link_error",
        1609005,
        "fail",
        "Facebook could not read the post's link",
        "Error posting link: There was an error posting the link.",
    ),
    _fb(
        "fb_gone",
        100,
        "gone",
        "the post no longer exists (deleted on Facebook)",
        "Unsupported get request. Object with ID '1_2' does not exist, cannot be loaded due to"
        " missing permissions, or does not support this operation.",
        subcode=33,
        calls=("lookup",),
    ),
    _fb(
        "fb_no_such_object",
        100,
        "fail",
        "the Page or post id is wrong, or the token cannot see it",
        "Unsupported post request. Object with ID '1' does not exist, cannot be loaded due to"
        " missing permissions, or does not support this operation.",
        subcode=33,
    ),
    _fb(
        "fb_invalid_parameter",
        100,
        "fail",
        "a parameter of the post is invalid",
        "(#100) Param message must be a string",
    ),
    _fb(
        "fb_unknown",
        1,
        "retry",
        "possibly a temporary problem at Facebook",
        "An unknown error has occurred.",
        transient=True,
    ),
    _fb(
        "fb_service",
        2,
        "retry",
        "a temporary problem at Facebook",
        "An unexpected error has occurred. Please retry your request later.",
        status=500,
        transient=True,
    ),
    # --- X: photos (fall back to a post without media) ------------------------------------------
    _x(
        "x_media_type",
        400,
        "fallback",
        "X does not accept the photo's file type",
        "media type unrecognized.",
        phrase="media type",
        calls=("media",),
        source=X_MEDIA,
    ),
    _x(
        "x_media_too_big",
        400,
        "fallback",
        "the photo is over X's size limit",
        "File size exceeds 5242880 bytes.",
        phrase="file size exceeds",
        calls=("media",),
        source=X_MEDIA,
    ),
    _x(
        "x_media_invalid",
        400,
        "fallback",
        "X could not process the photo",
        "InvalidMedia: the media could not be processed.",
        phrase="invalidmedia",
        calls=("media",),
        source=X_MEDIA,
    ),
    _x(
        "x_media_rejected",
        400,
        "fallback",
        "X refused the photo upload",
        "One or more parameters to your request was invalid.",
        problem="/invalid-request",
        calls=("media",),
        source=X_MEDIA,
    ),
    _x(
        "x_media_ids_invalid",
        400,
        "fallback",
        "X no longer knows the uploaded photo",
        "Your media IDs are invalid.",
        phrase="media ids",
        calls=("post",),
        source=X_MEDIA,
    ),
    # --- X: credentials and the account (pause) -------------------------------------------------
    _x(
        "x_unauthorized",
        401,
        "pause",
        "X refused the credentials (revoked, regenerated or mistyped)",
        "Unauthorized",
        fix=X_NEW_TOKENS,
    ),
    _x(
        "x_oauth1_permissions",
        403,
        "pause",
        "the app's permissions do not allow posting (read-only app)",
        "Your client app is not configured with the appropriate oauth1 app permissions for this"
        " endpoint.",
        problem="/oauth1-permissions",
        fix="in the X developer portal set the app's permissions to 'Read and write', then "
        + X_NEW_TOKENS,
    ),
    _x(
        "x_client_forbidden",
        403,
        "pause",
        "the app is not attached to a Project, or its access was removed",
        "When authenticating requests to the Twitter API v2 endpoints, you must use keys and"
        " tokens from a Twitter developer App that is attached to a Project.",
        problem="/client-forbidden",
        fix="attach the app to a Project in the X developer portal (or check its access level)",
    ),
    _x(
        "x_unsupported_auth",
        403,
        "pause",
        "this call needs user credentials, not an app-only token",
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
        problem="/unsupported-authentication",
        fix="set X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET (user credentials) as well as the keys",
    ),
    _x(
        "x_account_locked",
        403,
        "pause",
        "X temporarily locked the account",
        "To protect our users from spam and other malicious activity, this account is temporarily"
        " locked. Please log in to https://x.com to unlock your account.",
        phrase="temporarily locked",
        fix="log in to https://x.com as the charity's account and follow the steps to unlock it",
    ),
    _x(
        "x_account_suspended",
        403,
        "pause",
        "the account is suspended",
        "Your account is suspended and is not permitted to access this feature.",
        phrase="suspended",
        fix="log in to https://x.com as the charity's account and appeal the suspension",
    ),
    _x(
        "x_not_permitted",
        403,
        "pause",
        "X does not let this app or account post",
        "You are not permitted to perform this action.",
        phrase="not permitted to perform this action",
        fix="check the app's permissions ('Read and write') and the account's standing on"
        " https://x.com, then " + X_NEW_TOKENS,
    ),
    # --- X: throttling and spam limits (hold) ---------------------------------------------------
    _x(
        "x_automated",
        403,
        "hold",
        "X suspects automation and refuses posting for a while (spam protection)",
        "This request looks like it might be automated. To protect our users from spam and other"
        " malicious activity, we can't complete this action right now.",
        phrase="might be automated",
        wait=HOUR,
    ),
    _x(
        "x_usage_capped",
        429,
        "hold",
        "the app's monthly usage cap is reached",
        "Usage cap exceeded: Monthly product cap",
        problem="/usage-capped",
        wait=24 * HOUR,
        source=X_RATE,
        fix="wait for the monthly cap to reset, or raise the plan in the X developer portal",
    ),
    _x(
        "x_rate_limited",
        429,
        "hold",
        "too many requests: the rate limit or the 24-hour post cap is reached",
        "Too Many Requests",
        wait=15 * MINUTE,
        source=X_RATE,
    ),
    # --- X: the rest ----------------------------------------------------------------------------
    _x(
        "x_duplicate",
        403,
        "duplicate",
        "the account posted the same text already",
        "You are not allowed to create a Tweet with duplicate content.",
        phrase="duplicate content",
    ),
    _x(
        "x_too_long",
        403,
        "fail",
        "the text is over X's length limit",
        "Your Tweet text is too long.",
        phrase="too long",
    ),
    _x(
        "x_invalid_request",
        400,
        "fail",
        "X refused the request as invalid",
        "One or more parameters to your request was invalid.",
        problem="/invalid-request",
    ),
    _x(
        "x_gone",
        404,
        "gone",
        "the post no longer exists (deleted on X)",
        "Could not find tweet with id: [1].",
        calls=("lookup",),
    ),
    _x(
        "x_server_error",
        500,
        "retry",
        "X is having trouble",
        "Internal Server Error",
    ),
    _x("x_bad_gateway", 502, "retry", "X is having trouble", "Bad Gateway"),
    _x("x_unavailable", 503, "retry", "X is over capacity", "Service Unavailable"),
    _x("x_gateway_timeout", 504, "retry", "X is having trouble", "Gateway Timeout"),
)


def rule_named(name: str) -> Rule:
    """The row called ``name``; ``KeyError`` when there is none."""
    for rule in RULES:
        if rule.name == name:
            return rule
    raise KeyError(name)


def find_rule(
    platform: str,
    status: int,
    *,
    code: int | None = None,
    subcode: int | None = None,
    problem: str = "",
    message: str = "",
    call: Call = "post",
) -> Rule | None:
    """The first row of :data:`RULES` that describes this answer, or None (unknown: see module)."""
    for rule in RULES:
        if rule.platform == platform and rule.matches(
            status, code, subcode, problem, message, call
        ):
            return rule
    return None


_PERMISSION = re.compile(r"\b(pages_[a-z_]+|publish_[a-z_]+|business_management)\b")


def missing_permissions(message: str) -> list[str]:
    """The Graph permission names a refusal mentions, in order (e.g. ``pages_manage_posts``)."""
    found: list[str] = []
    for name in _PERMISSION.findall(message):
        if name not in found:
            found.append(name)
    return found


def to_error(
    rule: Rule | None,
    platform: str,
    message: str,
    now: datetime,
    retry_at: datetime | None = None,
    *,
    server_error: bool = False,
) -> PublishError:
    """The :mod:`bot.core.errors` exception for an answer and its row (None: not in the table).

    ``retry_at`` is the platform's own reset time, when it gave one; it wins over ``wait``.
    ``server_error`` (a 5xx) makes an unknown answer plainly transient.
    """
    if rule is None:
        if server_error:
            return TransientError(platform, message)
        return UnknownPlatformError(platform, message)
    wait_until = retry_at or (now + rule.wait if rule.wait else None)
    if rule.outcome == "retry":
        return TransientError(platform, message, wait_until)
    if rule.outcome == "hold":
        return RateLimited(platform, message, wait_until)
    if rule.outcome == "pause":
        if rule.code in (10, 3) or rule.name == "fb_permission":
            names = missing_permissions(message)
            return PermissionMissing(platform, message, missing=names, fix=rule.fix)
        return AuthExpired(platform, message, fix=rule.fix)
    if rule.outcome == "fallback":
        return PhotoUnusable(platform, message)
    if rule.outcome == "photo_retry":
        return PhotoUnreachable(platform, message)
    if rule.outcome == "duplicate":
        return DuplicatePost(platform, message)
    if rule.outcome == "gone":
        return RemoteGone(platform, message)
    return PermanentError(platform, message)


_OUTCOME_WORDS: dict[Outcome, str] = {
    "retry": "tried again later",
    "hold": "the platform waits",
    "pause": "the platform is paused until a person acts",
    "fallback": "sent without photo",
    "photo_retry": "one more try with the photo, then sent without photo",
    "fail": "the post fails with the platform's words",
    "duplicate": "recorded as sent, never re-sent",
    "gone": "the post is taken as deleted",
}


_DEFAULT_FIX: dict[Outcome, str] = {
    "fallback": "fix the photo on the appeal page, if it should go with later posts",
    "photo_retry": "check the photo opens in a browser",
    "fail": "read the platform's words (`run_bot.py log --status failed`), edit the post, retry it",
}


def _answer(rule: Rule) -> str:
    if rule.platform == "facebook":
        code = f"#{rule.code}" + (f"-{rule.code_to}" if rule.code_to else "")
        code += f"/{rule.subcode}" if rule.subcode is not None else ""
        where = " on /photos" if "photo" in rule.calls else ""
        where += " on a delete or share-count read" if "lookup" in rule.calls else ""
        return f"{code}{where}"
    parts = [f"HTTP {rule.status}"]
    if rule.problem:
        parts.append(rule.problem.strip("/"))
    if rule.phrase:
        parts.append(f"“{rule.phrase}”")
    if "media" in rule.calls:
        parts.append("on a photo upload")
    if "lookup" in rule.calls:
        parts.append("on a delete or share-count read")
    return " ".join(parts)


def readme_rows() -> list[str]:
    """The table in words, one Markdown row a rule, as README.md shows it (a test compares)."""
    rows = []
    for rule in RULES:
        platform = "Facebook" if rule.platform == "facebook" else "X"
        then = _OUTCOME_WORDS[rule.outcome]
        if rule.wait and rule.outcome in ("retry", "hold"):
            hours = rule.wait.total_seconds() / 3600
            then += f" ({hours:g} h unless the platform says)" if hours >= 1 else ""
        fix = rule.fix or _DEFAULT_FIX.get(rule.outcome, "nothing")
        rows.append(f"| {platform} | {_answer(rule)} | {rule.meaning} | {then} | {fix} |")
    return rows


if __name__ == "__main__":
    print("| platform | answer | meaning | what the bot does | what a person does |")
    print("|---|---|---|---|---|")
    print("\n".join(readme_rows()))
