"""Everything a command needs at run time: settings, publishers and, in sandbox mode, the fakes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlite_utils

from bot.core.db import open_db
from bot.core.settings import Settings
from bot.platforms import build_publishers
from bot.platforms.base import Publisher

if TYPE_CHECKING:
    from bot.sandbox import Sandbox

log = logging.getLogger("appeal_bot")


@dataclass
class Runtime:
    settings: Settings
    publishers: dict[str, Publisher]
    sandbox: Sandbox | None = None

    def db(self) -> sqlite_utils.Database:
        return open_db(self.settings.database_path)

    def announce_sandbox(self) -> None:
        """Log, for a long-running process (the daemon, the dashboard), a sandbox port held by
        another database's sandbox, so this process runs a practice server of its own."""
        if self.sandbox is not None and self.sandbox.notes:
            log.warning("sandbox: %s", "; ".join(self.sandbox.notes))


@contextmanager
def start_runtime(
    settings: Settings, with_feeds: bool = True, *, share: bool = True
) -> Iterator[Runtime]:
    """Start the sandbox if configured, then build the real clients pointed at it or the APIs.

    The sandbox always serves the sample feeds and their photos, so photos queued by an earlier
    command can still be fetched; ``with_feeds=False`` only skips them when nothing needs them.
    ``share`` (the default) joins the sandbox another process already runs on the same database,
    so the daemon, the dashboard and each command see the same posts; the demo keeps its own.
    """
    sandbox = None
    if settings.sandbox:
        # Only a sandbox needs the fake platforms (and the images they draw): a live process
        # does not carry them.
        from bot.sandbox import SANDBOX_FEED_PORT, Sandbox, sandbox_key

        sandbox = Sandbox().start(
            with_feeds=with_feeds,
            feed_port=SANDBOX_FEED_PORT if share else 0,
            share=share,
            key=sandbox_key(settings.database_path),
        )
    try:
        if sandbox is not None:
            settings = sandbox.configure(settings)
        yield Runtime(settings, build_publishers(settings), sandbox)
    finally:
        if sandbox is not None:
            sandbox.stop()
