"""SIGTERM with Consul discovery: the slow RPC completes, the process exits 0, and the
instance leaves the agent's passing list — against the Consul test agent, which runs the
registered gRPC health check for real."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import grpc
import httpx
import pytest
from test_server import echo, echo_dir, service_process  # noqa: F401  (fixtures shared with that module)

from tests.fakes.consul_agent import running_consul_agent


@pytest.fixture
async def consul_url() -> AsyncIterator[str]:
    async with running_consul_agent() as url:
        yield url


@pytest.fixture
def extra_env(consul_url: str) -> dict[str, str]:
    return {
        "CHATMESH_DISCOVERY": "consul",
        "CHATMESH_CONSUL_URL": consul_url,
        "CHATMESH_CONSUL_CHECK_INTERVAL_SECONDS": "0.2",
    }


async def _passing(consul_url: str) -> list[dict]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{consul_url}/v1/health/service/identity", params={"passing": "true"})
        response.raise_for_status()
        return list(response.json())


async def test_sigterm_drains_then_deregisters_from_consul(
    service_process: tuple[subprocess.Popen[str], int],  # noqa: F811
    echo: SimpleNamespace,  # noqa: F811
    consul_url: str,
) -> None:
    proc, port = service_process
    deadline = time.monotonic() + 30
    while not await _passing(consul_url):
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert time.monotonic() < deadline, "instance never became passing in Consul"
        await asyncio.sleep(0.1)
    [entry] = await _passing(consul_url)
    assert entry["Service"]["Port"] == port
    assert entry["Checks"][-1]["Type"] == "grpc"

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        slow = asyncio.ensure_future(
            echo.grpc.EchoServiceStub(channel).Echo(echo.pb2.EchoRequest(text="slow:1.5"), timeout=20)
        )
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert (await slow).text == "done"
    assert await asyncio.to_thread(proc.wait, 20) == 0
    assert await _passing(consul_url) == []
