import socket

import pytest

from tests.conftest import OffLoopbackConnection


def test_connection_off_loopback_fails_the_test() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(OffLoopbackConnection):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed, should the guard fail
    sock.close()


def test_loopback_connection_is_allowed() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=2)
    client.close()
    server.close()
