"""A Redis of their own for the edge tests (only Redis: no Postgres is needed here).

- ``edge_redis_url`` (session): URL of an embedded redis-server on a free port.
- ``redis_client`` (function): a ``redis.asyncio.Redis`` on it, emptied before each test.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aredis

from mesh.embedded.common import free_port
from mesh.infra import EmbeddedRedis, PortInUseError

_ATTEMPTS = 5


@pytest.fixture(scope="session")
def edge_redis_url() -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="chatmesh-edge-"))
    server: EmbeddedRedis | None = None
    for attempt in range(_ATTEMPTS):
        server = EmbeddedRedis(root, free_port())
        try:
            server.start()
            break
        except PortInUseError:
            if attempt == _ATTEMPTS - 1:
                raise
    assert server is not None
    yield server.url
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest_asyncio.fixture
async def redis_client(edge_redis_url: str) -> AsyncIterator[aredis.Redis]:
    client = aredis.Redis.from_url(edge_redis_url)
    await client.flushdb()
    yield client
    await client.aclose()
