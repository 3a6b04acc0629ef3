"""What one dashboard request carries: its database connection, its signed-in user and the
session's CSRF token. Shared by the app factory and the views without either importing the other."""

from __future__ import annotations

import secrets

import sqlite_utils
from flask import current_app, g, session

from bot.core.db import open_db
from bot.web.users import User


def get_db() -> sqlite_utils.Database:
    """This request's connection, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = open_db(current_app.config["DATABASE_PATH"])
    db: sqlite_utils.Database = g.db
    return db


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def csrf_token() -> str:
    """The session's CSRF token, made on first use (the login form makes the first)."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)
