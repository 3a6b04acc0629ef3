"""``run``: the daemon."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from bot.cli.command import Command

if TYPE_CHECKING:
    from bot.core.settings import Settings

log = logging.getLogger("appeal_bot")


def run(settings: Settings, args: argparse.Namespace) -> int:
    import threading

    from bot.runtime import start_runtime
    from bot.scheduler import Daemon, exit_now, install_stop_signals

    stop = threading.Event()
    restore = install_stop_signals(stop)
    try:
        with start_runtime(settings) as runtime:
            runtime.announce_sandbox()
            if runtime.sandbox:
                log.info(
                    "sandbox mode: X at %s, Facebook at %s",
                    runtime.settings.x_api_base_url,
                    runtime.settings.facebook_graph_url,
                )
            finished = Daemon(runtime.settings, runtime.publishers, stop=stop).run()
    finally:
        restore()
    if not finished:
        exit_now(0)
    return 0


COMMANDS = [
    Command("run", "run the daemon: poll feeds, post at the slots, delete withdrawn appeals", run)
]
