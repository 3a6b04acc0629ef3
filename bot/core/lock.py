"""One daemon per database: an exclusive ``flock`` on ``<database>.lock`` holding the owner's pid.

The kernel drops the lock when the process dies, however it dies, so a crash never leaves a
stale lock behind; the pid in the file only serves to tell the operator who holds it.
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime
from pathlib import Path
from typing import IO

from bot.core.clock import to_iso, utcnow
from bot.core.errors import DaemonAlreadyRunning


class DaemonLock:
    def __init__(self, database_path: Path) -> None:
        self.path = Path(f"{database_path}.lock")
        self.database_path = database_path
        self._file: IO[str] | None = None

    def acquire(self, now: datetime | None = None) -> None:
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the daemon's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            handle.close()
            raise DaemonAlreadyRunning(str(self.database_path), holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {to_iso(now or utcnow())}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
