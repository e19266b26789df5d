"""What a relay adds to a streamed chat completion: chatmesh's model_router and gateway vs LiteLLM's proxy.

Upstream: a fake OpenAI-compatible server on raw asyncio (bench/relay_upstream.py) with
fixed timing — 50 ms to the first token, 20 ms between tokens, 50 tokens — in its own
process. The same load is sent (a) directly to it, (b) to model_router's ChatCompletion
gRPC stream (real servicer and relay, API key verified through a stand-in identity and
cached, as deployed), (c) to the gateway's ``/v1/chat/completions`` with an API key (edge
auth, transcoding, then (b)), and (d) to LiteLLM's proxy (``litellm[proxy]`` from the
package registry, installed by this bench into ``.bench/litellm-venv`` on first run, never
into the project's venv) pointed at the same upstream. Each server is its own process; the
load generators are separate processes too (bench/relay_load.py: raw asyncio HTTP/1.1, or
grpc.aio for (b)), split over two processes at the higher levels so they are not the
bottleneck. Within each level the subjects take turns, twice, so drift on the shared machine hits all.

Reported per level (concurrency 1, 16, 64): total latency P50/P99 (table), TTFT P50/P99 and
the TTFT and total latency each relay adds over direct (notes, "added" = subject percentile
minus direct percentile); then max RPS at concurrency 256, where the upstream's timing
allows ~250 RPS and a relay that cannot keep up shows. LiteLLM authenticates with its
master key: its virtual keys need its Postgres schema created by Prisma, whose engine is a
binary download outside the package registry (not available here).

Env: ``CHATMESH_BENCH_RELAY_SCALE`` (default 1.0) scales request counts;
``CHATMESH_BENCH_QUICK=1`` is for iterating: a third of the requests (unless a scale is
given), one round per level, and no LiteLLM (its figures come from a full run only).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.harness import Figures, Report, peak_rss_mb, percentile, start_server_process
from bench.litellm_env import ensure_litellm
from bench.relay_compare_servers import API_KEY

ROOT = Path(__file__).resolve().parent.parent
FIRST_TOKEN_S, GAP_S, TOKENS = 0.05, 0.02, 50
QUICK = os.environ.get("CHATMESH_BENCH_QUICK", "").lower() in ("1", "true", "yes")
SCALE = float(os.environ.get("CHATMESH_BENCH_RELAY_SCALE", "0.34" if QUICK else "1.0"))
LEVELS = ((1, 12), (16, 96), (64, 320))
MAX_LEVEL = (256, 512)
# Each level runs subject after subject, twice, so drift on the shared machine hits all.
ROUNDS = 1 if QUICK else 2
LITELLM_KEY = "sk-litellm-master-bench"
DIRECT, ROUTER, GATEWAY, LITELLM = "direct", "model_router gRPC", "gateway HTTP", "LiteLLM proxy"
TARGET_ADDED_P99_MS = 5.0


@dataclass
class Subject:
    name: str
    mode: str  # "http" | "grpc"
    target: str
    key: str


@dataclass
class Samples:
    ttft: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    errors: int = 0
    first_error: str = ""

    def merge(self, other: Samples) -> None:
        self.ttft.extend(other.ttft)
        self.total.extend(other.total)
        self.elapsed += other.elapsed
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error


def _pct(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


async def _load(subject: Subject, concurrency: int, requests: int) -> Samples:
    """Run the load in 1 process (or 2 above 16 concurrent streams) and merge what they measured."""
    procs = 2 if concurrency > 16 else 1
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "gen")])}
    shares = [(concurrency // procs, requests // procs) for _ in range(procs)]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.relay_load",
            subject.mode,
            subject.target,
            subject.key,
            str(c),
            str(r),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for c, r in shares
    ]
    merged = Samples()
    for child in children:
        out, _ = await child.communicate()
        try:
            result = json.loads(out.decode().strip().splitlines()[-1])
        except (IndexError, ValueError):
            merged.errors += requests // procs
            continue
        merged.ttft.extend(result["ttft"])
        merged.total.extend(result["total"])
        merged.elapsed = max(merged.elapsed, float(result["elapsed"]))
        merged.errors += int(result["errors"])
        merged.first_error = merged.first_error or str(result.get("first_error", ""))
    return merged


def _litellm_config(upstream_url: str, directory: Path) -> Path:
    path = directory / "litellm.yaml"
    path.write_text(
        "model_list:\n"
        "  - model_name: gpt-4o-mini\n"
        "    litellm_params:\n"
        "      model: openai/gpt-4o-mini\n"
        f"      api_base: {upstream_url}/v1\n"
        "      api_key: sk-upstream\n"
        "litellm_settings:\n"
        "  drop_params: true\n"
        "  telemetry: false\n"
        "general_settings:\n"
        f"  master_key: {LITELLM_KEY}\n"
    )
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn_litellm(python: Path, upstream_url: str, directory: Path, port: int) -> subprocess.Popen[bytes]:
    """LiteLLM's proxy, one worker, offline: the local model cost map, no telemetry, no database."""
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_LOG": "ERROR",
        "LITELLM_TELEMETRY": "False",
        "DISABLE_SCHEMA_UPDATE": "True",
    }
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [
            str(python.parent / "litellm"),
            "--config",
            str(_litellm_config(upstream_url, directory)),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--num_workers",
            "1",
        ],
        cwd=directory,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _start_litellm(
    upstream_url: str, directory: Path
) -> tuple[subprocess.Popen[bytes] | None, int, str]:
    python, why = await asyncio.to_thread(ensure_litellm)
    if python is None:
        return None, 0, why
    port = _free_port()
    proc = _spawn_litellm(python, upstream_url, directory, port)
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return None, 0, f"LiteLLM proxy exited with code {proc.returncode} at start"
            try:
                if (await http.get(f"http://127.0.0.1:{port}/health/readiness")).status_code == 200:
                    return proc, port, ""
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    proc.terminate()
    return None, 0, "LiteLLM proxy did not become ready in 120 s"


