"""A running test Consul agent and tiny real gRPC servers for the discovery tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from mesh.config import Settings, load_settings
from tests.fakes.consul_agent import running_consul_agent
from tests.integration.discovery.discovery_support import ProbeServer

CHECK_INTERVAL = 0.2
DEREGISTER_AFTER = 2.0


@pytest.fixture
async def consul_url() -> AsyncIterator[str]:
    async with running_consul_agent() as url:
        yield url


@pytest.fixture
def consul_settings(consul_url: str) -> Settings:
    return load_settings(
        discovery="consul",
        consul_url=consul_url,
        consul_check_interval_seconds=CHECK_INTERVAL,
        consul_deregister_after_seconds=DEREGISTER_AFTER,
        grpc_default_deadline_seconds=2.0,
        shutdown_grace_seconds=0.5,
    )


@pytest.fixture
async def probe_servers() -> AsyncIterator[Callable[[], Awaitable[ProbeServer]]]:
    started: list[ProbeServer] = []

    async def start() -> ProbeServer:
        server = ProbeServer()
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.server.stop(None)
