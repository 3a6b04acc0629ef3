"""appeal-bot: shares a missing-persons charity's appeals on X and Facebook, and withdraws
them when the person is found.

The flow, one module a step: ``feeds`` → ``items`` → ``queue`` → ``scheduler`` →
``publishing`` (through ``platforms``) → ``events`` (the operators' log) and ``metrics``.
"""

from bot.core.imports import import_sqlite_utils_lean

import_sqlite_utils_lean()

__version__ = "0.1.0"
