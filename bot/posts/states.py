"""A post's life, written down once.

Every status change goes through :func:`bot.posts.queue.transition`.

``draft``     waiting for a comms officer's approval (REQUIRE_APPROVAL=1)
``queued``    waiting for its slot (or for a retry time after a transient error)
``sending``   claimed by one process, the API call in flight
``sent``      published; ``remote_id`` says where
``failed``    the platform refused it for good; ``last_error`` says why
``cancelled`` withdrawn or rejected before it was published
``deleting``  published, then withdrawn: the remote post is being deleted (retried until done)
``deleted``   the remote post is gone
"""

from __future__ import annotations

from enum import StrEnum


class PostStatus(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETING = "deleting"
    DELETED = "deleted"


S = PostStatus
TRANSITIONS: dict[PostStatus, frozenset[PostStatus]] = {
    S.DRAFT: frozenset({S.QUEUED, S.CANCELLED}),
    S.QUEUED: frozenset({S.SENDING, S.CANCELLED, S.DRAFT}),
    # Back to queued: a transient error, or a shutdown before the call was made.
    S.SENDING: frozenset({S.SENT, S.FAILED, S.QUEUED, S.DELETING}),
    S.SENT: frozenset({S.DELETING}),
    S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
    S.DELETING: frozenset({S.DELETED}),
    S.DELETED: frozenset(),
}
# Posts that still hold a claim on the daily budget once sent.
BUDGET_STATUSES = (S.SENDING, S.SENT, S.DELETING, S.DELETED)
OPEN_STATUSES = (S.DRAFT, S.QUEUED, S.FAILED)


def can_move(current: PostStatus, new: PostStatus) -> bool:
    return new in TRANSITIONS[current]
