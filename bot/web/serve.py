"""``run_bot.py web``: the dashboard under waitress, a production WSGI server.

In sandbox mode the dashboard starts its own fake X and Facebook (like every other command), so
"send now" and "delete now" work without accounts; a daemon running beside it has its own.
"""

from __future__ import annotations

import logging

from waitress.server import create_server

from ..errors import AppealBotError
from ..runtime import start_runtime
from ..settings import Settings
from . import create_app

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
        server.run()
    return 0
