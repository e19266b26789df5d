"""What the chat path adds to time-to-first-token, through the whole running mesh.

Subject: an HTTP client posts ``/v1/conversations/{id}/messages:send`` (SSE) to the gateway
of a mesh started with ``python -m mesh up`` (embedded Postgres and Redis, every service a
process), which goes gateway → conversation → orchestrator → model_router → the upstream;
the figure is the time until the first content delta arrives. Baseline: the same client
streaming ``/v1/chat/completions`` straight from the same fake upstream (fixed timing: a
first token after ``FIRST_TOKEN_S``, then one every ``GAP_S``), time to its first content
chunk, at the same concurrency, in the same run. Added TTFT = subject - baseline, per
percentile. Each concurrent worker owns its own user and conversation, as 64 people chatting
would; the gateway's rate limits and the orchestrator's per-tenant concurrency limit are
raised so the bench measures the path, not the queue.

Also: ListMessages on one conversation of 10,000 messages is measured by
bench_conversation_messages; this one covers only the streaming turn.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.harness import Figures, Report, percentile, start_server_process
from tests.support.mesh_process import make_mesh

FIRST_TOKEN_S = 0.05
GAP_S = 0.02
TOKENS = 20
LEVELS = ((1, 40), (16, 160), (64, 320))
MODEL = "gpt-4o-mini"
TARGET_ADDED_P50_MS = 10.0
TARGET_ADDED_P99_MS = 30.0
SUBJECT = "TTFT via gateway → conversation → orchestrator → model_router"
BASELINE = "TTFT direct from the upstream"


async def _timed_stream(response: httpx.Response, marker: str, started: float) -> float:
    """Seconds from ``started`` to the first data line holding ``marker``; reads the stream to its end."""
    first: float | None = None
    lines: list[str] = []
    async for line in response.aiter_lines():
        if first is None and line.startswith("data:") and marker in line:
            first = time.perf_counter() - started
        elif first is None:
            lines.append(line)
    if first is None:
        raise RuntimeError("stream ended before the first content delta:\n" + "\n".join(lines[-6:]))
    return first


class Worker:
    """One user with one conversation (created on first use) sending turn after turn."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.conversation = ""

    async def setup(self) -> None:
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        reply = await self.http.post(
            "/v1/auth:register", json={"email": email, "password": "bench-Passw0rd!"}
        )
        reply.raise_for_status()
        self.http.headers["authorization"] = f"Bearer {reply.json()['accessToken']}"
        created = await self.http.post(
            "/v1/conversations", json={"title": "bench", "settings": {"model": MODEL}}
        )
        created.raise_for_status()
        self.conversation = created.json()["id"]

    async def turn(self) -> float:
        started = time.perf_counter()
        async with self.http.stream(
            "POST",
            f"/v1/conversations/{self.conversation}/messages:send",
            json={"content": "Hello"},
            headers={"accept": "text/event-stream"},
        ) as response:
            response.raise_for_status()
            return await _timed_stream(response, '"delta"', started)


async def _direct(http: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "Hello"}]}
    async with http.stream("POST", "/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        # The first token's text, not the role chunk before it (whose "content" is empty): the
        # subject's first "delta" event is that same first token.
        return await _timed_stream(response, '" tok', started)


async def _level(subject: str, calls: list[object], concurrency: int, requests: int) -> Figures:
    """``requests`` turns spread over ``concurrency`` callables (each one sequential)."""
    latencies: list[float] = []
    remaining = requests

    async def loop(call: object) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            latencies.append(await call())  # type: ignore[operator]

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in calls[:concurrency]))
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


async def run() -> Report:
    report = Report("chat_path")
    upstream, port = start_server_process(
        "bench.relay_servers", "upstream", str(FIRST_TOKEN_S), str(GAP_S), str(TOKENS)
    )
    upstream_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="chatmesh-bench-") as root:
        mesh = make_mesh(
            Path(root),
            {
                "CHATMESH_SEED_CHANNEL_BASE_URL": f"{upstream_url}/v1",
                "CHATMESH_SEED_CHANNEL_API_KEY": "sk-bench",
                "CHATMESH_SEED_CHANNEL_MODELS": json.dumps([MODEL]),
                "CHATMESH_GATEWAY_RATE_LIMITS": "[]",
                "CHATMESH_LOG_LEVEL": "WARNING",
            },
        )
        run_ = mesh.start()
        try:
            run_.wait_ready()
            limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
            gateway = [httpx.AsyncClient(base_url=mesh.gateway, timeout=60, limits=limits) for _ in range(64)]
            direct = httpx.AsyncClient(base_url=upstream_url, timeout=60, limits=limits)
            workers = [Worker(http) for http in gateway]
            await asyncio.gather(*(w.setup() for w in workers))
            for w in workers[:4]:
                await w.turn()
                await _direct(direct)
            for concurrency, requests in LEVELS:
                base = await _level(BASELINE, [lambda: _direct(direct)] * concurrency, concurrency, requests)
                mine = await _level(SUBJECT, [w.turn for w in workers], concurrency, requests)
                report.rows += [base, mine]
                report.notes.append(
                    f"c={concurrency}: added TTFT P50 {mine.p50_ms - base.p50_ms:+.1f} ms, "
                    f"P99 {mine.p99_ms - base.p99_ms:+.1f} ms"
                )
            at64 = (report.row(SUBJECT, 64), report.row(BASELINE, 64))
            added50, added99 = at64[0].p50_ms - at64[1].p50_ms, at64[0].p99_ms - at64[1].p99_ms
            verdict = "met" if added50 < TARGET_ADDED_P50_MS and added99 < TARGET_ADDED_P99_MS else "MISSED"
            report.notes.append(
                f"target at c=64: added P50 < {TARGET_ADDED_P50_MS} ms and P99 < {TARGET_ADDED_P99_MS} ms — "
                f"{verdict} ({added50:+.1f} / {added99:+.1f} ms); "
                f"upstream TTFT is {FIRST_TOKEN_S * 1000:.0f} ms"
            )
            for http in [*gateway, direct]:
                await http.aclose()
        except Exception:
            errors = [line for line in run_.lines if '"level": "ERROR"' in line or "Traceback" in line]
            print("\n".join(errors[-20:]) or run_.output(60))
            raise
        finally:
            run_.stop()
            upstream.terminate()
            upstream.wait(timeout=10)
    return report
