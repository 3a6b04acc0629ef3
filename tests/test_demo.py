"""`make demo` end to end: it posts, takes the found appeal down, and its words add up."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_posts_withdraws_and_says_what_it_did(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run_bot.py"),
            "--env-file",
            "/dev/null",
            "demo",
            "--output",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    polled = re.search(r"(\d+) entries stored, (\d+) of them queued as (\d+) posts", out)
    assert polled, out
    stored, queued, _ = map(int, polled.groups())
    closed = re.search(r"; (\d+) already found on the site", out)
    assert stored == queued + (int(closed.group(1)) if closed else 0)
    sent = re.search(r"sent (\d+) urgent posts? at once and (\d+) in the slot", out)
    assert sent, out
    posts_sent = re.search(r"Posts sent \((\d+)\)", out)
    assert posts_sent and int(posts_sent.group(1)) == sum(map(int, sent.groups())) > 0
    assert "Nothing of the found appeal remains on any of them." in out
    four = r"Live posts on the fakes: X \d+; Facebook \d+; Bluesky \d+; Mastodon \d+"
    assert re.search(four, out)
    assert (tmp_path / "out" / "demo-shares.png").stat().st_size > 0
