"""Fixtures for the routing rule tests: a migrated database per module and a running model_router per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy import delete

from mesh import authz
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.db import create_engine
from mesh.infra import Infra
from mesh.migrate import migrate
from model_router.routing import RoutingRules
from model_router.store import tables
from tests.integration.model_router.channels.mr_channels_harness import Router, close_router, open_router


@pytest.fixture(scope="module")
def routing_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_mr_routing_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    infra.postgres.psql("CREATE EXTENSION IF NOT EXISTS vector", database=name)
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
async def routing_settings(
    routing_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(
        tmp_path_factory.mktemp("mr-routing") / "data", routing_database, infra.redis_url
    )
    await migrate(settings, ["model_router"])
    return settings


@pytest_asyncio.fixture
async def router(routing_settings: Settings) -> AsyncIterator[Router]:
    """model_router with a RoutingRules cache wired the way assembly.py will (deps.routing)."""
    engine = create_engine(routing_settings, "model_router")
    async with engine.begin() as conn:
        await conn.execute(delete(tables.routing_rules))
    await engine.dispose()
    running = await open_router(routing_settings)
    rules = RoutingRules(running.deps.engine, running.deps.redis, reload_seconds=0.5)
    await rules.start()
    running.deps.routing = rules
    authz.install(Authorizer(running.checker, ttl=0.0))
    try:
        yield running
    finally:
        authz.install(None)
        await rules.close()
        await close_router(running)


@pytest_asyncio.fixture
async def other_instance(routing_settings: Settings) -> AsyncIterator[RoutingRules]:
    """A second instance's cache: its own engine and Redis connection, a slow periodic reload."""
    engine = create_engine(routing_settings, "model_router")
    redis = Redis.from_url(routing_settings.redis_url or "")
    rules = RoutingRules(engine, redis, reload_seconds=60.0)
    await rules.start()
    try:
        yield rules
    finally:
        await rules.close()
        await redis.aclose()
        await engine.dispose()
