"""The comms team's dashboard: a small Flask app over the same SQLite database as the daemon.

``create_app`` builds it; ``run_bot.py web`` serves it with waitress. See the README's
"Dashboard" section.
"""

from bot.web.app import create_app

__all__ = ["create_app"]
