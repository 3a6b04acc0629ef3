"""Memos for pure functions of feed text, bounded in memory as well as in count.

``functools.lru_cache(maxsize=n)`` keeps up to n arguments and answers, however big: a memo of
a post's text or a feed's categories could come to hold n copies of the largest text a hostile
feed can send (FEED_MAX_BYTES), and keep them for the life of the daemon. These memos remember
only calls whose first argument is at most a fixed size, so what they hold is bounded by
``maxsize * max_size`` characters (and answers of about that size); bigger ones are worked out
each time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

P = ParamSpec("P")
Result = TypeVar("Result")


def small_lru_cache(
    maxsize: int, max_size: int, size: Callable[[Any], int] = len
) -> Callable[[Callable[P, Result]], Callable[P, Result]]:
    """Decorate a pure function with an LRU memo of ``maxsize`` entries that remembers only
    calls whose first argument's ``size`` (``len`` unless given; characters, for text) is at
    most ``max_size``. Any other arguments must be small (settings, say): they are kept as
    given. The undecorated function is ``__wrapped__``, as with lru_cache."""

    def decorate(function: Callable[P, Result]) -> Callable[P, Result]:
        remembered = cast(Callable[P, Result], functools.lru_cache(maxsize=maxsize)(function))

        @functools.wraps(function)
        def memo(*args: P.args, **kwargs: P.kwargs) -> Result:
            if size(args[0]) <= max_size:
                return remembered(*args, **kwargs)
            return function(*args, **kwargs)

        return memo

    return decorate


def total_length(texts: tuple[str, ...]) -> int:
    """The characters of a tuple of texts, all together (a ``size`` for :func:`small_lru_cache`)."""
    return sum(map(len, texts))