def _stop(procs: list[subprocess.Popen[str] | subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _figures(name: str, concurrency: int, samples: Samples) -> Figures:
    return Figures(
        subject=name,
        concurrency=concurrency,
        requests=len(samples.total),
        p50_ms=_pct(samples.total, 0.5),
        p99_ms=_pct(samples.total, 0.99),
        rps=len(samples.total) / samples.elapsed if samples.elapsed else 0.0,
    )


def _notes(report: Report, results: dict[tuple[str, int], Samples], names: list[str]) -> None:
    for concurrency, _ in LEVELS:
        base = results[(DIRECT, concurrency)]
        b_ttft = (_pct(base.ttft, 0.5), _pct(base.ttft, 0.99))
        b_total = (_pct(base.total, 0.5), _pct(base.total, 0.99))
        report.notes.append(
            f"c={concurrency}: direct TTFT p50/p99 {b_ttft[0]:.1f}/{b_ttft[1]:.1f} ms, "
            f"total {b_total[0]:.1f}/{b_total[1]:.1f} ms"
        )
        for name in names[1:]:
            got = results.get((name, concurrency))
            if got is None or not got.total:
                continue
            ttft = (_pct(got.ttft, 0.5) - b_ttft[0], _pct(got.ttft, 0.99) - b_ttft[1])
            total = (_pct(got.total, 0.5) - b_total[0], _pct(got.total, 0.99) - b_total[1])
            errors = f", {got.errors} errors (first: {got.first_error})" if got.errors else ""
            report.notes.append(
                f"  {name:<18} added TTFT p50/p99 {ttft[0]:+.1f}/{ttft[1]:+.1f} ms, "
                f"added total p50/p99 {total[0]:+.1f}/{total[1]:+.1f} ms{errors}"
            )


async def run() -> Report:
    report = Report("model_router_relay")
    levels = [(c, max(c, int(n * SCALE))) for c, n in LEVELS]
    top = (MAX_LEVEL[0], max(MAX_LEVEL[0], int(MAX_LEVEL[1] * SCALE)))
    procs: list[subprocess.Popen[str] | subprocess.Popen[bytes]] = []
    results: dict[tuple[str, int], Samples] = {}
    with tempfile.TemporaryDirectory(prefix="chatmesh-relay-bench-") as scratch:
        try:
            upstream, upstream_port = start_server_process(
                "bench.relay_upstream", str(FIRST_TOKEN_S), str(GAP_S), str(TOKENS)
            )
            procs.append(upstream)
            upstream_url = f"http://127.0.0.1:{upstream_port}"
            identity, identity_port = start_server_process("bench.relay_compare_servers", "identity")
            procs.append(identity)
            router, router_port = start_server_process(
                "bench.relay_compare_servers", "router", upstream_url, str(identity_port)
            )
            procs.append(router)
            gateway, gateway_port = start_server_process(
                "bench.relay_compare_servers", "gateway", str(identity_port), str(router_port)
            )
            procs.append(gateway)
            subjects = [
                Subject(DIRECT, "http", f"127.0.0.1:{upstream_port}", "sk-upstream"),
                Subject(ROUTER, "grpc", f"127.0.0.1:{router_port}", API_KEY),
                Subject(GATEWAY, "http", f"127.0.0.1:{gateway_port}", API_KEY),
            ]
            litellm, litellm_port, why = (
                (None, 0, "skipped in quick mode (CHATMESH_BENCH_QUICK)")
                if QUICK
                else await _start_litellm(upstream_url, Path(scratch))
            )
            if litellm is not None:
                procs.append(litellm)
                subjects.append(Subject(LITELLM, "http", f"127.0.0.1:{litellm_port}", LITELLM_KEY))
            else:
                report.notes.append(f"{LITELLM}: unavailable ({why})")
            for concurrency, requests in [*levels, top]:
                for _ in range(ROUNDS):
                    for subject in subjects:
                        samples = await _load(subject, concurrency, max(concurrency, requests // ROUNDS))
                        results.setdefault((subject.name, concurrency), Samples()).merge(samples)
                report.rows.extend(
                    _figures(s.name, concurrency, results[(s.name, concurrency)]) for s in subjects
                )
        finally:
            _stop(procs)
    names = [s.name for s in subjects]
    if LITELLM not in names:
        for concurrency, _ in [*levels, top]:
            report.rows.append(
                Figures(f"{LITELLM} (unavailable)", concurrency, 0, float("nan"), float("nan"), 0.0)
            )
    _notes(report, results, names)
    report.notes.append(
        f"max RPS at c={top[0]}: "
        + ", ".join(f"{n} {_figures(n, top[0], results[(n, top[0])]).rps:.0f}" for n in names)
    )
    _verdict(report, results, names)
    report.notes.append(
        json.dumps({"upstream": {"first_token_s": FIRST_TOKEN_S, "gap_s": GAP_S, "tokens": TOKENS}})
    )
    report.peak_rss_mb = peak_rss_mb()
    return report


def _verdict(report: Report, results: dict[tuple[str, int], Samples], names: list[str]) -> None:
    """Target: chatmesh's added P99 at c=64 under 5 ms and at least 10x lower than LiteLLM's.

    An added figure below zero means the relay was within the run's noise of direct; it counts
    as 0 ms, and the ratio is then not meaningful and is not printed.
    """
    base = _pct(results[(DIRECT, 64)].total, 0.99)
    added = {n: _pct(results[(n, 64)].total, 0.99) - base for n in names[1:] if results[(n, 64)].total}
    parts = []
    for name, value in added.items():
        shown = f"{value:+.1f} ms" if value >= 0 else f"{value:+.1f} ms (within noise: 0)"
        parts.append(f"{name} {shown} {'met' if value < TARGET_ADDED_P99_MS else 'missed'}")
    line = "target c=64 added total p99 < 5 ms: " + ", ".join(parts)
    if LITELLM in added and ROUTER in added:
        if added[ROUTER] > 0:
            line += f"; LiteLLM/model_router added p99 {added[LITELLM] / added[ROUTER]:.1f}x (target >= 10x)"
        else:
            line += "; LiteLLM/model_router ratio n/a (model_router within noise of direct)"
    report.notes.append(line)
