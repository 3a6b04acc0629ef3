"""The package's shape: the folder reads as the flow, and no two modules import each other.

Imports are read with ``ast`` (module-level and inside functions alike, since an import put
inside a function to dodge a cycle is still a cycle), so the test sees what a reader sees.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
WINGS = {
    "core",
    "feeds",
    "posts",
    "sending",
    "appeals",
    "shares",
    "platforms",
    "fakes",
    "web",
    "cli",
}
# The entrances and the one place two wings meet; everything else lives in a wing.
TOP_LEVEL = {"__init__", "demo", "polling", "runtime", "sandbox", "scheduler", "status"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in BOT.rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The bot modules ``path`` imports: ``from bot.x import y`` names ``bot.x.y`` when that is
    a module, else ``bot.x``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    found.add(target)
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_bot_modules() -> None:
    found = modules()
    graph = {name: imports_of(path, set(found)) for name, path in found.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_lives_in_a_wing_or_is_an_entrance() -> None:
    stray = [
        name
        for name in modules()
        if name != "bot" and name.split(".")[1] not in WINGS and name.split(".")[1] not in TOP_LEVEL
    ]
    assert stray == []
