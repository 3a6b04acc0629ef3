"""set_at_once: a frozen dataclass's __init__ derived from its fields, setting them at once."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from bot.core.frozen import set_at_once


@set_at_once
@dataclasses.dataclass(frozen=True)
class Sighting:
    place: str
    seen_by: str
    hour: int = 9
    notes: tuple[str, ...] = ()


def test_it_takes_the_fields_in_order_with_their_defaults_and_stays_frozen() -> None:
    parameters = list(inspect.signature(Sighting.__init__).parameters.values())[1:]
    assert [(p.name, p.default) for p in parameters] == [
        ("place", inspect.Parameter.empty),
        ("seen_by", inspect.Parameter.empty),
        ("hour", 9),
        ("notes", ()),
    ]
    sighting = Sighting("Leeds station", seen_by="a guard")
    assert vars(sighting) == {
        "place": "Leeds station",
        "seen_by": "a guard",
        "hour": 9,
        "notes": (),
    }
    assert sighting == Sighting("Leeds station", "a guard", 9, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        sighting.hour = 10  # type: ignore[misc]
    with pytest.raises(TypeError):
        Sighting("Leeds station")  # type: ignore[call-arg]


def test_what_it_could_not_honour_is_refused() -> None:
    @dataclasses.dataclass
    class Open:
        place: str

    @dataclasses.dataclass(frozen=True)
    class Listed:
        places: list[str] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class Checked:
        place: str

        def __post_init__(self) -> None:
            pass

    for cls in (Open, Listed, Checked):
        with pytest.raises(TypeError):
            set_at_once(cls)
