"""``web``: serve the dashboard."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import Command

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default WEB_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default WEB_PORT, 8080)")
    parser.add_argument(
        "--proxy",
        action="store_true",
        help="behind one reverse proxy: trust its X-Forwarded-For/Proto/Host/Prefix headers",
    )


def web(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.settings import check_port
    from bot.web.serve import serve

    if args.port is not None:
        check_port("--port", args.port)
    return serve(settings, host=args.host, port=args.port, behind_proxy=args.proxy)


COMMANDS = [
    Command(
        "web", "serve the comms team's dashboard (waitress) on WEB_HOST:WEB_PORT", web, arguments
    )
]
