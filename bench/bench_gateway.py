"""What the HTTP edge costs: HTTP/JSON -> gRPC through the gateway vs calling the RPC directly.

Subject: ``GET /v1/users/me`` through the real gateway app (transcoding, edge middleware,
JSON logs at INFO) on uvicorn, in front of IdentityService.GetUser served by the mesh
runtime. Baseline: the same RPC on the same server called directly with a generated stub.
Levels alternate between the two so drift on the shared machine hits both alike. The
upstream and the gateway run in child processes; the load generator is an
``httpx.AsyncClient`` with a connection pool (and a grpc.aio channel for the baseline) in
this process, whose own CPU use is reported so a saturated generator shows instead of
hiding in the figures. The gateway's CPU use gives its throughput per core.

SSE: time to the first event of ConversationService.SendMessage through the gateway
(``POST .../messages:send``, ``text/event-stream``) vs the first message of the direct
stream. Then ``CHATMESH_BENCH_SSE_STREAMS`` (default 10,000) streams are opened and held on
one gateway process over plain sockets (a light client), the gateway's RSS is read, and the
gaps between heartbeats on every stream are measured against the configured interval.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import httpx
import psutil
from chatmesh.conversation.v1 import conversation_pb2_grpc, messages_pb2
from chatmesh.identity.v1 import identity_pb2_grpc, users_pb2

from bench.harness import Figures, Report, measure, peak_rss_mb, percentile, start_server_process

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ((1, 1500), (16, 4000), (64, 6000))
TTFE_REQUESTS = 400
HEARTBEAT_SECONDS = 2.0
HELD_STREAMS = int(os.environ.get("CHATMESH_BENCH_SSE_STREAMS", "10000"))
TARGET_ADDED_P50_MS = 1.0
TARGET_ADDED_P99_MS = 5.0
TARGET_STREAMS_RSS_MB = 1536
GATEWAY = "HTTP via gateway"
DIRECT = "direct gRPC"
RAW = "HTTP via gateway, raw client"
HTTPX_CEILING = "httpx ceiling: GET /healthz"
SSE_GATEWAY = "SSE first event via gateway"
SSE_DIRECT = "stream first msg direct"
SEND_PATH = "/v1/conversations/c-1/messages:send"


def _start(*args: str) -> tuple[subprocess.Popen[str], int]:
    return start_server_process("bench.gateway_servers", *args)


class CpuWatch:
    """CPU seconds per wall second of this process and of the gateway process over a span."""

    def __init__(self, gateway: psutil.Process) -> None:
        self.gateway = gateway

    def __enter__(self) -> CpuWatch:
        self.wall = time.perf_counter()
        self.own = time.process_time()
        times = self.gateway.cpu_times()
        self.gateway_cpu = times.user + times.system
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.wall
        times = self.gateway.cpu_times()
        self.own_share = (time.process_time() - self.own) / wall
        self.gateway_share = (times.user + times.system - self.gateway_cpu) / wall


async def _level(
    report: Report,
    subject: str,
    call: Callable[[], Awaitable[object]],
    concurrency: int,
    requests: int,
    gateway: psutil.Process,
) -> Figures:
    with CpuWatch(gateway) as cpu:
        row = await measure(subject, call, concurrency=concurrency, requests=requests, warmup=100)
    report.rows.append(row)
    note = f"  {subject} c={concurrency}: load generator CPU {cpu.own_share:.0%} of one core"
    if subject in (GATEWAY, RAW):
        per_core = row.rps / max(cpu.gateway_share, 1e-9)
        note += f"; gateway CPU {cpu.gateway_share:.2f} cores -> {per_core:.0f} RPS per gateway core"
    report.notes.append(note)
    return row


async def _unary(
    report: Report, http: httpx.AsyncClient, channel: grpc.aio.Channel, gateway: psutil.Process
) -> None:
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    request = users_pb2.GetUserRequest(user_id="me")

    async def direct() -> None:
        await stub.GetUser(request)

    async def via_gateway() -> None:
        response = await http.get("/v1/users/me")
        if response.status_code != 200:
            raise RuntimeError(f"gateway answered {response.status_code}: {response.text[:200]}")

    for concurrency, requests in LEVELS:
        await _level(report, DIRECT, direct, concurrency, requests, gateway)
        await _level(report, GATEWAY, via_gateway, concurrency, requests, gateway)

    async def healthz() -> None:
        await http.get("/healthz")

    await _level(report, HTTPX_CEILING, healthz, 64, LEVELS[-1][1], gateway)
    port = http.base_url.port
    assert port is not None
    for concurrency, requests in (LEVELS[0], LEVELS[-1]):
        pool = RawPool(port, concurrency)
        await _level(report, RAW, pool.get_user, concurrency, requests, gateway)
        pool.close()


class RawClient:
    """Keep-alive HTTP/1.1 on one socket: a load generator light enough to show the gateway's ceiling."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> None:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"gateway answered {head[:40]!r}")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class RawPool:
    """One RawClient per concurrent worker, handed out in turn."""

    def __init__(self, port: int, size: int) -> None:
        self.clients = [RawClient(port) for _ in range(size)]
        self.idle: asyncio.Queue[RawClient] = asyncio.Queue()
        for client in self.clients:
            self.idle.put_nowait(client)

    async def get_user(self) -> None:
        client = await self.idle.get()
        try:
            await client.get("/v1/users/me")
        finally:
            self.idle.put_nowait(client)

    def close(self) -> None:
        for client in self.clients:
            client.close()


