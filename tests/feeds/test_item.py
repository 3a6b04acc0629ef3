"""Item's own __init__ (faster than the dataclass's) sets exactly the dataclass's fields, in
order, with the same defaults, and the item stays frozen, equal, hashable, replace()-able and
picklable as a dataclass's."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from bot.feeds.items import Item
from tests.factories import NOW


def test_init_takes_every_field_in_order_with_its_default() -> None:
    fields = dataclasses.fields(Item)
    parameters = list(inspect.signature(Item.__init__).parameters.values())[1:]
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields, strict=True):
        if field.default_factory is not dataclasses.MISSING:
            expected = field.default_factory()
        elif field.default is dataclasses.MISSING:
            expected = inspect.Parameter.empty
        else:
            expected = field.default
        assert parameter.default == expected, field.name


def test_every_field_is_set_in_order_and_the_item_behaves_as_a_dataclass() -> None:
    item = Item("a-1", "appeal", "Sam Jones", link="https://example.org/a", published_at=NOW)
    assert list(vars(item).items()) == [
        ("id", "a-1"),
        ("kind", "appeal"),
        ("title", "Sam Jones"),
        ("summary", ""),
        ("link", "https://example.org/a"),
        ("image_url", None),
        ("image_alt", None),
        ("published_at", NOW),
        ("updated_at", None),
        ("categories", ()),
        ("status", None),
        ("urgent", False),
        ("region", None),
        ("feed_url", None),
        ("facts", ()),
    ]
    same = Item(id="a-1", kind="appeal", title="Sam Jones", link="https://example.org/a",
                published_at=NOW)  # fmt: skip
    assert item == same and hash(item) == hash(same)
    assert len({item, same}) == 1
    changed = dataclasses.replace(item, status="found")
    assert changed != item and changed.status == "found" and changed.title == "Sam Jones"
    assert pickle.loads(pickle.dumps(item)) == item
    assert dataclasses.asdict(item)["categories"] == ()
    assert repr(item).startswith("Item(id='a-1', kind='appeal', title='Sam Jones'")


def test_an_item_cannot_be_changed() -> None:
    item = Item("a-1", "appeal", "Sam Jones")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.title = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del item.link
