"""Where appeal cards are kept: files readable by the bot's user only, beside the database.

A card shows a missing person's face and details, so it is personal data like the database:
the folder is ``<DATABASE_PATH>-cards`` (mode 0700), each file 0600, named by a hash of the
appeal's id (never the person's name), the platform and the version of the card's facts, e.g.
``3f2a…-x-9b1c….png``. A new version replaces the old one; withdrawal and the retention purge
delete every card of the appeal (:func:`delete_cards`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import sqlite_utils

_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg"}


def cards_dir(db: sqlite_utils.Database) -> Path | None:
    """The card folder of the database's file; None for an in-memory database (no cache)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            path = Path(file)
            return path.with_name(path.name + "-cards")
    return None


def _key(item_id: str) -> str:
    return hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:24]


def find_card(directory: Path, item_id: str, platform: str, version: str) -> Path | None:
    """The stored card of this version, if made already."""
    for suffix in _SUFFIXES.values():
        path = directory / f"{_key(item_id)}-{platform}-{version}{suffix}"
        if path.is_file():
            return path
    return None


def save_card(
    directory: Path, item_id: str, platform: str, version: str, data: bytes, content_type: str
) -> Path:
    """Write the card 0600 (atomically: a reader never sees half a file) and remove the
    platform's older versions of the appeal's card."""
    directory.mkdir(mode=0o700, exist_ok=True)
    name = f"{_key(item_id)}-{platform}-{version}{_SUFFIXES[content_type]}"
    path = directory / name
    partial = directory / f".{name}.{os.getpid()}.part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(partial, path)
    for old in directory.glob(f"{_key(item_id)}-{platform}-*"):
        if old != path:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
    return path


def card_files(db: sqlite_utils.Database, item_id: str) -> list[Path]:
    """Every stored card of the appeal, any platform or version."""
    directory = cards_dir(db)
    if directory is None or not directory.is_dir():
        return []
    return sorted(directory.glob(f"{_key(item_id)}-*"))


def delete_cards(db: sqlite_utils.Database, item_id: str) -> int:
    """Delete every stored card of the appeal. Returns how many files went."""
    removed = 0
    for path in card_files(db, item_id):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed
