"""Keep numpy and pandas out of processes that do not plot.

sqlite-utils imports numpy and pandas at import time whenever they are installed, to adapt
their column types (which appeal-bot never stores). matplotlib, needed for ``stats --plot``,
installs numpy, which would add about 20 MB to a daemon that only waits for its next slot
(the benchmark's target is 60 MB). So sqlite-utils is imported with the two hidden; nothing
else is affected: a later ``import numpy`` (matplotlib) works as usual.
"""

from __future__ import annotations

import sys


def import_sqlite_utils_lean() -> None:
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]
