"""The built-in sandbox: fake X, Facebook, Bluesky and Mastodon servers and the sample feeds, all
on 127.0.0.1.

With SANDBOX=1 (the default when no credentials are set) the bot runs its real clients (tweepy,
Graph API over requests, the atproto SDK, Mastodon.py) against these fakes, so the comms team
can train and ``make demo`` can show the whole flow with no account and no internet.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from bot.core.settings import SANDBOX_FEED_PATHS, FacebookPage, Settings
from bot.fakes.base import FakeServer
from bot.fakes.bluesky_server import FakeBluesky
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.images import silhouette
from bot.fakes.mastodon_server import FakeMastodon
from bot.fakes.x_server import FakeX

SANDBOX_X = {"key": "sandbox-key", "secret": "sandbox-secret", "token": "sandbox-token"}
SANDBOX_PAGE_ID = "1000000001"
SANDBOX_PAGE_TOKEN = "sandbox-page-token"
SANDBOX_REGIONAL_PAGES = {"north-west": "1000000002", "scotland": "1000000003"}
SANDBOX_BLUESKY = {"handle": "appealbot.bsky.social", "password": "sandbox-app-pass"}
SANDBOX_MASTODON_TOKEN = "sandbox-mastodon-token"

# The sample appeals' photo, so photo posts, cards and alt text run end to end: a generated
# silhouette, never a real person's face.
PHOTO = silhouette(480, 640)


def sample_feed(name: str, now: datetime | None = None) -> bytes:
    """A sample feed, its dates moved so its newest entry is an hour old at ``now`` (default: the
    real time). The files are dated 2025; served as they are, every entry would be older than
    FEED_MAX_AGE_DAYS at the sandbox's first poll, and nothing would be queued."""
    text = resources.files("bot").joinpath("data", name).read_text(encoding="utf-8")
    dates = [_parse_date(m[1], m[2]) for m in _DATE.finditer(text)]
    if not dates:
        return text.encode()
    shift = (now or datetime.now(UTC)) - timedelta(hours=1) - max(dates)

    def moved(match: re.Match[str]) -> str:
        tag, value = match[1], _parse_date(match[1], match[2]) + shift
        shown = format_datetime(value) if tag == "pubDate" else value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"<{tag}>{shown}</{tag}>"

    return _DATE.sub(moved, text).encode()


# RSS dates (RFC 822) and Atom dates (RFC 3339, as the sample files write them: UTC with Z).
_DATE = re.compile(r"<(pubDate|published|updated)>([^<]+)</\1>")


def _parse_date(tag: str, text: str) -> datetime:
    if tag != "pubDate":
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return parsedate_to_datetime(text).astimezone(UTC)


