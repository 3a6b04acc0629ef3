"""``users``: the dashboard's accounts."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli.command import Command, emit_json, existing_db

if TYPE_CHECKING:
    from bot.core.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a user (password asked at a prompt)")
    add.add_argument("name", metavar="NAME", help="user name")
    add.add_argument(
        "--role",
        choices=["comms", "viewer"],
        required=True,
        help="comms: queue, approve, edit, withdraw; viewer: read only",
    )
    listing = actions.add_parser("list", help="list users and their roles")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    remove = actions.add_parser("remove", help="remove a user and end their sessions")
    remove.add_argument("name", metavar="NAME", help="user name")
    passwd = actions.add_parser("passwd", help="change a user's password and end their sessions")
    passwd.add_argument("name", metavar="NAME", help="user name")
    for action in (add, passwd):
        action.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of stdin instead of a prompt",
        )


def _read_password(args: argparse.Namespace) -> str:
    """From stdin with --password-stdin (for scripts), else typed twice at a hidden prompt."""
    import getpass

    from bot.core.errors import AppealBotError

    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    try:
        first = getpass.getpass("Password: ")
        again = getpass.getpass("Password again: ")
    except EOFError:
        raise AppealBotError("no password typed; nothing changed") from None
    if again != first:
        raise AppealBotError("the two passwords differ; nothing changed")
    return first


def manage_users(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import local_text, utcnow
    from bot.core.db import open_db
    from bot.core.display import table
    from bot.web import users

    # Accounts can be made before anything else has run; listing never creates the database.
    db = existing_db(settings) if args.action == "list" else open_db(settings.database_path)
    if args.action == "add":
        user = users.add_user(db, args.name, args.role, _read_password(args), utcnow())
        print(f"added {user.name} ({user.role})")
    elif args.action == "passwd":
        users.set_password(db, args.name, _read_password(args))
        print(f"password of {args.name} changed; their dashboard sessions are signed out")
    elif args.action == "remove":
        users.remove_user(db, args.name)
        print(f"removed {args.name}")
    elif getattr(args, "json", False):
        emit_json(
            [
                {
                    "name": u.name,
                    "role": u.role,
                    "created_at": u.created_at,
                    "last_login_at": u.last_login_at,
                }
                for u in users.list_users(db)
            ]
        )
    else:
        rows = [
            {
                "name": u.name,
                "role": u.role,
                "created": local_text(u.created_at, settings.timezone),
                "last_login": local_text(u.last_login_at, settings.timezone),
            }
            for u in users.list_users(db)
        ]
        if not rows:
            print("no users yet: add one with `run_bot.py users add NAME --role comms`")
            return 0
        print(
            table(
                rows,
                [
                    ("name", "name", 40),
                    ("role", "role", 6),
                    ("created", "created", 16),
                    ("last_login", "last sign-in", 16),
                ],
            )
        )
    return 0


COMMANDS = [
    Command("users", "dashboard accounts: users add|list|remove|passwd", manage_users, arguments)
]
