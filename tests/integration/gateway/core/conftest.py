"""Fixtures for the transcoder's integration tests: the echo service and a gateway in front of it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from gwcore_echo import EchoState, start_echo_server
from gwcore_support import Served, gateway_for, gateway_settings, running  # noqa: F401

from mesh.embedded.common import free_port
from mesh.infra import EmbeddedRedis, PortInUseError


@pytest.fixture
async def echo() -> AsyncIterator[tuple[EchoState, str]]:
    state = EchoState()
    server, address = await start_echo_server(state)
    yield state, address
    await server.stop(None)


@pytest.fixture
async def served(echo: tuple[EchoState, str]) -> AsyncIterator[Served]:
    state, address = echo
    async with gateway_for(address) as (app, settings):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield Served(http, state, app, settings)


@pytest.fixture(scope="session")
def core_redis_url() -> Iterator[str]:
    """An embedded redis-server of these tests' own (rate limits)."""
    root = Path(tempfile.mkdtemp(prefix="chatmesh-gwcore-"))
    server = None
    for attempt in range(5):
        server = EmbeddedRedis(root, free_port())
        try:
            server.start()
            break
        except PortInUseError:
            if attempt == 4:
                raise
    assert server is not None
    yield server.url
    server.stop()
    shutil.rmtree(root, ignore_errors=True)
