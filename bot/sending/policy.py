"""The failure policy: what to do with a post after a platform error. Pure, so it is easy to test.

- transient (429, 5xx, timeout, connection): retry later with exponential backoff and jitter,
  never sooner than the platform's own reset time; the post stays queued and costs no budget;
- outcome unknown (a POST that timed out): as transient, but look for the post before resending;
- permanent: the post fails with the platform's own message;
- duplicate: the platform already has it, so it counts as sent and is never re-sent;
- auth refused: the platform is paused until its credentials work again; the post waits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.errors import (
    AuthExpired,
    DuplicatePost,
    OutcomeUnknown,
    PermanentError,
    PermissionMissing,
    PublishError,
    RateLimited,
    RemoteGone,
    TransientError,
    UnknownPlatformError,
)

BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
# After this many transient failures in a row a post fails, so a broken post cannot loop forever.
MAX_ATTEMPTS = 12
# An answer the error table does not know is tried this many times in all, then the post fails
# with the platform's words: a new code may be a passing fault, but is not retried for a day.
UNKNOWN_TRIES = 3

Action = Literal["retry", "reconcile", "failed", "duplicate", "pause"]


@dataclass(frozen=True)
class Decision:
    action: Action
    retry_at: datetime | None = None
    reason: str = ""


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: 1, 2, 4 … minutes (capped at 6 h), each 50–100 % of that."""
    ceiling = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempts - 1)))
    return ceiling * rng.uniform(0.5, 1.0)


def decide(error: PublishError, attempts: int, now: datetime, rng: random.Random) -> Decision:
    """Map a publish error to the action the queue takes."""
    if isinstance(error, DuplicatePost):
        return Decision("duplicate", reason=error.message)
    if isinstance(error, AuthExpired):
        return Decision("pause", reason=pause_reason(error))
    if isinstance(error, UnknownPlatformError) and attempts >= UNKNOWN_TRIES:
        return Decision("failed", reason=f"gave up after {attempts} tries: {error.message}")
    if isinstance(error, TransientError):
        # A rate limit is the platform saying "later", not a fault of the post: it never
        # counts towards giving up (its reset time already spaces the tries).
        if attempts >= MAX_ATTEMPTS and not isinstance(error, OutcomeUnknown | RateLimited):
            return Decision("failed", reason=f"gave up after {attempts} tries: {error.message}")
        retry_at = now + backoff(attempts, rng)
        if error.retry_at and error.retry_at > retry_at:
            retry_at = error.retry_at
        action: Action = "reconcile" if isinstance(error, OutcomeUnknown) else "retry"
        return Decision(action, retry_at=retry_at, reason=error.message)
    if isinstance(error, PermanentError | RemoteGone):
        return Decision("failed", reason=error.message)
    return Decision("failed", reason=error.message)


def pause_reason(error: AuthExpired) -> str:
    """Why a platform is paused, for ``status`` and alerts: the missing permission when known,
    the platform's words, and what a person must do."""
    reason = error.message
    if isinstance(error, PermissionMissing) and error.missing:
        reason = f"missing permission {', '.join(error.missing)}: {reason}"
    if error.fix:
        reason += f" To fix: {error.fix}."
    return reason


def is_rate_limit(error: PublishError) -> bool:
    """A rate limit holds back the whole platform, not just this post."""
    return isinstance(error, RateLimited)
