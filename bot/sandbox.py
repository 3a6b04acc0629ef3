"""The built-in sandbox: fake X and Facebook servers and the sample feeds, all on 127.0.0.1.

With SANDBOX=1 (the default when no credentials are set) the bot runs its real clients (tweepy,
Graph API over requests) against these fakes, so the comms team can train and ``make demo`` can
show the whole flow with no account and no internet.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from .fakes.facebook_server import FakeFacebook
from .fakes.images import png
from .fakes.x_server import FakeX
from .settings import FacebookPage, Settings

SANDBOX_X = {"key": "sandbox-key", "secret": "sandbox-secret", "token": "sandbox-token"}
SANDBOX_PAGE_ID = "1000000001"
SANDBOX_PAGE_TOKEN = "sandbox-page-token"
SANDBOX_REGIONAL_PAGES = {"north-west": "1000000002", "scotland": "1000000003"}

# The sample appeals' photo, so photo posts and alt text run end to end.
PHOTO = png(64, 64, (40, 90, 160))


def sample_feed(name: str) -> bytes:
    return resources.files("bot").joinpath("data", name).read_bytes()


class _FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.startswith("/images/"):
            body, kind = PHOTO, "image/png"
        else:
            found = self.server.files.get(path)
            if found is None:
                self.send_error(404)
                return
            body, kind = found, "application/rss+xml"
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)


# The sample feed server prefers a fixed port, so the feed and photo URLs stored by one command
# (``fetch``) still work in the next (``post``); it falls back to any free port.
SANDBOX_FEED_PORT = 8765


class FeedServer(ThreadingHTTPServer):
    """Serves the sample feeds (replaceable, to show an appeal turning FOUND) and photos."""

    daemon_threads = True

    def __init__(self, port: int = SANDBOX_FEED_PORT) -> None:
        try:
            super().__init__(("127.0.0.1", port), _FeedHandler)
        except OSError:
            super().__init__(("127.0.0.1", 0), _FeedHandler)
        self.files: dict[str, bytes] = {
            "/appeals.xml": sample_feed("sample_appeals.xml"),
            "/news.xml": sample_feed("sample_news.xml"),
        }
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@dataclass
class Sandbox:
    """Fake X, fake Facebook (a main page and two regional pages) and the sample feed server."""

    x: FakeX = field(default_factory=lambda: FakeX(SANDBOX_X["key"], SANDBOX_X["token"]))
    facebook: FakeFacebook = field(
        default_factory=lambda: FakeFacebook(
            pages={
                SANDBOX_PAGE_ID: SANDBOX_PAGE_TOKEN,
                **{pid: f"sandbox-token-{pid}" for pid in SANDBOX_REGIONAL_PAGES.values()},
            }
        )
    )
    feeds: FeedServer | None = None

    def start(self, with_feeds: bool = True, feed_port: int = SANDBOX_FEED_PORT) -> Sandbox:
        self.x.start()
        self.facebook.start()
        if with_feeds:
            self.feeds = FeedServer(feed_port)
        return self

    def stop(self) -> None:
        self.x.stop()
        self.facebook.stop()
        if self.feeds is not None:
            self.feeds.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def configure(self, settings: Settings) -> Settings:
        """The settings pointed at the fakes, with their credentials, and at the sample feeds
        when no feed is configured."""
        regional = [
            FacebookPage(pid, f"sandbox-token-{pid}", region)
            for region, pid in SANDBOX_REGIONAL_PAGES.items()
        ]
        pages = (FacebookPage(SANDBOX_PAGE_ID, SANDBOX_PAGE_TOKEN), *regional)
        changes: dict[str, Any] = {
            "sandbox": True,
            "x_api_key": SANDBOX_X["key"],
            "x_api_secret": SANDBOX_X["secret"],
            "x_access_token": SANDBOX_X["token"],
            "x_access_token_secret": SANDBOX_X["secret"],
            "x_api_base_url": self.x.url,
            "facebook_pages": pages,
            "facebook_graph_url": self.facebook.url,
        }
        if self.feeds is not None and not (settings.appeals_feed_urls or settings.news_feed_urls):
            changes["appeals_feed_urls"] = (f"{self.feeds.url}/appeals.xml",)
            changes["news_feed_urls"] = (f"{self.feeds.url}/news.xml",)
        return settings.replace(**changes)
