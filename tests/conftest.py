"""Shared fixtures. The network guard makes any connection off 127.0.0.1 fail the test; the
logging a command sets up (``main`` installs a stderr handler) ends with the test."""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

# Fixtures shared by several modules.
from tests.live_fakes import (  # noqa: F401
    bluesky,
    bluesky_server,
    live,
    live_facebook,
    live_options,
    live_x,
    mastodon,
    mastodon_server,
    photos,
    wall_clock,
)
from tests.regional_fakes import fakes  # noqa: F401

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class OffLoopbackConnection(AssertionError):
    """A test tried to reach the internet: tests may only talk to servers on 127.0.0.1."""


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise OffLoopbackConnection(f"connection to non-numeric host {host!r} refused") from None
    if not ip.is_loopback:
        raise OffLoopbackConnection(f"connection to {host} refused: tests stay on 127.0.0.1")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main`` installs a stderr handler on the root logger; put the old ones back afterwards,
    so no later test logs into this test's closed capture stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    bot_level = logging.getLogger("appeal_bot").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("appeal_bot").setLevel(bot_level)