class _FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/_fake/kind":  # see _serving: lets another process find this server
            body = json.dumps({"fake": FEEDS_KIND, "sandbox": self.server.sandbox_key}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
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


# Fixed ports, so the commands, the daemon and the dashboard running at the same time on one
# database share one sandbox: the first to start serves it, the others find it there (GET
# /_fake/kind, which names the database by its key). A post sent from the dashboard is then the
# one the daemon reads share counts of and deletes, and feed and photo URLs stored by one command
# work in the next. Anything else on a port (another database's sandbox): a free port instead.
SANDBOX_FEED_PORT = 8765
SANDBOX_X_PORT = 8766
SANDBOX_FACEBOOK_PORT = 8767
SANDBOX_BLUESKY_PORT = 8768
SANDBOX_MASTODON_PORT = 8769
FEEDS_KIND = "sample-feeds"
SANDBOX_PORTS = {
    "x": SANDBOX_X_PORT,
    "facebook": SANDBOX_FACEBOOK_PORT,
    "bluesky": SANDBOX_BLUESKY_PORT,
    "mastodon": SANDBOX_MASTODON_PORT,
    FEEDS_KIND: SANDBOX_FEED_PORT,
}


def sandbox_key(database_path: str | Path) -> str:
    """Which sandbox a process belongs to: one per database, so two bots on one machine (or a
    test beside a running daemon) never post into, read from or delete in each other's."""
    return hashlib.sha256(str(Path(database_path).resolve()).encode()).hexdigest()[:16]


def sandbox_in_use(database_path: str | Path, timeout: float = 0.5) -> dict[str, Any]:
    """Which sandbox the fixed ports serve, for ``status`` and the dashboard's Status page:
    ``{"database": path, "servers": [{"kind", "port", "serving"}]}``, ``serving`` one of
    ``"this database"``, ``"another database"`` (this database's processes each run their own,
    on other ports) or ``"nothing"`` (no process serves a sandbox now)."""
    key = sandbox_key(database_path)
    servers = []
    for kind, port in SANDBOX_PORTS.items():
        try:
            url = f"http://127.0.0.1:{port}/_fake/kind"
            with urllib.request.urlopen(url, timeout=timeout) as response:
                answer = json.load(response)
            serving = "this database" if answer.get("sandbox") == key else "another database"
        except (OSError, ValueError, AttributeError):
            serving = "nothing"
        servers.append({"kind": kind, "port": port, "serving": serving})
    return {"database": str(Path(database_path).resolve()), "servers": servers}


def _serving(port: int, kind: str, key: str) -> str | None:
    """The URL of the sandbox's ``kind`` server another process runs on ``port`` for the same
    database (``key``), if that is what listens there."""
    url = f"http://127.0.0.1:{port}"
    try:
        with urllib.request.urlopen(f"{url}/_fake/kind", timeout=2) as response:
            answer = json.load(response)
    except (OSError, ValueError):
        return None
    if not isinstance(answer, dict):
        return None
    return url if answer.get("fake") == kind and answer.get("sandbox") == key else None


class FeedServer(ThreadingHTTPServer):
    """Serves the sample feeds (replaceable, to show an appeal turning FOUND) and photos."""

    daemon_threads = True

    def __init__(self, port: int = 0, key: str = "") -> None:
        super().__init__(("127.0.0.1", port), _FeedHandler)
        self.sandbox_key = key
        self.files: dict[str, bytes] = {
            SANDBOX_FEED_PATHS["appeal"]: sample_feed("sample_appeals.xml"),
            SANDBOX_FEED_PATHS["news"]: sample_feed("sample_news.xml"),
        }
        # Polls for shutdown as the fakes do: at the default half second, every command that
        # started a sandbox waited that long to stop it.
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@dataclass
class Sandbox:
    """Fake X, fake Facebook (a main page and two regional pages), fake Bluesky, fake Mastodon
    and the sample feed server.

    Started with ``share=True`` (every command, the daemon, the dashboard), it uses the fixed
    ports, or the servers another process already runs there; ``x``, ``facebook`` and ``feeds``
    are then only this process's own, and may not be the ones in use (see ``*_url``). A process
    that joined takes a server over, on the same port, when the one serving it stops (checked
    every ``watch_seconds``): a daemon that joined a dashboard's sandbox outlives the dashboard.
    """

    x: FakeX = field(default_factory=lambda: FakeX(SANDBOX_X["key"], SANDBOX_X["token"]))
    facebook: FakeFacebook = field(
        default_factory=lambda: FakeFacebook(
            pages={
                SANDBOX_PAGE_ID: SANDBOX_PAGE_TOKEN,
                **{pid: f"sandbox-token-{pid}" for pid in SANDBOX_REGIONAL_PAGES.values()},
            }
        )
    )
    bluesky: FakeBluesky = field(
        default_factory=lambda: FakeBluesky(SANDBOX_BLUESKY["handle"], SANDBOX_BLUESKY["password"])
    )
    mastodon: FakeMastodon = field(default_factory=lambda: FakeMastodon(SANDBOX_MASTODON_TOKEN))
    feeds: FeedServer | None = None
    x_url: str = ""
    facebook_url: str = ""
    bluesky_url: str = ""
    mastodon_url: str = ""
    feeds_url: str | None = None
    key: str = ""
    watch_seconds: float = 5.0
    _own: list[FakeServer | FeedServer] = field(default_factory=list)
    # Servers another process runs for us: (port, kind, how to serve it ourselves).
    _joined: list[tuple[int, str, Callable[[], None]]] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    # What a person should know: a fixed port held by another database's sandbox, so this
    # process started its own (the runtime logs each as a warning).
    notes: list[str] = field(default_factory=list)

    def start(
        self,
        with_feeds: bool = True,
        feed_port: int = SANDBOX_FEED_PORT,
        *,
        share: bool = False,
        key: str = "",
    ) -> Sandbox:
        """Start (or, with ``share``, join) the servers; ``key`` names the database they serve
        (:func:`sandbox_key`): only a sandbox for the same database is joined."""
        self.key = key
        self.x_url = self._start_fake(self.x, SANDBOX_X_PORT if share else 0)
        self.facebook_url = self._start_fake(self.facebook, SANDBOX_FACEBOOK_PORT if share else 0)
        self.bluesky_url = self._start_fake(self.bluesky, SANDBOX_BLUESKY_PORT if share else 0)
        self.mastodon_url = self._start_fake(self.mastodon, SANDBOX_MASTODON_PORT if share else 0)
        if with_feeds:
            self.feeds_url = self._start_feeds(feed_port, share)
        if self._joined:
            threading.Thread(target=self._watch, name="sandbox-watch", daemon=True).start()
        return self

    def _watch(self) -> None:
        while self._joined and not self._stopping.wait(self.watch_seconds):
            for entry in list(self._joined):
                port, kind, take_over = entry
                if self._stopping.is_set() or _serving(port, kind, self.key):
                    continue
                try:
                    take_over()
                except OSError:
                    continue  # another process took it first: it is joined on the next look
                self._joined.remove(entry)

    def _start_fake(self, fake: FakeServer, port: int) -> str:
        fake.sandbox_key = self.key
        busy = 0
        if port:
            fake.port = port
            try:
                fake.start()
            except OSError:
                found = _serving(port, fake.KIND, self.key)
                if found:

                    def take_over(fake: FakeServer = fake) -> None:
                        fake.start()
                        self._own.append(fake)

                    self._joined.append((port, fake.KIND, take_over))
                    return found
                busy = port
            else:
                self._own.append(fake)
                return fake.url
        fake.port = 0
        fake.start()
        self._own.append(fake)
        if port and busy:
            self.notes.append(
                f"port {busy} is held by another sandbox (another database) or program: this"
                f" process runs its own fake {fake.KIND} at {fake.url}, which other processes"
                " on this database cannot see"
            )
        return fake.url

    def _start_feeds(self, port: int, share: bool) -> str:
        if port:
            try:
                self.feeds = FeedServer(port, self.key)
            except OSError:
                found = _serving(port, FEEDS_KIND, self.key) if share else None
                if found:

                    def take_over() -> None:
                        self.feeds = FeedServer(port, self.key)
                        self._own.append(self.feeds)

                    self._joined.append((port, FEEDS_KIND, take_over))
                    return found
        if self.feeds is None:
            self.feeds = FeedServer(0, self.key)
        self._own.append(self.feeds)
        return self.feeds.url

    @property
    def joined(self) -> bool:
        """True when the fakes in use are another process's (a running daemon's)."""
        return all(fake not in self._own for fake in self.fakes)

    @property
    def fakes(self) -> tuple[FakeServer, ...]:
        """The four fake platforms, X first."""
        return (self.x, self.facebook, self.bluesky, self.mastodon)

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Make every fake platform read ``clock`` (the demo fast-forwards through a week)."""
        for fake in self.fakes:
            fake.clock = clock

    def stop(self) -> None:
        self._stopping.set()
        # Each server's stop waits out its shutdown poll: side by side, not one after another,
        # so a command's exit waits one poll, not five.
        stopping = [threading.Thread(target=server.stop) for server in self._own]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        self._own.clear()

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
            "x_api_base_url": self.x_url,
            "facebook_pages": pages,
            "facebook_graph_url": self.facebook_url,
            "bluesky_handle": SANDBOX_BLUESKY["handle"],
            "bluesky_app_password": SANDBOX_BLUESKY["password"],
            "bluesky_service_url": self.bluesky_url,
            "mastodon_api_base_url": self.mastodon_url,
            "mastodon_access_token": SANDBOX_MASTODON_TOKEN,
        }
        if self.feeds_url and not (settings.appeals_feed_urls or settings.news_feed_urls):
            changes["appeals_feed_urls"] = (self.feeds_url + SANDBOX_FEED_PATHS["appeal"],)
            changes["news_feed_urls"] = (self.feeds_url + SANDBOX_FEED_PATHS["news"],)
        return settings.replace(**changes)
