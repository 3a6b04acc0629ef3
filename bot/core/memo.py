"""Memos for pure functions of feed text, bounded in memory as well as in count.

``functools.lru_cache(maxsize=n)`` keeps up to n arguments and answers, however big: a memo of
a post's text or a feed's categories could come to hold n copies of the largest text a hostile
feed can send (FEED_MAX_BYTES), and keep them for the life of the daemon. These memos remember
only arguments up to a fixed size, so what they hold is bounded by ``maxsize * max_size``
characters (and an answer of about that size); bigger arguments are worked out each time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

Arg = TypeVar("Arg", bound=Hashable)
Result = TypeVar("Result")


def small_lru_cache(
    maxsize: int, max_size: int, size: Callable[[Any], int] = len
) -> Callable[[Callable[[Arg], Result]], Callable[[Arg], Result]]:
    """Decorate a pure function of one argument with an LRU memo of ``maxsize`` entries that
    remembers only arguments whose ``size`` (``len`` unless given; in characters for text) is
    at most ``max_size``. The undecorated function is ``__wrapped__``, as with lru_cache."""

    def decorate(function: Callable[[Arg], Result]) -> Callable[[Arg], Result]:
        remembered = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def memo(arg: Arg) -> Result:
            return remembered(arg) if size(arg) <= max_size else function(arg)

        return memo

    return decorate


def total_length(texts: tuple[str, ...]) -> int:
    """The characters of a tuple of texts, all together (a ``size`` for :func:`small_lru_cache`)."""
    return sum(map(len, texts))
