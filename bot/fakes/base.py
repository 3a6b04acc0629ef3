"""The HTTP plumbing shared by the fake X and Facebook servers: real sockets on 127.0.0.1.

A fake subclasses :class:`FakeServer` and implements :meth:`FakeServer.route`. Faults are queued
with :meth:`FakeServer.inject` (in-process) or ``POST /_fake/faults`` with a JSON body
``{"name": ..., "times": 1}`` (from another process, e.g. a bot under test in a subprocess);
``GET /_fake/state`` returns the fake's stored posts for the same reason, and ``GET /_fake/kind``
names the fake ("x", "facebook"), so a sandbox can find one another process already serves.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

Clock = Callable[[], float]
# How the image files the platforms accept begin: PNG, JPEG, GIF, WebP (RIFF).
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")


@dataclass
class FakeRequest:
    """One request as the fake saw it. ``params`` merges the query string and a form body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    files: dict[str, bytes] = field(default_factory=dict)  # multipart file fields, by name

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def parse_multipart(content_type: str, body: bytes) -> dict[str, str | bytes] | None:
    """Form fields of a multipart body: files as bytes, plain fields as text."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    fields: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[name] = data if part.get_filename() else data.decode("utf-8", "replace")
    return fields


@dataclass
class FakeResponse:
    status: int
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """A canned misbehaviour, served instead of (or after) the real handling of a request.

    ``response`` replaces the answer; ``delay`` sleeps before answering; ``drop_after``
    handles the request for real (the post is stored) and then closes the connection without
    answering, as a network failure after the platform's success would.

    ``hold_after`` handles the request for real, then holds the answer this many seconds: the
    window in which a client killed after the platform's success has not recorded it yet.
    ``hold_before`` holds the request before handling it; if the fake is stopped (or
    :meth:`FakeServer.release_holds` is called) meanwhile, the request is dropped unhandled, as
    if it never reached the platform. Both end early on release, so a test never waits them out.
    """

    name: str
    response: FakeResponse | None = None
    delay: float = 0.0
    drop_after: bool = False
    hold_before: float = 0.0
    hold_after: float = 0.0
    method: str | None = None  # only requests with this method (None: any)
    path_contains: str | None = None
    times: int = 1


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read fake.requests
        return

    def _serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = FakeRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        request.params = {k: v[-1] for k, v in request.query.items()}
        content_type = headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded") and body:
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            request.params.update({k: v[-1] for k, v in form.items()})
        elif content_type.startswith("application/json") and body:
            try:
                request.json = json.loads(body)
            except ValueError:
                request.json = ValueError("invalid JSON")
        response, drop = fake.dispatch(request)
        if drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        self._send(response)

    def _send(self, response: FakeResponse) -> None:
        if isinstance(response.body, bytes):
            payload = response.body
            content_type = response.headers.get("content-type", "application/octet-stream")
        elif response.body is None:
            payload = b""
            content_type = "application/json"
        else:
            payload = json.dumps(response.body).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeServer


class FakeServer:
    """Base of the fakes: start/stop on 127.0.0.1, fault queue, request log, injected clock."""

    # Answered at GET /_fake/kind with ``sandbox_key``, so a sandbox in another process can tell
    # it is the one it wants (see bot.sandbox).
    KIND = "fake"
    sandbox_key = ""

    def __init__(self, clock: Clock = time.time, port: int = 0) -> None:
        self.clock = clock
        self.port = port  # to listen on; 0 = any free port
        self._lock = threading.RLock()
        self._faults: list[Fault] = []
        self.requests: list[FakeRequest] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._release = threading.Event()
        self._generation = 0  # moved on by forget_in_flight

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release_holds()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve_until_interrupted(self) -> None:
        """Block until Ctrl-C or SIGTERM's KeyboardInterrupt, then stop (standalone runs)."""
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults ----------------------------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Forget the faults still queued (requests already held stay held until released)."""
        with self._lock:
            self._faults.clear()

    def forget_in_flight(self) -> None:
        """For ``reset``: end every hold, and drop the requests still being answered (in a slow
        fault's delay) rather than let them reach the platform after it: one running fake serves
        many tests, and a post a timed-out client left behind must not land in the next test."""
        with self._lock:
            self._generation += 1
        self.release_holds()

    def release_holds(self) -> None:
        """End every hold now: held answers go out, requests held before handling are dropped."""
        with self._lock:
            self._release.set()
            self._release = threading.Event()

    def _hold(self, seconds: float) -> bool:
        """Wait ``seconds`` or until released; True when released early."""
        with self._lock:
            release = self._release
        return release.wait(seconds)

    def named_fault(self, name: str, times: int = 1) -> Fault:
        """Build one of this fake's named faults (subclasses list theirs); used by /_fake/faults."""
        raise KeyError(name)

    def _take_fault(self, request: FakeRequest) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method and fault.method != request.method:
                    continue
                if fault.path_contains and fault.path_contains not in request.path:
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # --- dispatch --------------------------------------------------------------------------
    def dispatch(self, request: FakeRequest) -> tuple[FakeResponse, bool]:
        """Answer one request: control endpoints, then faults, then the platform's route."""
        if request.path.startswith("/_fake/"):
            return self._control(request), False
        with self._lock:
            self.requests.append(request)
            generation = self._generation
        fault = self._take_fault(request)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.hold_before and self._hold(fault.hold_before):
            return FakeResponse(503), True  # released: the request never reached the platform
        if fault and fault.response is not None:
            return fault.response, False
        with self._lock:
            if generation != self._generation:
                return FakeResponse(503), True  # reset meanwhile: a finished test's request
            response = self.route(request)
        if fault and fault.hold_after:
            self._hold(fault.hold_after)
        return response, bool(fault and fault.drop_after)

    def _control(self, request: FakeRequest) -> FakeResponse:
        if request.path == "/_fake/faults" and request.method == "POST":
            spec = request.json if isinstance(request.json, dict) else {}
            try:
                self.inject(self.named_fault(str(spec.get("name")), int(spec.get("times", 1))))
            except KeyError:
                return FakeResponse(400, {"error": f"unknown fault {spec.get('name')!r}"})
            return FakeResponse(200, {"ok": True})
        if request.path == "/_fake/kind" and request.method == "GET":
            return FakeResponse(200, {"fake": self.KIND, "sandbox": self.sandbox_key})
        if request.path == "/_fake/state" and request.method == "GET":
            with self._lock:
                return FakeResponse(200, self.state())
        return FakeResponse(404, {"error": "unknown control endpoint"})

    def state(self) -> Any:
        """What the fake holds, as JSON (subclasses return their posts)."""
        return {}

    def route(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError
