"""One daemon per database: an exclusive ``flock`` on ``<database>.lock`` holding the owner's pid.

The kernel drops the lock when the process dies, however it dies, so a crash never leaves a
stale lock behind; the pid in the file only serves to tell the operator who holds it.
:func:`daemon_running` asks whether a daemon holds it (``health``, ``restore``).
"""

from __future__ import annotations

import fcntl
import os
import time
from datetime import datetime
from pathlib import Path
from typing import IO

from bot.core.clock import to_iso, utcnow
from bot.core.errors import DaemonAlreadyRunning
from bot.core.private import FILE_MODE

PROBE_RETRIES = 10


def daemon_running(database_path: Path) -> str | None:
    """Who holds the daemon lock of ``database_path`` ("pid 123, started …"), or None.

    Probes with a shared lock, released at once: a daemon holds it exclusively, so the probe
    fails exactly while one runs, and never stops one from starting (see ``acquire``).
    """
    path = Path(f"{database_path}.lock")
    try:
        handle = open(path)  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "unknown process"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


class DaemonLock:
    def __init__(self, database_path: Path) -> None:
        self.path = Path(f"{database_path}.lock")
        self.database_path = database_path
        self._file: IO[str] | None = None

    def acquire(self, now: datetime | None = None) -> None:
        # 0600 whatever the umask (bot.core.private); held for the daemon's lifetime.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        handle = os.fdopen(fd, "r+")
        # A health check's probe holds the lock (shared) for microseconds; a few tries over
        # half a second tell that from a daemon, which holds it for good.
        for attempt in range(PROBE_RETRIES + 1):
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == PROBE_RETRIES:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown process"
                    handle.close()
                    raise DaemonAlreadyRunning(str(self.database_path), holder) from None
                time.sleep(0.05)
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