async def _first_event(report: Report, http: httpx.AsyncClient, channel: grpc.aio.Channel) -> None:
    stub = conversation_pb2_grpc.ConversationServiceStub(channel)
    request = messages_pb2.SendMessageRequest(conversation_id="c-1", content="3")

    async def direct() -> None:
        call = stub.SendMessage(request)
        await call.read()
        call.cancel()

    async def via_gateway() -> None:
        async with http.stream("POST", SEND_PATH, json={"content": "3"}) as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    return
        raise RuntimeError("the stream ended without an event")

    for concurrency in (1, 16):
        report.rows.append(await measure(SSE_DIRECT, direct, concurrency=concurrency, requests=TTFE_REQUESTS))
        report.rows.append(
            await measure(SSE_GATEWAY, via_gateway, concurrency=concurrency, requests=TTFE_REQUESTS)
        )


async def _open_stream(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    body = b'{"content": "1", "model": "hold"}'
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST " + SEND_PATH.encode() + b" HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            raise RuntimeError("the gateway closed a held stream")
        if line.startswith(b"data:"):
            return reader, writer


async def _heartbeat_gaps(reader: asyncio.StreamReader, window: float) -> list[float]:
    """Gaps between consecutive heartbeats as this client saw them (the first ping starts the clock)."""
    gaps: list[float] = []
    last: float | None = None
    deadline = time.monotonic() + window
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = await asyncio.wait_for(reader.readline(), left)
        except TimeoutError:
            break
        if line.startswith(b": ping"):
            now = time.monotonic()
            if last is not None:
                gaps.append(now - last)
            last = now
    return gaps


async def _held_streams(report: Report, port: int, gateway: psutil.Process) -> None:
    if HELD_STREAMS <= 0:
        return
    rss_before = gateway.memory_info().rss / 2**20
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    started = time.perf_counter()
    try:
        for first in range(0, HELD_STREAMS, 500):
            batch = min(500, HELD_STREAMS - first)
            opened += await asyncio.gather(*(_open_stream(port) for _ in range(batch)))
        took = time.perf_counter() - started
        rss = gateway.memory_info().rss / 2**20
        window = HEARTBEAT_SECONDS * 3.5
        gaps = [
            g
            for found in await asyncio.gather(*(_heartbeat_gaps(r, window) for r, _ in opened))
            for g in found
        ]
    finally:
        for _, writer in opened:
            writer.close()
    left_open = await _open_streams_after(port, len(opened))
    # The gateway never sends two pings closer than the interval: a shorter gap is this client
    # reading pings that queued in its socket while it was busy with the other streams.
    bursts = sum(1 for g in gaps if g < HEARTBEAT_SECONDS / 2)
    gaps = sorted(g for g in gaps if g >= HEARTBEAT_SECONDS / 2)
    silent = sum(1 for g in gaps if g > HEARTBEAT_SECONDS * 2)
    p99 = percentile(gaps, 0.99)
    verdict = "meets" if rss < TARGET_STREAMS_RSS_MB else "MISSES"
    report.notes.append(
        f"  {len(opened)} SSE streams held on one gateway process (opened in {took:.1f} s): gateway RSS "
        f"{rss:.0f} MiB ({rss - rss_before:+.0f} MiB for the streams; "
        f"{verdict} the <{TARGET_STREAMS_RSS_MB} MiB target)"
    )
    report.notes.append(f"  streams the gateway still served 3 s after their clients left: {left_open}")
    report.notes.append(
        f"  heartbeats every {HEARTBEAT_SECONDS:.1f} s: {len(gaps)} gaps seen, "
        f"P50 {percentile(gaps, 0.5):.2f} s, "
        f"P99 {p99:.2f} s, max {gaps[-1]:.2f} s, {silent} gaps over twice the interval "
        f"({bursts} shorter gaps left out: pings queued while the client was busy)"
        if gaps
        else "  heartbeats: none seen"
    )


async def _open_streams_after(port: int, expected_gone: int) -> int:
    """The gateway's open-streams gauge once the held clients have gone (should fall to 0)."""
    await asyncio.sleep(3)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        text = (await http.get("/metrics")).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("chatmesh_http_open_streams{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def _added(report: Report) -> None:
    for concurrency, _ in LEVELS:
        mine = report.row(GATEWAY, concurrency)
        base = report.row(DIRECT, concurrency)
        added_p50 = mine.p50_ms - base.p50_ms
        added_p99 = mine.p99_ms - base.p99_ms
        line = f"  c={concurrency}: gateway adds P50 {added_p50:+.3f} ms, P99 {added_p99:+.3f} ms"
        if concurrency == 64:
            ok = added_p50 < TARGET_ADDED_P50_MS and added_p99 < TARGET_ADDED_P99_MS
            verdict = "meets" if ok else "MISSES"
            line += f" ({verdict} the <{TARGET_ADDED_P50_MS} / <{TARGET_ADDED_P99_MS} ms target)"
        report.notes.append(line)
    for concurrency in (LEVELS[0][0], LEVELS[-1][0]):
        raw = report.row(RAW, concurrency)
        base = report.row(DIRECT, concurrency)
        report.notes.append(
            f"  c={concurrency}, raw client: gateway adds P50 {raw.p50_ms - base.p50_ms:+.3f} ms, "
            f"P99 {raw.p99_ms - base.p99_ms:+.3f} ms"
        )
    for concurrency in (1, 16):
        mine = report.row(SSE_GATEWAY, concurrency)
        base = report.row(SSE_DIRECT, concurrency)
        report.notes.append(
            f"  SSE c={concurrency}: time to first event adds P50 {mine.p50_ms - base.p50_ms:+.3f} ms, "
            f"P99 {mine.p99_ms - base.p99_ms:+.3f} ms"
        )


async def run() -> Report:
    report = Report(name="gateway")
    upstream, upstream_port = _start("upstream")
    try:
        gateway_proc, gateway_port = _start("gateway", str(upstream_port), str(HEARTBEAT_SECONDS))
    except RuntimeError:
        upstream.terminate()
        raise
    gateway = psutil.Process(gateway_proc.pid)
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    try:
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{upstream_port}") as channel,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", limits=limits, timeout=60) as http,
        ):
            await _unary(report, http, channel, gateway)
            await _first_event(report, http, channel)
        await _held_streams(report, gateway_port, gateway)
        report.notes.append(f"  gateway peak RSS {_peak_rss_mb(gateway):.0f} MiB")
    finally:
        for proc in (gateway_proc, upstream):
            _stop(proc)
    report.peak_rss_mb = peak_rss_mb()
    _added(report)
    return report


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def _peak_rss_mb(process: psutil.Process) -> float:
    """VmHWM of a live process (Linux), in MiB."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return process.memory_info().rss / 2**20


if __name__ == "__main__":
    from bench.harness import render

    print(render(asyncio.run(run())))
