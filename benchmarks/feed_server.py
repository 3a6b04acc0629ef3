"""A static feed server for the benchmarks: ``python -m benchmarks.feed_server DIR``.

Serves the files of DIR on 127.0.0.1 (a free port, printed on the first line of stdout) with a
strong ETag, and answers ``304 Not Modified`` when ``If-None-Match`` matches, as a charity's
web server does; asked with ``?plain``, it sends neither, as many charity sites do not. Files
are re-read when their modification time changes, so a benchmark can rewrite a feed (an
appeal turning FOUND) while the server runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    server: FeedFileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        found = self.server.load(self.path.split("?")[0].lstrip("/"))
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body, etag = found
        plain = self.path.endswith("?plain")
        if not plain and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        kind = "image/png" if self.path.endswith((".png", ".jpg")) else "application/rss+xml"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if not plain:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)


class FeedFileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root.resolve()
        self._cache: dict[Path, tuple[int, bytes, str]] = {}

    def load(self, name: str) -> tuple[bytes, str] | None:
        if name.startswith("images/"):
            name = "photo.png"  # every appeal's photo is the same small picture
        path = (self.root / name).resolve()
        if self.root not in path.parents or not path.is_file():
            return None
        mtime = path.stat().st_mtime_ns
        cached = self._cache.get(path)
        if cached is None or cached[0] != mtime:
            body = path.read_bytes()
            cached = (mtime, body, f'"{hashlib.sha1(body).hexdigest()}"')
            self._cache[path] = cached
        return cached[1], cached[2]


def main(argv: list[str]) -> None:
    server = FeedFileServer(Path(argv[0]))
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main(sys.argv[1:])
