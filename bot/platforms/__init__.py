"""Platform clients behind one interface (:class:`bot.platforms.base.Publisher`)."""

from __future__ import annotations

from bot.core.errors import ConfigError
from bot.core.settings import Settings
from bot.platforms.base import Publisher

# What each platform needs to post live, named as the settings name them.
_CREDENTIALS = {
    "x": "X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET",
    "facebook": "FACEBOOK_PAGE_ID and FACEBOOK_PAGE_ACCESS_TOKEN",
    "bluesky": "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD",
    "mastodon": "MASTODON_API_BASE_URL and MASTODON_ACCESS_TOKEN",
}


def missing_credentials(settings: Settings, platform: str) -> str | None:
    """Why ``platform`` cannot post live with ``settings``, or None if it can try.

    The one check behind both ``run`` (which refuses to start) and ``status`` (which shows the
    platform as not ready), so the two can never disagree. The sandbox needs none.
    """
    if settings.sandbox:
        return None
    configured = {
        "x": bool(settings.x_api_key),
        "facebook": bool(settings.facebook_pages),
        "bluesky": settings.bluesky_credentials_set,
        "mastodon": settings.mastodon_credentials_set,
    }
    if configured.get(platform, True):
        return None
    return f"no credentials: set {_CREDENTIALS[platform]} (or SANDBOX=1 to rehearse)"


def build_publishers(settings: Settings) -> dict[str, Publisher]:
    """The real clients for the enabled platforms, configured from ``settings``.

    In sandbox mode ``settings`` already points at the fake servers (see :mod:`bot.sandbox`).
    Raises :class:`ConfigError` for an enabled platform with no credentials in live mode.
    """
    publishers: dict[str, Publisher] = {}
    for name in settings.platforms:
        missing = missing_credentials(settings, name)
        if missing:
            raise ConfigError(f"PLATFORMS={name}", missing)
        if name == "x":
            from bot.platforms.x import XPublisher

            publishers[name] = XPublisher.from_settings(settings)
        elif name == "facebook":
            from bot.platforms.facebook import FacebookPublisher

            publishers[name] = FacebookPublisher.from_settings(settings)
        elif name == "bluesky":
            from bot.platforms.bluesky import BlueskyPublisher

            publishers[name] = BlueskyPublisher.from_settings(settings)
        elif name == "mastodon":
            from bot.platforms.mastodon import MastodonPublisher

            publishers[name] = MastodonPublisher.from_settings(settings)
    return publishers
