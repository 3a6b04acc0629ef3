"""Variables that look like appeal-bot settings but are not one: a typo caught at start.

``APPEAL_FEED_URL`` (for ``APPEALS_FEED_URL``) or ``POST_SLOT`` (for ``POST_SLOTS``) would
otherwise be ignored without a word, and the bot would run on the default.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from bot.core.settings import VARIABLES

KNOWN: frozenset[str] = frozenset(variable.name for variable in VARIABLES)
_KNOWN_LIST = sorted(KNOWN)  # built once, not for every name looked up
# Named after the value they hold (FACEBOOK_PAGE_ACCESS_TOKEN_<page id>): not typos.
_PATTERNS = (re.compile(r"FACEBOOK_PAGE_ACCESS_TOKEN_[0-9A-Za-z]+"),)
# The first word of every setting: an unknown variable starting with one is probably ours.
_PREFIXES: frozenset[str] = frozenset(name.split("_", 1)[0] + "_" for name in KNOWN)
# Prefixes other programs use too: on their own they prove nothing (X_ is X11's, LOG_ common).
_SHARED_PREFIXES = frozenset({"X_", "LOG_", "WEB_", "DATABASE_", "TIMEZONE_"})


def _known(name: str) -> bool:
    return name in KNOWN or any(pattern.fullmatch(name) for pattern in _PATTERNS)


def likely_setting(name: str, cutoff: float = 0.8) -> str | None:
    """The setting ``name`` was probably meant to be (difflib's ratio ≥ ``cutoff``), or None."""
    close = difflib.get_close_matches(name, _KNOWN_LIST, n=1, cutoff=cutoff)
    return close[0] if close else None


def misspelt(env_file_names: Iterable[str], environment_names: Iterable[str]) -> list[str]:
    """One warning line per variable that looks like a setting but is not one.

    Every unknown name in the settings file is reported (that file is ours alone); in the
    environment only names very close to a setting (``POST_SLOT``), or with one of our own
    prefixes (``APPEALS_``, ``FACEBOOK_``…), since it holds every other program's variables too
    (``IS_SANDBOX`` is someone else's).
    """
    warnings = []
    seen: set[str] = set()
    for name, from_file in [(n, True) for n in env_file_names] + [
        (n, False) for n in environment_names
    ]:
        if name in seen or _known(name):
            continue
        seen.add(name)
        prefix = name.split("_", 1)[0] + "_"
        ours = prefix in _PREFIXES and prefix not in _SHARED_PREFIXES
        # One difflib pass a name (it is most of a command's start-up cost here): another
        # program's variable is named only if very close to a setting, and then the closest
        # setting at 0.9 is also the closest at 0.8.
        guess = likely_setting(name, cutoff=0.8 if from_file or ours else 0.9)
        if not (from_file or ours or guess):
            continue
        where = "in the settings file" if from_file else "in the environment"
        hint = f"; did you mean {guess}?" if guess else "; it is ignored (see README: Settings)"
        warnings.append(f"warning: {name} {where} is not an appeal-bot setting{hint}")
    return warnings
