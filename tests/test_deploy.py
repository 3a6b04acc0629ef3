"""deploy/'s systemd units: checked by ``systemd-analyze verify`` (which warns, on stderr, of
any unknown key or bad value) and for the options the README promises."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = {"appeal-bot.service": "run", "appeal-bot-web.service": "web"}
REQUIRED = (
    "User=appeal-bot",
    "Restart=on-failure",
    "TimeoutStopSec=30",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "NoNewPrivileges=yes",
    "ReadWritePaths=/var/lib/appeal-bot",
)
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is missing: `make test` installs Debian's systemd"
)


def verify(folder: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` of the unit, with the install folder pointed at this checkout
    (verify checks that ExecStart's program exists)."""
    unit = folder / name
    unit.write_text(text.replace("/opt/appeal-bot", str(ROOT)))
    return subprocess.run(
        [str(ANALYZE), "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("name", "command"), UNITS.items())
def test_the_unit_has_the_promised_options(name: str, command: str) -> None:
    lines = (ROOT / "deploy" / name).read_text().splitlines()
    for option in REQUIRED:
        assert option in lines, f"{name} lacks {option}"
    start = next(line for line in lines if line.startswith("ExecStart="))
    assert start.endswith(
        f"/opt/appeal-bot/run_bot.py --env-file /etc/appeal-bot/appeal-bot.env {command}"
    )


@needs_analyze
@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verify_finds_nothing_to_say(name: str, tmp_path: Path) -> None:
    done = verify(tmp_path, name, (ROOT / "deploy" / name).read_text())
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@needs_analyze
def test_verify_would_catch_a_mistyped_unit(tmp_path: Path) -> None:
    text = (ROOT / "deploy" / "appeal-bot.service").read_text()
    done = verify(tmp_path, "appeal-bot.service", text.replace("ProtectSystem=", "ProtectSystme="))
    assert "Unknown key 'ProtectSystme'" in done.stderr
