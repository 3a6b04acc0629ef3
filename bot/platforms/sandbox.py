"""An in-memory publisher: the fastest stand-in for a platform, for unit tests and benchmarks.

It keeps the Publisher contract (ids, URLs, duplicate refusal, deletion, growing metrics)
without a socket. The full sandbox that ``make demo`` runs uses the real clients against the fake
servers of :mod:`bot.fakes` instead.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.errors import DuplicatePost, PermanentError, RemoteGone
from bot.platforms.base import Candidate, Metrics, PostRequest, Published, pick_published

MAX_TEXT = {"x": 280, "facebook": 63_206}


@dataclass
class _Stored:
    request: PostRequest
    created: float
    deleted: bool = False


class SandboxPublisher:
    """Stores posts in a dict; refuses an exact duplicate as X and Facebook do."""

    live = False

    def __init__(self, platform: str, clock: Callable[[], float] = time.time) -> None:
        self.platform = platform
        self._clock = clock
        # Unique across instances, as a platform's are: one remote id is one of our posts.
        self._ids = itertools.count(time.time_ns() // 1000)
        self._lock = threading.Lock()
        self.posts: dict[str, _Stored] = {}
        # Text of each post still up -> its id: the duplicate check stays one lookup however
        # many posts a long-running sandbox holds.
        self._live_texts: dict[str, str] = {}

    def publish(self, post: PostRequest) -> Published:
        with self._lock:
            if not post.text.strip():
                raise PermanentError(self.platform, "the post text is empty")
            if (duplicate := self._live_texts.get(post.text)) is not None:
                raise DuplicatePost(self.platform, "duplicate content", duplicate)
            remote_id = str(next(self._ids))
            self.posts[remote_id] = _Stored(post, self._clock())
            self._live_texts[post.text] = remote_id
        return Published(remote_id, f"https://sandbox.invalid/{self.platform}/{remote_id}")

    def delete(self, remote_id: str, target: str | None = None) -> None:
        with self._lock:
            stored = self.posts.get(remote_id)
            if stored is None or stored.deleted:
                raise RemoteGone(self.platform, f"post {remote_id} does not exist")
            stored.deleted = True
            self._live_texts.pop(stored.request.text, None)

    def metrics(self, remote_id: str, target: str | None = None) -> Metrics:
        stored = self.posts.get(remote_id)
        if stored is None or stored.deleted:
            raise RemoteGone(self.platform, f"post {remote_id} does not exist")
        minutes = int((self._clock() - stored.created) // 60)
        return Metrics(
            shares=minutes // 3, quotes=minutes // 20, likes=minutes, replies=minutes // 10
        )

    def find_published(self, post: PostRequest) -> Published | None:
        candidates = [
            Candidate(
                remote_id,
                f"https://sandbox.invalid/{self.platform}/{remote_id}",
                stored.request.text,
                created=datetime.fromtimestamp(stored.created, UTC),
            )
            for remote_id, stored in self.posts.items()
            if not stored.deleted
        ]
        return pick_published(post, candidates)

    def check_credentials(self) -> str:
        return f"sandbox {self.platform} account"
