"""When two feed ids name the same entry: a site that moved to https, dropped ``www.`` or let a
newsletter tool add ``utm_`` parameters to its guids still means the appeals it already had.

Pure functions; :mod:`bot.feeds.ingest` uses them to keep the id an entry was first stored
under, so an appeal is never queued twice because its guid was rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.feeds.items import Item

# Query parameters that track a click and never name a page (Google Analytics, Facebook,
# Google/Microsoft ads, Mailchimp, HubSpot, Instagram, Yandex).
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "igshid",
     "yclid", "_ga", "_gl"}
)  # fmt: skip


def id_key(entry_id: str) -> str:
    """What is left of an id when scheme, ``www.``, a trailing slash and tracking parameters
    are taken off (lower-cased host); an id that is not an http(s) URL is its own key."""
    try:
        parts = urlsplit(entry_id.strip())
    except ValueError:
        return entry_id
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return entry_id
    host = parts.netloc.lower().removeprefix("www.")
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMS
    ]
    key = host + parts.path.rstrip("/")
    if query:
        key += "?" + urlencode(query)
    if parts.fragment:
        key += "#" + parts.fragment
    return key


def keep_stored_ids(
    items: Sequence[Item], stored_ids: Iterable[str]
) -> tuple[list[Item], list[tuple[str, str]]]:
    """``items`` with each id that is new but has the key of a stored id given the stored one.

    Returns the items and the (new id, stored id) pairs renamed, for the log. An id already
    stored, or whose key matches none (or two items of this poll), is left as it is.
    """
    stored = set(stored_ids)
    # Nothing stored (a feed's first poll) or nothing new (most polls): nothing to rename, and
    # no key to work out for each of thousands of ids.
    if not stored or all(item.id in stored for item in items):
        return list(items), []
    by_key: dict[str, str] = {}
    for stored_id in stored:
        by_key.setdefault(id_key(stored_id), stored_id)
    in_poll = {item.id for item in items}
    renamed: list[tuple[str, str]] = []
    kept: list[Item] = []
    for item in items:
        old = None if item.id in stored else by_key.get(id_key(item.id))
        if old is not None and old not in in_poll:
            renamed.append((item.id, old))
            in_poll.add(old)
            item = replace(item, id=old)
        kept.append(item)
    return kept, renamed
