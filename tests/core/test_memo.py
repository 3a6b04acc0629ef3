"""small_lru_cache: remembers small arguments only, so a hostile feed's text is never kept."""

from __future__ import annotations

import gc
import weakref

from bot.core.memo import small_lru_cache, total_length


class Text(str):
    """A str that a weak reference can follow, to see whether a memo still holds it."""


def test_small_arguments_are_worked_out_once() -> None:
    calls: list[str] = []

    @small_lru_cache(maxsize=8, max_size=10)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert shout("appeal") == "APPEAL"
    assert shout("appeal") == "APPEAL"
    assert calls == ["appeal"]


def test_big_arguments_are_worked_out_each_time_and_not_kept() -> None:
    calls = 0

    @small_lru_cache(maxsize=8, max_size=10)
    def shout(text: str) -> str:
        nonlocal calls
        calls += 1
        return text.upper()

    big = Text("x" * 11)
    assert shout(big) == "X" * 11
    assert shout(big) == "X" * 11
    assert calls == 2
    kept = weakref.ref(big)
    del big
    gc.collect()
    assert kept() is None  # the memo holds no reference to it


def test_size_can_be_measured_another_way() -> None:
    calls: list[tuple[str, ...]] = []

    @small_lru_cache(maxsize=8, max_size=6, size=total_length)
    def joined(parts: tuple[str, ...]) -> str:
        calls.append(parts)
        return "+".join(parts)

    joined(("abc", "def"))
    joined(("abc", "def"))
    joined(("abc", "defg"))  # seven characters in all: over the limit
    joined(("abc", "defg"))
    assert calls == [("abc", "def"), ("abc", "defg"), ("abc", "defg")]


def test_the_memo_keeps_the_function_name_and_the_plain_function() -> None:
    def shout(text: str) -> str:
        """Upper case."""
        return text.upper()

    memo = small_lru_cache(maxsize=2, max_size=5)(shout)
    assert memo.__name__ == "shout"
    assert memo.__doc__ == "Upper case."
    assert memo.__wrapped__ is shout  # type: ignore[attr-defined]


def test_only_the_first_argument_is_measured() -> None:
    calls: list[str] = []

    @small_lru_cache(maxsize=8, max_size=5)
    def on_site(url: str, domains: tuple[str, ...]) -> bool:
        calls.append(url)
        return any(domain in url for domain in domains)

    assert on_site("a.org", ("a.org",) * 100)  # the domains are long, the link short
    assert on_site("a.org", ("a.org",) * 100)
    assert not on_site("b.org/x", ("a.org",))
    assert not on_site("b.org/x", ("a.org",))
    assert calls == ["a.org", "b.org/x", "b.org/x"]
