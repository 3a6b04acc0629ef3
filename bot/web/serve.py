"""``run_bot.py web``: the dashboard under waitress, a production WSGI server.

In sandbox mode the dashboard joins the sandbox a daemon on the same database serves (or serves
one itself), so "send now" and "delete now" work without accounts. SIGTERM (a service manager's
stop) ends it as cleanly as Ctrl-C: requests in progress finish, the exit code is 0.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

from waitress.server import create_server

from bot.core.errors import AppealBotError
from bot.core.settings import Settings
from bot.runtime import start_runtime
from bot.web import create_app

log = logging.getLogger("appeal_bot")


def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    behind_proxy: bool = False,
) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    host = host or settings.web_host
    port = port or settings.web_port
    with start_runtime(settings, with_feeds=False) as runtime:
        runtime.announce_sandbox()
        app = create_app(runtime.settings, runtime.publishers, behind_proxy=behind_proxy)
        try:
            server = create_server(
                app,
                host=host,
                port=port,
                threads=8,
                ident="appeal-bot",
                # Only a trusted proxy's forwarded headers count, and only with --proxy.
                trusted_proxy=None,
                clear_untrusted_proxy_headers=False,
            )
        except OSError as error:
            raise AppealBotError(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
                " (another program has the port? try --port)"
            ) from None
        log.info(
            "dashboard on http://%s:%s/%s", host, port, " (behind a proxy)" if behind_proxy else ""
        )
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.run()  # returns on KeyboardInterrupt, after its threads finish their requests
        finally:
            signal.signal(signal.SIGTERM, previous)
        log.info("dashboard stopped")
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM as Ctrl-C: waitress stops cleanly on KeyboardInterrupt."""
    raise KeyboardInterrupt
