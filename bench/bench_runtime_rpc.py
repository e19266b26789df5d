"""What the mesh runtime costs on a unary round trip.

Subject: a trivial RPC (IdentityService.GetJwks with a handler that answers an
empty key set) served by ``mesh.server`` (tracing, logging at INFO, metrics,
auth and error layers) and called through ``mesh.clients`` (discovery,
deadlines, retry config, metadata propagation). Baseline: the same handler on a
bare grpc.aio server called through a bare generated stub. Levels alternate
between the two so drift on the shared machine hits both alike.
Servers run in child processes; the client's own CPU use is reported so a
saturated load generator shows up instead of hiding in the figures, and so is each
server's CPU time per RPC, which a busy shared machine disturbs far less than latency.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import grpc
import psutil
from chatmesh.identity.v1 import auth_pb2, identity_pb2_grpc

from bench.harness import Figures, Report, measure, peak_rss_mb, start_server_process
from mesh.clients import ServiceClients
from mesh.config import load_settings
from mesh.discovery import make_discovery

LEVELS = ((1, 2000), (16, 6000), (64, 8000))
TARGET_P50_OVERHEAD = 0.15
ROOT = Path(__file__).resolve().parent.parent
BARE = "bare grpc.aio stub"
MESH = "mesh.server + mesh.clients"


def _start(kind: str) -> tuple[subprocess.Popen[str], int]:
    return start_server_process("bench.rpc_servers", kind)


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _measure_level(
    subject: str, call: object, concurrency: int, requests: int, report: Report, server: psutil.Process
) -> None:
    cpu0, wall0, server0 = time.process_time(), time.perf_counter(), _cpu_seconds(server)
    row: Figures = await measure(subject, call, concurrency=concurrency, requests=requests)  # type: ignore[arg-type]
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    per_rpc_us = (_cpu_seconds(server) - server0) / requests * 1e6
    report.rows.append(row)
    report.notes.append(
        f"  {subject} c={concurrency}: load generator CPU {cpu:.0%} of one core; "
        f"server CPU {per_rpc_us:.0f} us per RPC"
    )


async def run() -> Report:
    report = Report(name="runtime_rpc")
    request = auth_pb2.GetJwksRequest()
    bare_proc, bare_port = _start("bare")
    try:
        mesh_proc, mesh_port = _start("mesh")
    except RuntimeError:
        bare_proc.terminate()
        raise
    settings = load_settings(_env_file=None, static_addresses={"identity": f"127.0.0.1:{mesh_port}"})
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    bare_cpu, mesh_cpu = psutil.Process(bare_proc.pid), psutil.Process(mesh_proc.pid)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{bare_port}") as channel:
            bare = identity_pb2_grpc.IdentityServiceStub(channel)
            mesh = clients.stub("identity")
            for concurrency, requests in LEVELS:
                level = (concurrency, requests, report)
                await _measure_level(BARE, lambda: bare.GetJwks(request), *level, bare_cpu)
                await _measure_level(MESH, lambda: mesh.GetJwks(request), *level, mesh_cpu)
    finally:
        await clients.close()
        await discovery.close()
        for proc in (bare_proc, mesh_proc):
            proc.terminate()
            proc.wait(timeout=10)
    report.peak_rss_mb = peak_rss_mb()
    for concurrency, _ in LEVELS:
        ratio = report.ratio(MESH, BARE, concurrency)
        report.notes.append(f"  c={concurrency}: mesh/bare P50 ratio {ratio:.2f}")
    overhead = report.ratio(MESH, BARE, 64) - 1
    verdict = "meets" if overhead < TARGET_P50_OVERHEAD else "MISSES"
    report.notes.append(
        f"  runtime adds {overhead:+.1%} to P50 at c=64 ({verdict} the <{TARGET_P50_OVERHEAD:.0%} target)"
    )
    return report


if __name__ == "__main__":
    from bench.harness import render

    print(render(asyncio.run(run())))
