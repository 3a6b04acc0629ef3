"""collector_paused: the cyclic collector is off inside, and as it was before afterwards."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from bot.core import gc_pause
from bot.core.gc_pause import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_on = gc.isenabled()
    yield
    if was_on:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("disk full")
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_pauses_turn_it_on_only_at_the_outermost_end() -> None:
    gc.enable()
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_two_threads_pausing_at_once_never_leave_the_collector_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Found in review: a pause that began while another thread's was under way saw the
    # collector off, took "off" for the state to restore, and left it off for good once the
    # other ended first. The stand-in holds the second thread at the moment it would turn the
    # collector off until the first thread's pause has ended (or 2 s): every call still
    # reaches the real collector.
    gc.enable()
    first_in, second_reached = threading.Event(), threading.Event()
    let_first_out, first_out = threading.Event(), threading.Event()

    def disable() -> None:
        if threading.current_thread().name == "second":
            second_reached.set()
            first_out.wait(2)
        gc.disable()

    monkeypatch.setattr(
        gc_pause, "gc", SimpleNamespace(isenabled=gc.isenabled, disable=disable, enable=gc.enable)
    )

    def first() -> None:
        with collector_paused():
            first_in.set()
            assert let_first_out.wait(5)
        first_out.set()

    def second() -> None:
        assert first_in.wait(5)
        with collector_paused():
            second_reached.set()

    threads = [
        threading.Thread(target=first, name="first"),
        threading.Thread(target=second, name="second"),
    ]
    for thread in threads:
        thread.start()
    assert second_reached.wait(5)
    let_first_out.set()
    for thread in threads:
        thread.join(5)
    assert gc.isenabled(), "both pauses are over, yet the cyclic collector is still off"
