"""Everything a command needs at run time: settings, publishers and, in sandbox mode, the fakes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlite_utils

from .db import open_db
from .platforms import build_publishers
from .platforms.base import Publisher
from .sandbox import Sandbox
from .settings import Settings


@dataclass
class Runtime:
    settings: Settings
    publishers: dict[str, Publisher]
    sandbox: Sandbox | None = None

    def db(self) -> sqlite_utils.Database:
        return open_db(self.settings.database_path)


@contextmanager
def start_runtime(settings: Settings, with_feeds: bool = True) -> Iterator[Runtime]:
    """Start the sandbox if configured, then build the real clients pointed at it or the APIs."""
    sandbox = Sandbox().start(with_feeds=with_feeds) if settings.sandbox else None
    try:
        if sandbox is not None:
            settings = sandbox.configure(settings)
        yield Runtime(settings, build_publishers(settings), sandbox)
    finally:
        if sandbox is not None:
            sandbox.stop()
