"""Server-side sessions in SQLite (``web_sessions``), behind Flask's ordinary ``session`` object.

The cookie holds only a random id, signed with the secret key; the database holds a SHA-256 of
that id and the session's data. So logging out, removing a user or changing a password ends the
session for real (the row is gone), and a copy of the database does not hand out live cookies.
The cookie is HttpOnly and SameSite=Lax, and Secure whenever the request came over TLS (directly
or, with ``--proxy``, as the reverse proxy reports it).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils
from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer
from werkzeug.datastructures import CallbackDict

from bot.core.clock import to_iso

COOKIE_NAME = "appeal_bot_session"
# A signed-in session lasts a working day from sign-in (it is not extended by use, so a cookie
# left on a shared computer dies the same evening); an anonymous one (a login form's CSRF token)
# an hour, since nobody is behind it yet.
LIFETIME = timedelta(hours=8)
ANONYMOUS_LIFETIME = timedelta(hours=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """A session whose data lives in the database; ``rotate()`` gives it a fresh id."""

    def __init__(self, data: dict[str, Any] | None = None, token: str | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.token = token
        self.new = token is None
        self.modified = False
        self.rotated_from: str | None = None

    def rotate(self) -> None:
        """New id after login, so an id planted before login (session fixation) is worthless."""
        if self.token is not None:
            self.rotated_from = self.token
        self.token = None
        self.modified = True


class SqliteSessionInterface(SessionInterface):
    """Flask session interface storing sessions in ``web_sessions`` via ``get_db``."""

    def __init__(
        self, get_db: Callable[[], sqlite_utils.Database], clock: Callable[[], datetime]
    ) -> None:
        self.get_db = get_db
        self.clock = clock

    def _signer(self, app: Flask) -> Signer:
        return Signer(str(app.secret_key), salt="appeal-bot-session")

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        cookie = request.cookies.get(COOKIE_NAME)
        if not cookie:
            return ServerSession()
        try:
            token = self._signer(app).unsign(cookie).decode()
        except BadSignature:
            return ServerSession()
        row = (
            self.get_db()
            .execute(
                "SELECT data FROM web_sessions WHERE id_hash = ? AND expires_at > ?",
                [_hash(token), to_iso(self.clock())],
            )
            .fetchone()
        )
        if row is None:
            return ServerSession()
        return ServerSession(json.loads(row[0]), token)

    def save_session(
        self,
        app: Flask,
        session: SessionMixin,
        response: Response,
    ) -> None:
        assert isinstance(session, ServerSession)
        db = self.get_db()
        secure = app.config.get("SESSION_COOKIE_SECURE") or _request_is_secure()
        if session.rotated_from is not None:
            db.execute("DELETE FROM web_sessions WHERE id_hash = ?", [_hash(session.rotated_from)])
            session.rotated_from = None
        if not session:
            if session.token is not None:
                db.execute("DELETE FROM web_sessions WHERE id_hash = ?", [_hash(session.token)])
                response.delete_cookie(COOKIE_NAME, path="/", secure=secure, samesite="Lax")
            return
        if not session.modified and not session.new:
            return
        # The expiry is set when the row is made (signing in always makes a new one) and never
        # moved by later changes such as a flashed message, so use does not extend a session.
        now = self.clock()
        lifetime = LIFETIME if session.get("user") else ANONYMOUS_LIFETIME
        if session.token is None:
            session.token = secrets.token_urlsafe(32)
        db.execute(
            "INSERT INTO web_sessions (id_hash, user_name, data, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id_hash) DO UPDATE SET"
            " user_name = excluded.user_name, data = excluded.data",
            [
                _hash(session.token),
                session.get("user"),
                json.dumps(dict(session)),
                to_iso(now),
                to_iso(now + lifetime),
            ],
        )
        response.set_cookie(
            COOKIE_NAME,
            self._signer(app).sign(session.token).decode(),
            httponly=True,
            samesite="Lax",
            secure=bool(secure),
            path="/",
        )


def _request_is_secure() -> bool:
    from flask import request

    return request.is_secure


def purge_expired(db: sqlite_utils.Database, now: datetime) -> None:
    """Drop expired sessions; called at each login so the table stays small."""
    db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [to_iso(now)])


def secret_key(db: sqlite_utils.Database, configured: str) -> str:
    """WEB_SECRET_KEY, or a random key made once and kept in the database, so cookies survive
    a restart and every dashboard process on one database agrees."""
    if configured:
        return configured
    db.execute(
        "INSERT OR IGNORE INTO web_keys (name, value) VALUES ('secret_key', ?)",
        [secrets.token_urlsafe(48)],
    )
    return str(db.execute("SELECT value FROM web_keys WHERE name = 'secret_key'").fetchone()[0])
