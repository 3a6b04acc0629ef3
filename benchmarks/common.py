"""What every benchmark shares: the result row, a realistic feed, settings and a feed server.

Everything listens on 127.0.0.1 only. The feed server runs in its own process (see
:mod:`benchmarks.feed_server`) so that ``time.process_time`` in the benchmark measures the
bot's CPU, never the server's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bot.core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

TOWNS = ("Wigan", "Taunton", "Leeds", "Bristol", "Glasgow", "Cardiff", "Norwich", "Hull", "Derby")
REGIONS = ("north-west", "south-west", "yorkshire", "scotland", "wales", "east")
NAMES = ("Alex Marlowe", "Priya Danvers", "Sam Okafor", "Jo Whitfield", "Chris Navarro", "Li Wei")


@dataclass
class Result:
    """One row of the table.

    ``ratio`` is the figure's cost relative to its baseline (time over time, memory over memory,
    or the baseline's rate over the figure's rate), so above 1 always means "costs more than the
    bare baseline".
    """

    name: str
    value: str
    baseline: str
    ratio: float | None
    target: str
    verdict: str  # "ok", "MISS" or "-" (no target)
    detail: str = ""
    raw: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def appeal_entry(
    n: int, when: datetime, title_prefix: str = "", image_base: str = "https://charity.example"
) -> str:
    """One RSS ``<item>`` shaped like the charity's CMS writes them."""
    name = NAMES[n % len(NAMES)]
    town = TOWNS[n % len(TOWNS)]
    age = 12 + n % 60
    categories = ["adult" if age >= 18 else "child", f"region:{REGIONS[n % len(REGIONS)]}"]
    description = (
        f"<p>{name}, {age}, has been missing from {town} since {when:%A %d %B}. Their family "
        f"are <strong>very worried</strong> and say it is out of character.</p>"
        f"<p>{name.split()[0]} is described as 5ft {n % 12}in, slim, with short brown hair, and "
        f"was last seen wearing a navy coat &amp; white trainers near the station.</p>"
        f"<ul><li>If you have seen {name.split()[0]}, please call or text 116 000 (free, 24 "
        f"hours, confidential), quoting reference {n}.</li></ul>"
        f'<img src="/images/appeal-{n}.jpg" alt="{name} in a navy coat" />'
    )
    return (
        "<item>"
        f"<title>{escape(title_prefix)}{name} ({n}), {age}, missing from {town}</title>"
        f"<link>https://charity.example/appeals/{n:05d}-{name.lower().replace(' ', '-')}</link>"
        f'<guid isPermaLink="false">appeal-{n:05d}</guid>'
        f"<pubDate>{format_datetime(when)}</pubDate>"
        + "".join(f"<category>{c}</category>" for c in categories)
        + f"<description>{escape(description)}</description>"
        f'<enclosure url="{image_base}/images/appeal-{n}.jpg" length="48213"'
        ' type="image/jpeg" />'
        "</item>"
    )


def appeals_feed(
    count: int, found: frozenset[int] = frozenset(), image_base: str = "https://charity.example"
) -> bytes:
    """An RSS 2.0 feed of ``count`` appeals; entries numbered in ``found`` carry "FOUND: ".

    ``image_base`` is where the enclosure photos live: the benchmarks that send posts point it
    at their own feed server, so nothing is ever fetched off this machine.
    """
    base = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    items = "\n".join(
        appeal_entry(n, base - timedelta(minutes=n), "FOUND: " if n in found else "", image_base)
        for n in range(count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0"><channel><title>Missing Persons Appeals (benchmark)</title>'
        "<link>https://charity.example/appeals</link><description>Generated appeals</description>"
        f"\n{items}\n</channel></rss>\n"
    ).encode()


def settings_for(tmp: Path, **env: str) -> Settings:
    """Settings from a plain dict (never the process environment or a .env file)."""
    values = {
        "DATABASE_PATH": str(tmp / "bench.db"),
        "SANDBOX": "1",
        "X_DAILY_POST_LIMIT": "1000000",
        "FACEBOOK_DAILY_POST_LIMIT": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    values.update(env)
    return load_settings(values, env_file=None)


@contextmanager
def feed_server(root: Path) -> Iterator[str]:
    """Serve the files in ``root`` from another process; yields its base URL."""
    process = subprocess.Popen(
        [PYTHON, "-m", "benchmarks.feed_server", str(root)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"feed server did not start: {url!r}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def fake_process(module: str, *args: str) -> Iterator[str]:
    """A fake platform server (``bot.fakes.x_server`` …) in its own process; yields its URL."""
    process = subprocess.Popen(
        [PYTHON, "-m", module, "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        url = ""
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            found = line[line.find("http://127.0.0.1:") :].split()[0] if "http://" in line else ""
            if found:
                url = found
                break
        if not url:
            raise RuntimeError(f"{module} did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")
