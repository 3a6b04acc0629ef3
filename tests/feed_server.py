"""A real HTTP feed server on 127.0.0.1 for tests: conditional GET, faults, a request log.

Ask for the fixture explicitly in each test module that needs it::

    if TYPE_CHECKING:
        from tests.feed_server import FeedServer

    pytest_plugins = ["tests.feed_server"]

    def test_poll(feed_server: FeedServer) -> None:
        url = feed_server.serve("/appeals.xml", body, etag='"v1"')

A route answers 304 when the request's If-None-Match matches its ``etag`` (or, without
If-None-Match, when If-Modified-Since is no earlier than its ``last_modified``), as RFC 9110 says.
Faults are options of the route: ``delay`` before the status line, ``trickle`` between chunks,
``chunked`` (no Content-Length), ``declared_length`` (a Content-Length that lies), ``status``.
``expect_headers`` makes the server itself check a request header: a request without it gets a
400 and is recorded in ``failures``, which the fixture turns into a failed test.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@dataclass
class FeedRoute:
    """What the server answers on one path; see the module docstring for the fault options."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    chunked: bool = False
    chunk_size: int = 16 * 1024
    trickle: float = 0.0
    declared_length: int | None = None
    expect_headers: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SeenRequest:
    """A request as the server received it; header names are lower case."""

    method: str
    path: str
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # tests read feed_server.requests
        return

    def do_GET(self) -> None:
        owner = self.server.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.split("?", 1)[0]
        owner._record(SeenRequest(self.command, path, headers))
        route = owner.routes.get(path)
        if route is None:
            self._answer(404, b"no such feed", "text/plain")
            return
        for name, expected in route.expect_headers.items():
            got = headers.get(name.lower())
            if got != expected:
                owner.failures.append(f"{path}: expected {name}: {expected!r}, got {got!r}")
                self._answer(400, f"missing or wrong {name}".encode(), "text/plain")
                return
        if route.delay and owner.stopping.wait(route.delay):
            return
        if route.status == 200 and _not_modified(route, headers):
            self._answer(304, b"", None, _validators(route))
            return
        extra = {**_validators(route), **route.headers}
        if route.chunked:
            self._answer_chunked(route, extra)
        else:
            self._answer(route.status, route.body, route.content_type, extra, route)

    def _answer(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        extra: dict[str, str] | None = None,
        route: FeedRoute | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status != 304:
            declared = route.declared_length if route else None
            self.send_header("Content-Length", str(len(body) if declared is None else declared))
        if route and route.declared_length is not None:
            # The body will be short of what was promised: end the connection after it.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if status != 304:
            self._write_slowly(body, route)

    def _answer_chunked(self, route: FeedRoute, extra: dict[str, str]) -> None:
        self.send_response(route.status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(route.body), route.chunk_size):
            chunk = route.body[start : start + route.chunk_size]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
            if route.trickle and self.server.owner.stopping.wait(route.trickle):
                return
        self.wfile.write(b"0\r\n\r\n")

    def _write_slowly(self, body: bytes, route: FeedRoute | None) -> None:
        if not (route and route.trickle):
            self.wfile.write(body)
            return
        for start in range(0, len(body), route.chunk_size):
            self.wfile.write(body[start : start + route.chunk_size])
            self.wfile.flush()
            if self.server.owner.stopping.wait(route.trickle):
                return


def _validators(route: FeedRoute) -> dict[str, str]:
    found = {"ETag": route.etag, "Last-Modified": route.last_modified}
    return {k: v for k, v in found.items() if v}


def _not_modified(route: FeedRoute, headers: dict[str, str]) -> bool:
    if "if-none-match" in headers:
        tags = [t.strip() for t in headers["if-none-match"].split(",")]
        return route.etag is not None and (route.etag in tags or "*" in tags)
    since = headers.get("if-modified-since")
    if since and route.last_modified:
        try:
            return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: FeedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, size limit) closes mid-answer: expected, not news.
        return


class FeedServer:
    """Serves feeds on 127.0.0.1 on a free port; ``serve()`` adds or replaces a route."""

    def __init__(self) -> None:
        self.routes: dict[str, FeedRoute] = {}
        self.requests: list[SeenRequest] = []
        self.failures: list[str] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(self, path: str, body: bytes = b"", **options: Any) -> str:
        """Answer GET ``path`` with ``body`` (and FeedRoute ``options``); returns the full URL."""
        self.routes[path] = FeedRoute(body=body, **options)
        return self.url(path)

    def serve_file(self, path: str, file: Path, **options: Any) -> str:
        return self.serve(path, file.read_bytes(), **options)

    def requests_to(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _record(self, request: SeenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> FeedServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers sleeping in delay/trickle
        if self._server is not None:
            self._server.shutdown()
            with contextlib.suppress(OSError):
                self._server.server_close()
            self._server = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started FeedServer; the test fails if a route's expected header was not sent."""
    with FeedServer() as server:
        yield server
    assert not server.failures, "the feed server refused requests: " + "; ".join(server.failures)
