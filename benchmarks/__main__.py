"""``python -m benchmarks`` (``make bench``): every figure next to its baseline, in one table.

Each figure is measured in the same run as its baseline, on 127.0.0.1 only; ``--json`` prints
the rows as JSON instead, ``--only 1,3`` runs some figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from . import daemon, ingest, publish, scale
from .common import Result

FIGURES: dict[str, Callable[[Path], list[Result]]] = {
    "1,2,7": ingest.run,
    "3": lambda tmp: [publish.run_sandbox(tmp)],
    "4": lambda tmp: [publish.run_fakes(tmp)],
    "5": lambda tmp: [daemon.run_memory(tmp)],
    "6": lambda tmp: [daemon.run_withdrawal(tmp)],
    "8,9,10": scale.run,
    "11": scale.run_help,
}
COLUMNS = ("figure", "value", "baseline", "ratio", "target", "verdict")


def table(results: list[Result]) -> str:
    rows = [
        (r.name, r.value, r.baseline, f"{r.ratio:.2f}x" if r.ratio else "-", r.target, r.verdict)
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for result, row in zip(results, rows, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if result.detail:
            lines.append(f"    {result.detail}")
    lines.append("ratio = the figure's cost over its baseline's (above 1: slower or bigger)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--only", default="", help="comma-separated figure numbers, e.g. 1,5")
    args = parser.parse_args(argv)
    wanted = {part.strip() for part in args.only.split(",") if part.strip()}
    logging.getLogger("appeal_bot").setLevel(logging.ERROR)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    results: list[Result] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="appeal-bot-bench-") as folder:
        for key, run in FIGURES.items():
            if wanted and not wanted & set(key.split(",")):
                continue
            sub = Path(folder) / f"fig-{key.replace(',', '-')}"
            sub.mkdir()
            print(f"running figure {key} ...", file=sys.stderr, flush=True)
            results += run(sub)
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print(table(results))
        print(f"(whole run {elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
