"""`python -m bench [name ...]`: run the benchmarks and print one table each."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
from pathlib import Path

from bench.harness import Report, render, save


def _benchmarks(selected: list[str]) -> list[str]:
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
    )
    if selected:
        unknown = [s for s in selected if f"bench_{s}" not in names and s not in names]
        if unknown:
            raise SystemExit(f"unknown benchmark(s) {unknown}; known: {names}")
        names = [n for n in names if n in selected or n.removeprefix("bench_") in selected]
    return names


def main(argv: list[str]) -> int:
    for name in _benchmarks(argv):
        module = importlib.import_module(f"bench.{name}")
        report: Report = asyncio.run(module.run())
        print(render(report))
        print(f"saved {save(report)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
