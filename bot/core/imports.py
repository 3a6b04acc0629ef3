"""Keep numpy and pandas out of processes that do not plot, and sqlite-utils out of those that
never open the database.

sqlite-utils imports numpy and pandas at import time whenever they are installed, to adapt
their column types (which appeal-bot never stores). matplotlib, needed for ``stats --plot``,
installs numpy, which would add about 20 MB to a daemon that only waits for its next slot
(the benchmark's target is 60 MB). So sqlite-utils is imported with the two hidden; nothing
else is affected: a later ``import numpy`` (matplotlib) works as usual.

It is done when something first imports sqlite-utils (:class:`LeanSqliteUtils`, a meta path
finder installed by ``bot/__init__.py``), not when ``bot`` is imported: sqlite-utils takes
about 0.2 s to import, which ``run_bot.py --help`` and light commands need not pay.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType


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


class LeanSqliteUtils(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """On the first ``import sqlite_utils`` anywhere, import it lean, then step aside.

    As the loader of that first import it hands over the module the lean import made (running
    it again would undo the point).
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "sqlite_utils":
            return None
        sys.meta_path.remove(self)
        import_sqlite_utils_lean()
        # Out of sys.modules for a moment: else the import system would take the module's own
        # spec, and its loader would run it again.
        self._module = sys.modules.pop(fullname)
        self._spec = self._module.__spec__
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self._module

    def exec_module(self, module: ModuleType) -> None:
        """Already run by the lean import: only its own spec and loader are put back."""
        if self._spec is not None:
            module.__spec__, module.__loader__ = self._spec, self._spec.loader


def install() -> None:
    """Make the first import of sqlite-utils a lean one (idempotent)."""
    if "sqlite_utils" in sys.modules or any(isinstance(f, LeanSqliteUtils) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, LeanSqliteUtils())
