"""Plain-text tables for the terminal; JSON output is left to the caller (``json.dumps``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def shorten(text: Any, width: int) -> str:
    value = "" if text is None else " ".join(str(text).split())
    return value if len(value) <= width else value[: width - 1] + "…"


def shorten_url(url: str | None, width: int) -> str:
    """A URL cut in the middle to ``width`` characters, keeping what identifies it: the scheme and
    host at the front and the file name (with any query) at the end, as ``…`` stands for the
    folders between. ``https://charity.example/…/appeals.xml`` is still the feed an operator
    knows; a URL cut at its end would lose the one part that tells two feeds apart."""
    value = "" if url is None else " ".join(str(url).split())
    if len(value) <= width:
        return value
    scheme, sep, rest = value.partition("://")
    host, slash, path = rest.partition("/") if sep else ("", "", value)
    head = f"{scheme}{sep}{host}{slash}" if sep else ""
    tail = path.rsplit("/", 1)[-1] if "/" in path else path
    if len(tail) + 1 >= width:  # the file name alone is too long: keep its two ends
        keep = width - 1
        return tail[: keep - keep // 2] + "…" + tail[len(tail) - keep // 2 :]
    room = width - len(tail) - 2  # "…/" between head and tail
    if len(head) > room:
        head = head[: max(room, 0)]
    return f"{head}…/{tail}"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, int]]) -> str:
    """``columns`` are (key, heading, max width). Returns the table as one string."""
    cells = [[shorten(row.get(key), width) for key, _, width in columns] for row in rows]
    widths = [
        max([len(heading), *(len(line[i]) for line in cells)])
        for i, (_, heading, _) in enumerate(columns)
    ]
    lines = ["  ".join(h.ljust(w) for (_, h, _), w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(line.rstrip() for line in lines)


def plural(count: int, noun: str) -> str:
    """``1 post``, ``2 posts``: people read the output, and "1 posts" reads like a bug."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def per_platform(counts: Mapping[str, int]) -> str:
    """``x 2, facebook 2``: counts per platform in words, never a Python dict."""
    return ", ".join(f"{platform} {count}" for platform, count in counts.items())
