"""The app factory: settings in, a Flask app out, with accounts, CSRF and security headers.

The daemon and the dashboard are two processes on one database, so the app opens one connection
per request (WAL and the busy timeout of :func:`bot.core.db.open_db` make them share politely) and
never caches queue state between requests.

Access rules live here, in one ``before_request`` hook, not in each view, so a new page cannot
forget them: every page but the login form and ``/healthz`` needs a signed-in user (else a
redirect to the login page, or 401 for a POST); every POST needs the session's CSRF token (else
400); every POST but logging in and out needs the ``comms`` role (else 403).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, redirect, request, session, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.core.clock import from_iso, local_text, local_times_in, utcnow
from bot.core.settings import KNOWN_PLATFORMS, Settings
from bot.platforms.base import Publisher
from bot.posts.manual import PhotoCheck
from bot.web import words
from bot.web.context import csrf_token, current_user, get_db
from bot.web.photos import check_photo
from bot.web.preview import preview
from bot.web.sessions import SqliteSessionInterface, secret_key
from bot.web.throttle import LoginThrottle
from bot.web.users import get_user

# Endpoints anyone may reach without signing in.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "health.healthz"})
# POSTs a viewer may make: signing in and out change nothing in the queue.
ANY_ROLE_POSTS = frozenset({"auth.login", "auth.logout"})

# No inline script or style at all: if feed text ever slipped past escaping, the browser would
# still refuse to run it. Photos come from the charity's site, so any https/http image is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:;"
    " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(
    settings: Settings,
    publishers: Mapping[str, Publisher] | None = None,
    *,
    behind_proxy: bool = False,
    clock: Callable[[], datetime] = utcnow,
    testing: bool = False,
    photo_check: PhotoCheck | None = None,
) -> Flask:
    """Build the dashboard.

    ``publishers`` (from :func:`bot.runtime.start_runtime`) let "send now" and "delete now" act
    at once; without them those buttons are hidden and the daemon does the work at its next
    tick. ``behind_proxy`` trusts one reverse proxy's X-Forwarded-For/Proto/Host/Prefix headers
    (werkzeug's ProxyFix): only set it when a proxy really is in front, or clients could forge
    their address and scheme. ``photo_check`` fetches a photo the Add form names, to warn before
    saving (default :func:`bot.web.photos.check_photo`).
    """
    app = Flask(__name__)
    app.config.update(
        DATABASE_PATH=str(Path(settings.database_path)),
        TESTING=testing,
        MAX_CONTENT_LENGTH=256 * 1024,
        SESSION_COOKIE_SECURE=False,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["appeal_bot"] = {
        "settings": settings,
        "publishers": dict(publishers or {}),
        "clock": clock,
        "login_throttle": LoginThrottle(),
        "photo_check": photo_check
        or functools.partial(check_photo, allow_private_addresses=settings.allow_private_addresses),
    }
    with app.app_context():
        app.secret_key = secret_key(get_db(), settings.web_secret_key)
    app.session_interface = SqliteSessionInterface(get_db, clock)
    if behind_proxy:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1
        )

    @app.teardown_appcontext
    def _close_db(_: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.before_request
    def _guard() -> Any:
        name = session.get("user")
        g.user = get_user(get_db(), name) if name else None
        if name and g.user is None:
            session.clear()  # the account was removed: this session is over
        endpoint = request.endpoint or ""
        if g.user is None and endpoint not in PUBLIC_ENDPOINTS:
            if request.method == "POST":
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if request.method == "POST":
            sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
            expected = session.get("csrf") or ""
            if not expected or not hmac.compare_digest(str(sent), str(expected)):
                abort(400, "The form's security token is missing or out of date.")
            if endpoint not in ANY_ROLE_POSTS and not (g.user and g.user.can_edit):
                abort(403, "Your account can look but not change anything (viewer role).")
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {
            "csrf_token": csrf_token,
            "user": current_user(),
            "zone": settings.timezone.key,
            "sandbox": settings.sandbox,
            "status_word": lambda status: words.POST_STATUS_WORDS.get(status, status),
            "platform_name": words.platform_name,
            "known_platforms": KNOWN_PLATFORMS,
            "place_name": lambda platform, target="": words.place_name(settings, platform, target),
            "kind_word": words.kind_word,
            "action_word": words.action_word,
            "outcome_word": words.outcome_word,
            "preview": preview,
        }

    @app.template_filter("http_url")
    def _http_url(value: str | None) -> str | None:
        """Only http(s) links become hrefs: a feed's ``javascript:`` link must never be one."""
        if value and value.strip().lower().startswith(("https://", "http://")):
            return value
        return None

    @app.template_filter("host")
    def _host(value: str | None) -> str:
        """A link's site, as a link card shows it ("charity.example")."""
        host = urlsplit(value or "").hostname or ""
        return host.removeprefix("www.")

    @app.template_filter("local")
    def _local(value: str | None) -> str:
        """A stored time in TIMEZONE with its zone ("2026-11-25 09:00 GMT"), "-" for none."""
        if not value:
            return local_text(value, settings.timezone)
        zone_name = from_iso(value).astimezone(settings.timezone).strftime("%Z")
        return f"{local_text(value, settings.timezone)} {zone_name}"

    @app.template_filter("local_input")
    def _local_input(value: str | None) -> str:
        """A stored time as a ``datetime-local`` field's value, in TIMEZONE."""
        return local_text(value, settings.timezone).replace(" ", "T") if value else ""

    @app.template_filter("local_times")
    def _local_times(value: str | None) -> str:
        return local_times_in(value or "", settings.timezone)

    from bot.web.cards import card_preview, cards
    from bot.web.errors import register_errors
    from bot.web.healthz import health
    from bot.web.views import auth, pages

    app.register_blueprint(auth)
    app.register_blueprint(pages)
    app.register_blueprint(health)
    app.register_blueprint(cards)
    app.jinja_env.globals["card_preview"] = card_preview
    register_errors(app)
    return app
