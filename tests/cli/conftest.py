"""The command line, in process: ``bot.cli.main([...])`` with the environment a user would set."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.core.db import open_db
from bot.core.settings import VARIABLES
from bot.fakes.facebook_server import FakeFacebook
from bot.fakes.x_server import FakeX
from tests.live_fakes import fake_facebook, fake_x


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run the CLI with a clean environment: no setting leaks in from the host."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    for name in ("FACEBOOK_PAGE_ACCESS_TOKEN",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.db"))
    # An installed bot: the database exists (read-only commands never create one; see
    # test_read_only_commands_never_create_a_database).
    open_db(tmp_path / "cli.db").conn.close()
    empty = tmp_path / "empty.env"  # not the host's .env; a missing --env-file is an error
    empty.write_text("")

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(["--env-file", str(empty), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeX, FakeFacebook]]:
    with fake_x() as x, fake_facebook() as facebook:
        assert isinstance(x, FakeX) and isinstance(facebook, FakeFacebook)
        yield x, facebook
