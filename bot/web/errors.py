"""Error pages in the dashboard's own layout, saying what went wrong in plain words."""

from __future__ import annotations

import errno
import sqlite3

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

TITLES = {
    400: "That request was refused",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too much data",
}


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return (
            render_template(
                "error.html",
                code=code,
                title=TITLES.get(code, "Something went wrong"),
                message=error.description,
            ),
            code,
        )

    @app.errorhandler(sqlite3.OperationalError)
    def _database_busy(error: sqlite3.OperationalError) -> tuple[str, int]:
        if is_disk_full(error):
            return _disk_full()
        if "locked" not in str(error) and "busy" not in str(error):
            raise error
        return (
            render_template(
                "error.html",
                code=503,
                title="The database is busy",
                message="Another process (the bot, or a command) held the database for over"
                " 10 seconds. Nothing was changed; try again in a moment.",
            ),
            503,
        )

    @app.errorhandler(OSError)
    def _os_error(error: OSError) -> tuple[str, int]:
        if not is_disk_full(error):
            raise error
        return _disk_full()


def is_disk_full(error: BaseException) -> bool:
    """SQLite's "database or disk is full" (SQLITE_FULL) or the system's ENOSPC / EDQUOT."""
    if isinstance(error, sqlite3.OperationalError):
        return "disk is full" in str(error) or getattr(error, "sqlite_errorcode", 0) == 13
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def _disk_full() -> tuple[str, int]:
    """A plain page, not a generic 500: the people who can fix it need to know what it is."""
    return (
        render_template(
            "error.html",
            code=507,
            title="The server's disk is full",
            message="The server has no room left to save changes, so nothing was changed."
            " Tell whoever looks after the server; the bot keeps what it already saved.",
        ),
        507,
    )
