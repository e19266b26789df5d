"""Fixtures for the channel tests: a migrated database per module and a running model_router per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import delete

from mesh import authz
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.db import create_engine
from mesh.infra import Infra
from mesh.migrate import migrate
from model_router.store import tables
from tests.integration.model_router.channels.mr_channels_harness import Router, close_router, open_router


@pytest.fixture(scope="module")
def mr_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_mr_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    infra.postgres.psql("CREATE EXTENSION IF NOT EXISTS vector", database=name)
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
async def mr_settings(
    mr_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(tmp_path_factory.mktemp("mr") / "data", mr_database, infra.redis_url)
    await migrate(settings, ["model_router"])
    return settings


@pytest_asyncio.fixture
async def router(mr_settings: Settings) -> AsyncIterator[Router]:
    engine = create_engine(mr_settings, "model_router")
    async with engine.begin() as conn:
        await conn.execute(delete(tables.channels))
    await engine.dispose()
    running = await open_router(mr_settings)
    authz.install(Authorizer(running.checker, ttl=0.0))
    try:
        yield running
    finally:
        authz.install(None)
        await close_router(running)
