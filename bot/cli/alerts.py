"""``alert-test``: send a test alert to every ALERT_URLS destination."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command

if TYPE_CHECKING:
    from bot.core.settings import Settings


def alert_test(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.alerts import TITLE_PREFIX, notifier_for
    from bot.core.errors import AppealBotError

    notifier = notifier_for(settings.alert_urls, settings.secrets())
    if notifier is None:
        raise AppealBotError(
            "ALERT_URLS is not set: there is nowhere to send alerts (README: Alerts)"
        )
    delivered = notifier.notify(
        TITLE_PREFIX + "test alert",
        "This is a test from appeal-bot: its alerts reach you. Nothing needs doing.",
    )
    if not delivered:
        raise AppealBotError(
            "the test alert could not be delivered: check ALERT_URLS (the address, password or"
            " token in each URL) and that this machine can reach it"
        )
    count = len(settings.alert_urls)
    print(f"test alert sent to {count} destination{'s' if count != 1 else ''}")
    return 0


COMMANDS = [Command("alert-test", "send a test alert to ALERT_URLS", alert_test)]
