"""The charity's website for the Bluesky and Mastodon tests: a small photo, a wide one, one too big
for Bluesky's blob limit (noise does not compress), and a page that is not a photo."""

from __future__ import annotations

import contextlib
import io
import random
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

from bot.fakes.images import png


def noise_png(width: int, height: int) -> bytes:
    """A PNG of random pixels: about 3 bytes a pixel whatever the encoder does."""
    pixels = random.Random(width * height).randbytes(width * height * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(buffer, "PNG")
    return buffer.getvalue()


FILES: dict[str, tuple[str, bytes]] = {
    "/photo.png": ("image/png", png(64, 64, (40, 90, 160))),
    "/wide.png": ("image/png", png(120, 40, (200, 30, 30))),
    "/huge.png": ("image/png", noise_png(800, 600)),
    "/moved.png": ("text/html; charset=utf-8", b"<html><body>This page has moved</body></html>"),
}


Files = Mapping[str, tuple[str, bytes]]  # path -> (Content-Type, body)


class _Handler(BaseHTTPRequestHandler):
    server: _Site

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        if self.path not in self.server.files:
            self.send_error(404)
            return
        time.sleep(self.server.delays.get(self.path, 0.0))  # the charity's site hangs
        content_type, body = self.server.files[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client hangs up on an oversized or late photo, as it should: not an error here.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


class _Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: Files, delays: Mapping[str, float]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files, self.delays = files, delays


@contextlib.contextmanager
def file_site(files: Files, delays: Mapping[str, float] | None = None) -> Iterator[str]:
    """A website on 127.0.0.1 serving ``files`` (any other path is a 404), each path in
    ``delays`` that many seconds late; yields its base URL."""
    server = _Site(files, delays or {})
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def photo_site() -> contextlib.AbstractContextManager[str]:
    """Serve :data:`FILES` on 127.0.0.1; yields the base URL."""
    return file_site(FILES)
