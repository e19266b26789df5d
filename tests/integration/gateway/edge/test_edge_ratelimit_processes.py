"""Two gateway processes sharing one Redis hold one limit together (the deployment shape)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mesh.embedded.common import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
LIMIT = 7
STARTUP_SECONDS = 30.0


def _start(port: int, redis_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "gen"), str(HERE)]),
        "CHATMESH_REDIS_URL": redis_url,
        "CHATMESH_GATEWAY_RATE_LIMITS": json.dumps([{"scope": "user", "limit": LIMIT, "window_seconds": 60}]),
    }
    command = [sys.executable, "-m", "uvicorn", "edge_limited_app:create", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_until_serving(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            assert process.stderr is not None
            raise AssertionError(f"gateway process exited: {process.stderr.read().decode()}")
        try:
            if httpx.get(f"{url}/metrics", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not start within {STARTUP_SECONDS} s")


@pytest.fixture
def two_gateways(edge_redis_url: str) -> Iterator[list[str]]:
    import redis

    redis.Redis.from_url(edge_redis_url).flushdb()
    ports = [free_port(), free_port()]
    processes = [_start(port, edge_redis_url) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for process, url in zip(processes, urls, strict=True):
            _wait_until_serving(process, url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_two_processes_enforce_one_limit_together(two_gateways: list[str]) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        requests = [
            http.get(f"{two_gateways[i % 2]}/hello", headers={"X-Test-User": "shared"})
            for i in range(3 * LIMIT)
        ]
        answers = await asyncio.gather(*requests)
        assert sorted(a.status_code for a in answers) == [200] * LIMIT + [429] * (2 * LIMIT)
        for url in two_gateways:
            assert (await http.get(f"{url}/hello", headers={"X-Test-User": "shared"})).status_code == 429
        refused = next(a for a in answers if a.status_code == 429)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        other = await http.get(f"{two_gateways[1]}/hello", headers={"X-Test-User": "someone-else"})
        assert other.status_code == 200
