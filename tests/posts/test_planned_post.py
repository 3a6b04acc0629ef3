"""PlannedPost's own __init__ (faster than the dataclass's) sets exactly the dataclass's
fields, in order, with the same defaults, and the object stays frozen."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from bot.posts.queue import PlannedPost
from bot.posts.states import PostStatus
from tests.factories import NOW


def test_init_takes_every_field_in_order_with_its_default() -> None:
    fields = dataclasses.fields(PlannedPost)
    parameters = list(inspect.signature(PlannedPost.__init__).parameters.values())[1:]
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields, strict=True):
        expected = (
            inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
        )
        assert parameter.default == expected, field.name


def test_every_field_is_set_equality_and_repr_as_a_dataclass() -> None:
    post = PlannedPost("x", "text", NOW, 1, link="https://example.org/a")
    assert vars(post) == {
        "platform": "x",
        "text": "text",
        "scheduled_at": NOW,
        "priority": 1,
        "target": "",
        "link": "https://example.org/a",
        "image_url": None,
        "alt_text": None,
        "round": 0,
        "status": PostStatus.QUEUED,
        "pinned_at": None,
    }
    assert post == PlannedPost(platform="x", text="text", scheduled_at=NOW, priority=1,
                               link="https://example.org/a")  # fmt: skip
    assert post != dataclasses.replace(post, round=1)
    assert repr(post).startswith("PlannedPost(platform='x', text='text'")


def test_a_planned_post_cannot_be_changed() -> None:
    post = PlannedPost("x", "text", NOW, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        post.text = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del post.link
