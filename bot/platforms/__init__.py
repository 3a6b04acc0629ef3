"""Platform clients behind one interface (:class:`bot.platforms.base.Publisher`)."""

from __future__ import annotations

from ..settings import Settings
from .base import Publisher


def build_publishers(settings: Settings) -> dict[str, Publisher]:
    """The real clients for the enabled platforms, configured from ``settings``.

    In sandbox mode ``settings`` already points at the fake servers (see :mod:`bot.sandbox`).
    """
    publishers: dict[str, Publisher] = {}
    for name in settings.platforms:
        if name == "x":
            from .x import XPublisher

            publishers[name] = XPublisher.from_settings(settings)
        elif name == "facebook":
            from .facebook import FacebookPublisher

            publishers[name] = FacebookPublisher.from_settings(settings)
    return publishers
