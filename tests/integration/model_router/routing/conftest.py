"""Routing rule tests run model_router with a RoutingRules cache, plus a second instance's cache;
everything else comes from tests/integration/model_router/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from redis.asyncio import Redis

from mesh.config import Settings
from mesh.db import create_engine
from model_router.routing import RoutingRules
from model_router.store import tables
from tests.integration.model_router.harness import Router, running_router


@pytest_asyncio.fixture
async def router(mr_settings: Settings) -> AsyncIterator[Router]:
    """model_router with a RoutingRules cache refreshed every half second (deps.routing)."""
    async with running_router(mr_settings, clear=tables.routing_rules) as running:
        rules = RoutingRules(running.deps.engine, running.deps.redis, reload_seconds=0.5)
        await rules.start()
        running.deps.routing = rules
        try:
            yield running
        finally:
            await rules.close()


@pytest_asyncio.fixture
async def other_instance(mr_settings: Settings) -> AsyncIterator[RoutingRules]:
    """A second instance's cache: its own engine and Redis connection, a slow periodic reload."""
    engine = create_engine(mr_settings, "model_router")
    redis = Redis.from_url(mr_settings.redis_url or "")
    rules = RoutingRules(engine, redis, reload_seconds=60.0)
    await rules.start()
    try:
        yield rules
    finally:
        await rules.close()
        await redis.aclose()
        await engine.dispose()
