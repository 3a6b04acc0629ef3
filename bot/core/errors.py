"""The errors appeal-bot raises, each carrying the data a caller needs to decide what to do next.

``str(error)`` is always one line a comms officer can read; it never contains a secret.
"""

from __future__ import annotations

from datetime import datetime


class AppealBotError(Exception):
    """Base class: anything the CLI reports as one line and a non-zero exit code."""

    exit_code = 1


class ConfigError(AppealBotError):
    """A setting is missing or malformed. The CLI exits 2, naming the variable."""

    exit_code = 2

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


class FeedError(AppealBotError):
    """A feed could not be fetched or parsed; its stored items are left untouched."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"feed {url}: {reason}")


class DaemonAlreadyRunning(AppealBotError):
    """Another ``run_bot.py run`` holds the database; two daemons would double-post."""

    def __init__(self, database: str, holder: str) -> None:
        self.database = database
        self.holder = holder
        super().__init__(f"another appeal-bot daemon is already running on {database} ({holder})")


class NotFound(AppealBotError):
    """A queue entry, item or remote post does not exist."""


class PublishError(AppealBotError):
    """A platform refused or failed a call. Subclasses say what the bot should do about it."""

    def __init__(self, platform: str, message: str) -> None:
        self.platform = platform
        self.message = message
        super().__init__(f"{platform}: {message}")


class TransientError(PublishError):
    """Try again later (5xx, connection error): the post stays queued and costs no budget."""

    def __init__(self, platform: str, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(platform, message)
        self.retry_at = retry_at


class RateLimited(TransientError):
    """429 or a platform throttling code; ``retry_at`` comes from the reset header when given."""

    def __init__(
        self, platform: str, message: str, retry_at: datetime | None = None, daily: bool = False
    ) -> None:
        super().__init__(platform, message, retry_at)
        self.daily = daily


class UnknownPlatformError(TransientError):
    """An answer the error table does not list: retried a few times (a new code may be
    temporary), then failed with the platform's words (see bot.sending.policy.UNKNOWN_TRIES)."""


class OutcomeUnknown(TransientError):
    """A POST timed out or the connection dropped after sending: the post may exist already.

    The caller must reconcile (look for the post on the account) before sending again.
    """


class AuthExpired(PublishError):
    """Credentials were refused (X 401, Facebook code 190): pause the platform until they work.

    ``fix`` says in plain words what a person must do (from the error table), or is empty.
    """

    def __init__(self, platform: str, message: str, fix: str = "") -> None:
        super().__init__(platform, message)
        self.fix = fix


class PermissionMissing(AuthExpired):
    """The credentials work but lack a permission posting needs (Facebook #10, #200-299; a
    read-only X app): pause like an expired token. ``missing`` names the permissions when the
    platform said which."""

    def __init__(
        self, platform: str, message: str, missing: list[str] | None = None, fix: str = ""
    ) -> None:
        super().__init__(platform, message, fix)
        self.missing = list(missing or [])


class PermanentError(PublishError):
    """The platform will never accept this request as it is; ``message`` is the API's own words."""


class PhotoUnusable(PermanentError):
    """The post's photo cannot be used (gone, not an image, too big). The post itself is fine:
    the sender publishes it without the photo rather than hold an appeal back."""


class PhotoUnreachable(TransientError):
    """The post's photo could not be downloaded this time (timeout, connection, 5xx): it may
    work later, but after a retry the sender publishes without it rather than hold an appeal
    back for a photo host that keeps failing."""


class DuplicatePost(PublishError):
    """The platform says this exact post already exists; record it as sent, never re-send."""

    def __init__(self, platform: str, message: str, remote_id: str | None = None) -> None:
        super().__init__(platform, message)
        self.remote_id = remote_id


class RemoteGone(PublishError):
    """The remote post no longer exists (404): a deletion is already done, metrics stop."""
