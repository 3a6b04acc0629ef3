"""A faster ``__init__`` for frozen dataclasses that are built thousands of times a poll.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__`` (it
must get past the class's own ``__setattr__``, which refuses every change): two or three
times the cost of setting them all with one update of the instance dict, which is how a frozen
object may be built too. A first poll of a big feed builds thousands of Items and planned
posts, so :func:`set_at_once` gives those classes that ``__init__``, derived from their fields
so it can never drift from them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

Class = TypeVar("Class", bound=type)


def set_at_once(cls: Class) -> Class:
    """Give the frozen dataclass ``cls`` an ``__init__`` that takes the dataclass's own
    parameters (its fields, in order, with their defaults) and sets them in one update of the
    instance dict. Apply it above ``@dataclass(frozen=True)``.

    Raises TypeError for a class that is not a frozen dataclass, or that has a field with a
    default factory, an ``init=False`` field or a ``__post_init__``, which this ``__init__``
    would not honour.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__")
    defaults: dict[str, Any] = {}
    signature: list[str] = []
    names: list[str] = []
    for field in dataclasses.fields(cls):
        if field.default_factory is not dataclasses.MISSING or not field.init:
            raise TypeError(f"{cls.__name__}.{field.name}: a default factory or init=False")
        if field.default is dataclasses.MISSING:
            signature.append(field.name)
        else:
            defaults[f"_default_{field.name}"] = field.default
            signature.append(f"{field.name}=_default_{field.name}")
        names.append(field.name)
    source = (
        f"def __init__(self, {', '.join(signature)}):\n"
        f"    self.__dict__.update({', '.join(f'{name}={name}' for name in names)})\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, defaults, namespace)  # as dataclasses builds its own __init__
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[misc]
    return cls
