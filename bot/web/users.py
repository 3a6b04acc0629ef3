"""Dashboard accounts: the ``users`` table, managed with ``run_bot.py users``.

Only werkzeug password hashes are stored (scrypt, salted), never a password. Two roles:
``comms`` may queue, approve, edit and withdraw; ``viewer`` may only look. Removing a user or
changing their password ends their dashboard sessions (``web_sessions`` rows go with them), so a
leaver or a leaked password is shut out at once, not when a cookie expires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from bot.core.clock import to_iso
from bot.core.errors import AppealBotError, NotFound

Role = Literal["comms", "viewer"]
ROLES: tuple[Role, ...] = ("comms", "viewer")
MIN_PASSWORD_LENGTH = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
# Checked against when the name is unknown, so a wrong name costs as long as a wrong password
# and response times do not tell an attacker which names exist.
_DUMMY_HASH = generate_password_hash("appeal-bot-dummy-password")


class UserError(AppealBotError):
    """A user name, role or password was refused; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    created_at: str
    last_login_at: str | None

    @property
    def can_edit(self) -> bool:
        """Comms officers change the queue; viewers only read."""
        return self.role == "comms"


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UserError(
            f"user name {name!r}: use 1 to 64 letters, digits, '.', '_', '@' or '-'"
            " (starting with a letter or digit)"
        )
    return name


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise UserError(f"role {role!r}: use comms or viewer")
    return role


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


def add_user(db: sqlite_utils.Database, name: str, role: str, password: str, now: datetime) -> User:
    """Create an account. Refuses an existing name rather than silently resetting it."""
    _check_name(name)
    checked_role = _check_role(role)
    _check_password(password)
    if get_user(db, name) is not None:
        raise UserError(f"user {name!r} already exists (use `users passwd` to change it)")
    db.execute(
        "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
        [name, generate_password_hash(password), checked_role, to_iso(now)],
    )
    return User(name, checked_role, to_iso(now), None)


def get_user(db: sqlite_utils.Database, name: str) -> User | None:
    row = db.execute(
        "SELECT name, role, created_at, last_login_at FROM users WHERE name = ?", [name]
    ).fetchone()
    return User(*row) if row else None


def list_users(db: sqlite_utils.Database) -> list[User]:
    return [
        User(*row)
        for row in db.execute(
            "SELECT name, role, created_at, last_login_at FROM users ORDER BY name"
        ).fetchall()
    ]


def remove_user(db: sqlite_utils.Database, name: str) -> None:
    """Delete the account and, through the foreign key, every session it holds."""
    if get_user(db, name) is None:
        raise NotFound(f"no user {name!r}")
    db.execute("DELETE FROM web_sessions WHERE user_name = ?", [name])
    db.execute("DELETE FROM users WHERE name = ?", [name])


def set_password(db: sqlite_utils.Database, name: str, password: str) -> None:
    """Change a password and sign the user out everywhere."""
    if get_user(db, name) is None:
        raise NotFound(f"no user {name!r}")
    _check_password(password)
    db.execute(
        "UPDATE users SET password_hash = ? WHERE name = ?",
        [generate_password_hash(password), name],
    )
    db.execute("DELETE FROM web_sessions WHERE user_name = ?", [name])


def authenticate(db: sqlite_utils.Database, name: str, password: str, now: datetime) -> User | None:
    """The user if the password matches, else None (the same answer for an unknown name)."""
    row = db.execute("SELECT password_hash FROM users WHERE name = ?", [name]).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row[0], password):
        return None
    db.execute("UPDATE users SET last_login_at = ? WHERE name = ?", [to_iso(now), name])
    return get_user(db, name)
