"""Shared measuring and reporting for the benchmarks under bench/.

Every benchmark measures chatmesh and its baseline in the same run, because the
machine is shared and noisy: absolute figures drift, ratios hold.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figures:
    """Latency percentiles (ms) and throughput of one load level."""

    subject: str
    concurrency: int
    requests: int
    p50_ms: float
    p99_ms: float
    rps: float


@dataclass
class Report:
    name: str
    rows: list[Figures] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0

    def ratio(self, subject: str, baseline: str, concurrency: int, metric: str = "p50_ms") -> float:
        mine = self.row(subject, concurrency)
        base = self.row(baseline, concurrency)
        return float(getattr(mine, metric)) / max(float(getattr(base, metric)), 1e-9)

    def row(self, subject: str, concurrency: int) -> Figures:
        for row in self.rows:
            if row.subject == subject and row.concurrency == concurrency:
                return row
        raise KeyError((subject, concurrency))


async def measure(
    subject: str,
    call: Callable[[], Awaitable[object]],
    *,
    concurrency: int,
    requests: int,
    warmup: int = 200,
) -> Figures:
    """Run ``requests`` calls with ``concurrency`` workers and time each call."""
    for _ in range(warmup):
        await call()
    latencies: list[float] = []
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Figures(
        subject=subject,
        concurrency=concurrency,
        requests=len(latencies),
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        rps=len(latencies) / elapsed,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (in any order, same unit out); NaN when there are none.

    One definition for every bench, so P50s of two benches compare: P50 is the median (the mean
    of the two middle values for an even count), any other quantile the nearest rank
    ``sorted[int(n * q)]``, clamped to the largest value.
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    if q == 0.5:
        return statistics.median(ordered)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def peak_rss_mb() -> float:
    """Peak resident set of this process and its waited-for children (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def render(report: Report) -> str:
    header = f"{'subject':<28} {'conc':>5} {'requests':>9} {'p50 ms':>9} {'p99 ms':>9} {'rps':>10}"
    lines = [f"== {report.name} ==", header, "-" * len(header)]
    for r in report.rows:
        figures = f"{r.p50_ms:>9.3f} {r.p99_ms:>9.3f} {r.rps:>10.0f}"
        lines.append(f"{r.subject:<28} {r.concurrency:>5} {r.requests:>9} {figures}")
    lines.append(f"peak RSS: {report.peak_rss_mb:.0f} MB")
    lines.extend(report.notes)
    return "\n".join(lines)


def save(report: Report) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{report.name}-{stamp}.json"
    payload = {
        "name": report.name,
        "when": stamp,
        "machine": {"python": platform.python_version(), "cpu_count": _cpu_count()},
        "rows": [asdict(r) for r in report.rows],
        "notes": report.notes,
        "peak_rss_mb": report.peak_rss_mb,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def start_server_process(*argv: str) -> tuple[subprocess.Popen[str], int]:
    """``python -m <argv>`` as a child process and the port it prints on a line of its own.

    Servers run in their own processes so the load generator does not share their event
    loop; their log lines are drained so a full stdout pipe never blocks them.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "gen")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    while line and not line.strip().isdigit():
        line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"{' '.join(argv)} did not start (exit code {proc.wait()})")
    subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
    return proc, int(line)


async def announce_and_wait(port: int) -> None:
    """Server side of :func:`start_server_process`: print the port, then wait for SIGTERM."""
    print(port, flush=True)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    await done.wait()
