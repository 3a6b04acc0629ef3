"""``GET /healthz``: the bot's health for a monitoring system, without signing in.

200 when healthy, 503 when not, with :meth:`bot.core.healthcheck.Health.as_dict` as JSON either way.
Open to anyone who can reach the dashboard, so it says nothing personal: states, times and
platform names only, not even the daemon's host and process id (see
:mod:`bot.core.healthcheck`).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from bot.web.context import get_db

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[Response, int]:
    from bot.core.healthcheck import check_health

    extension = current_app.extensions["appeal_bot"]
    found = check_health(get_db(), extension["settings"], extension["clock"]())
    return jsonify(found.public().as_dict()), 200 if found.ok else 503
