"""Platform clients behind one interface (:class:`bot.platforms.base.Publisher`)."""

from __future__ import annotations

from bot.core.settings import Settings
from bot.platforms.base import Publisher


def build_publishers(settings: Settings) -> dict[str, Publisher]:
    """The real clients for the enabled platforms, configured from ``settings``.

    In sandbox mode ``settings`` already points at the fake servers (see :mod:`bot.sandbox`).
    """
    publishers: dict[str, Publisher] = {}
    for name in settings.platforms:
        if name == "x":
            from bot.platforms.x import XPublisher

            publishers[name] = XPublisher.from_settings(settings)
        elif name == "facebook":
            from bot.platforms.facebook import FacebookPublisher

            publishers[name] = FacebookPublisher.from_settings(settings)
    return publishers
