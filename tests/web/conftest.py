"""The dashboard's tests: by default a sandbox bot on X and Facebook with two users (alice, comms;
victor, viewer) and its dashboard on a frozen clock (a module overrides ``settings`` or ``app``
for other settings or publishers). The browser tests share one Chromium for the whole run:
Debian's, never one from ``playwright install``. Each test gets a fresh context (its own
cookies and storage), and ``base_url``, the dashboard of the module's ``runtime`` under
waitress."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, sync_playwright
from waitress.server import create_server

from bot.core.db import open_db
from bot.core.settings import Settings
from bot.runtime import Runtime
from bot.web import create_app
from bot.web.users import add_user
from tests.factories import NOW, make_settings
from tests.web.signin import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One Chromium for the whole run (each test gets a fresh context: cookies and storage)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`,"
            " which `make test` does) to run the browser tests"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, PLATFORMS="x,facebook")


@pytest.fixture(scope="session")
def _with_users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the two users, made once: scrypt takes about 70 ms a password hash,
    and nearly every dashboard test wants both users in a database of its own."""
    path = tmp_path_factory.mktemp("users") / "users.db"
    db = open_db(path)
    add_user(db, "alice", "comms", PASSWORD, NOW)
    add_user(db, "victor", "viewer", PASSWORD, NOW)
    db.close()  # the last connection: its WAL is written back, the file is whole
    return path


@pytest.fixture
def db(settings: Settings, _with_users: Path) -> sqlite_utils.Database:
    """The test's own database, with alice (comms) and victor (viewer)."""
    shutil.copyfile(_with_users, settings.database_path)
    return open_db(settings.database_path)


@pytest.fixture
def app(settings: Settings, db: sqlite_utils.Database) -> Flask:
    return create_app(settings, clock=lambda: NOW, testing=True)


def stop_waitress(server: Any, thread: threading.Thread) -> None:
    """Close waitress's sockets from its own loop thread (closing them from another thread
    races its select() into EBADF); an empty socket map ends the loop."""

    def close_all() -> None:
        for channel in list(server._map.values()):
            channel.close()

    server.trigger.pull_trigger(close_all)
    thread.join(timeout=5)
    server.task_dispatcher.shutdown()
    assert not thread.is_alive(), "waitress did not stop"


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    """The dashboard under waitress (as ``run_bot.py web`` serves it) on a free port."""
    app = create_app(runtime.settings, runtime.publishers)
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stop_waitress(server, thread)
