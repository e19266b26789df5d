"""What the relay adds: a stream through model_router's ChatCompletion vs the same stream from the upstream.

Upstream: the fake OpenAI-compatible server (tests/fakes/llm_upstream.py) with fixed timing
(50 ms to the first chunk, 20 ms between chunks, 10 content tokens), in a child process.
Subject: model_router's real servicer and relay (one channel, no database) in another child
process, called over gRPC. Baseline: the same streamed request sent directly to the upstream
with httpx. The load generator is this process. Levels alternate subject and baseline. Reported:
total latency per request (the table) and time to the first content token (notes), P50/P99.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import httpx
from chatmesh.model_router.v1 import chat_pb2, inference_pb2, model_router_pb2_grpc

from bench.harness import Figures, Report, measure, peak_rss_mb, start_server_process

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ((1, 20), (16, 160), (64, 640))
FIRST_CHUNK_S, GAP_S, TOKENS = 0.05, 0.02, 10
DIRECT = "direct to upstream"
RELAY = "via model_router gRPC"
BODY = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hi"}],
    "stream": True,
    "stream_options": {"include_usage": True},
}


def _start(*args: str) -> tuple[subprocess.Popen[str], int]:
    return start_server_process("bench.relay_servers", *args)


def _percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values) * 1000, values[min(len(values) - 1, int(len(values) * 0.99))] * 1000


async def run() -> Report:
    upstream, upstream_port = _start("upstream", str(FIRST_CHUNK_S), str(GAP_S), str(TOKENS))
    url = f"http://127.0.0.1:{upstream_port}"
    router, router_port = _start("router", url)
    report = Report("model_router_relay")
    ttft: dict[tuple[str, int], list[float]] = {}
    request = inference_pb2.ChatCompletionRequest(
        model="gpt-4o-mini", messages=[chat_pb2.ChatMessage(role="user", content="Hi")], stream=True
    )
    try:
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with (
            httpx.AsyncClient(limits=limits, timeout=30) as http,
            grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel,
        ):
            stub = model_router_pb2_grpc.ModelRouterServiceStub(channel)

            def direct(level: int) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    started = time.perf_counter()
                    first = None
                    async with http.stream("POST", f"{url}/v1/chat/completions", json=BODY) as response:
                        async for line in response.aiter_lines():
                            if first is None and '"content": " tok' in line:
                                first = time.perf_counter() - started
                            if line == "data: [DONE]":
                                break
                    ttft.setdefault((DIRECT, level), []).append(first or 0.0)

                return call

            def relayed(level: int) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    started = time.perf_counter()
                    first = None
                    async for response in stub.ChatCompletion(request):
                        if first is None and any(c.delta.content for c in response.choices):
                            first = time.perf_counter() - started
                    ttft.setdefault((RELAY, level), []).append(first or 0.0)

                return call

            for concurrency, requests in LEVELS:
                for subject, factory in ((DIRECT, direct), (RELAY, relayed)):
                    call = factory(concurrency)
                    figures: Figures = await measure(
                        subject,
                        call,
                        concurrency=concurrency,
                        requests=requests,
                        warmup=5,
                    )
                    report.rows.append(figures)
                    ttft[(subject, concurrency)] = ttft[(subject, concurrency)][-requests:]
    finally:
        for proc in (router, upstream):
            proc.terminate()
            proc.wait(10)
    for concurrency, _ in LEVELS:
        d50, d99 = _percentiles(ttft[(DIRECT, concurrency)])
        r50, r99 = _percentiles(ttft[(RELAY, concurrency)])
        total = report.ratio(RELAY, DIRECT, concurrency, "p99_ms")
        report.notes.append(
            f"c={concurrency}: TTFT direct p50/p99 {d50:.1f}/{d99:.1f} ms, relay {r50:.1f}/{r99:.1f} ms "
            f"(added p50 {r50 - d50:.1f} ms, p99 {r99 - d99:.1f} ms); total p99 ratio {total:.3f}"
        )
    report.notes.append(
        json.dumps({"upstream": {"first_chunk_s": FIRST_CHUNK_S, "gap_s": GAP_S, "tokens": TOKENS}})
    )
    report.peak_rss_mb = peak_rss_mb()
    return report
