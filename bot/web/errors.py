"""Error pages in the dashboard's own layout, saying what went wrong in plain words."""

from __future__ import annotations

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
