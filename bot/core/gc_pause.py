"""Pausing Python's cyclic garbage collector while a big feed's entries are read and stored.

CPython runs a collection each time some hundreds of container objects have been allocated and
not freed, and each one walks every young survivor; an older generation's walks every object
kept since. Reading a feed of thousands of entries keeps thousands of Items, and composing and
storing them makes thousands of posts: the collector ran about 130 times during a first poll of
5,000 entries and took about 30 ms of the bot's 0.5 s, while finding nothing to free (these
objects hold no reference cycles; reference counting frees each when its batch is stored).
Mercurial's ``util.nogc`` pauses the collector around building big structures for the same
reason. Objects that do form cycles meanwhile are collected after the pause, which lasts only
as long as the step it wraps.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Pauses under way in this process, and whether the collector was on before the first began:
# the first pause turns it off, the last to end turns it back on. Both are read and changed
# under the lock, so no thread can see the collector off because of another thread's pause and
# take that for the state to restore.
_lock = threading.Lock()
_pauses = 0
_was_on = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off. When the last pause under way in
    the process ends (even on error), it is turned back on if it was on before the first
    began; a caller that turned it off itself keeps it off."""
    global _pauses, _was_on
    with _lock:
        if _pauses == 0:
            _was_on = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_on:
                gc.enable()
