"""The ``bus`` fixture: a fresh database with analytics' real migrations, and streams of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from redis.asyncio import Redis

from mesh.config import Settings
from mesh.db import create_engine, outbox_table, service_metadata
from mesh.migrate import migrate
from tests.integration.events.events_support import SERVICE, Bus


@pytest_asyncio.fixture
async def bus(fresh_settings: Settings) -> AsyncIterator[Bus]:
    await migrate(fresh_settings, [SERVICE])
    engine = create_engine(fresh_settings, SERVICE)
    assert fresh_settings.redis_url is not None
    redis = Redis.from_url(fresh_settings.redis_url)
    tag = uuid.uuid4().hex[:10]
    prefix = f"test-{tag}:"
    running = Bus(
        fresh_settings, engine, outbox_table(service_metadata(SERVICE)), redis, prefix, f"{prefix}dead"
    )
    yield running
    async for key in redis.scan_iter(match=f"*{tag}*"):
        await redis.delete(key)
    await redis.aclose()
    for each in (engine, *running.engines):
        await each.dispose()
