"""Keeping stored ids: the shortcut for a first poll or a poll with nothing new changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.feeds.identity import id_key, keep_stored_ids
from bot.feeds.items import Item


def reference(
    items: Sequence[Item], stored_ids: Iterable[str]
) -> tuple[list[Item], list[tuple[str, str]]]:
    """keep_stored_ids as it was before its shortcut, kept as the oracle."""
    stored = set(stored_ids)
    new_ids = [item.id for item in items if item.id not in stored]
    if not new_ids:
        return list(items), []
    by_key: dict[str, str] = {}
    for stored_id in stored:
        by_key.setdefault(id_key(stored_id), stored_id)
    in_poll = {item.id for item in items}
    renamed: list[tuple[str, str]] = []
    kept: list[Item] = []
    for item in items:
        old = None if item.id in stored else by_key.get(id_key(item.id))
        if old is not None and old not in in_poll:
            renamed.append((item.id, old))
            in_poll.add(old)
            item = replace(item, id=old)
        kept.append(item)
    return kept, renamed


# A few pages, each under forms of its address that name the same entry.
IDS = [
    f"{scheme}://{host}charity.example/{page}{tail}"
    for scheme in ("http", "https")
    for host in ("", "www.")
    for page in ("?p=1", "appeals/ada", "appeals/bo")
    for tail in ("", "/", "&utm_source=rss")
] + ["appeal-1", "appeal-01"]


@given(
    st.lists(st.sampled_from(IDS), max_size=8),
    st.lists(st.sampled_from(IDS), max_size=6),
)
def test_keeping_stored_ids_is_as_before(polled: list[str], stored: list[str]) -> None:
    items = [Item(id=item_id, kind="appeal", title=str(n)) for n, item_id in enumerate(polled)]
    assert keep_stored_ids(items, stored) == reference(items, stored)


def test_a_first_poll_and_a_poll_with_nothing_new_rename_nothing() -> None:
    items = [Item(id="https://charity.example/a", kind="appeal", title="Ada")]
    assert keep_stored_ids(items, []) == (items, [])
    assert keep_stored_ids(items, ["https://charity.example/a"]) == (items, [])
    moved = keep_stored_ids(items, ["http://www.charity.example/a/"])
    assert moved[1] == [("https://charity.example/a", "http://www.charity.example/a/")]
