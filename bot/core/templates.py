"""Post templates (X_TEMPLATE, FACEBOOK_TEMPLATE…): their placeholders and the check that a
template uses only those, shared by the settings (checked at start) and the composer."""

from __future__ import annotations

import string
from functools import lru_cache

PLACEHOLDERS: frozenset[str] = frozenset({"prefix", "title", "summary", "link", "hashtags"})


@lru_cache(maxsize=64)
def parse_template(template: str) -> tuple[tuple[str, str | None], ...]:
    """The template as (literal text, field name or None) pairs, as str.format reads it.

    Cached: a poll composes every new item with the same few templates.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ValueError(f"template {template!r} is malformed: {error}") from None
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (name not in PLACEHOLDERS or spec or conversion):
            known = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise ValueError(f"template {template!r} has unknown placeholder {shown}; use {known}")
        parts.append((literal, name))
    return tuple(parts)


def validate_template(template: str) -> None:
    """Raise ValueError naming the culprit if ``template`` has an unknown or malformed field.

    Called when settings become a style, so a typo such as ``{titel}`` stops the bot at start
    rather than failing (or posting a literal brace) at the first slot.
    """
    parse_template(template)
