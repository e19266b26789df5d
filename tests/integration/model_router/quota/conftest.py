"""Fixtures for the quota tests: a migrated database per module, and an engine + session factory per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mesh.config import Settings
from mesh.db import create_engine, session_factory
from mesh.infra import Infra
from mesh.migrate import migrate


@pytest.fixture(scope="module")
def quota_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_mrq_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    infra.postgres.psql("CREATE EXTENSION IF NOT EXISTS vector", database=name)
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
async def quota_settings(
    quota_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(tmp_path_factory.mktemp("mrq") / "data", quota_database, infra.redis_url)
    await migrate(settings, ["model_router"])
    return settings


@pytest_asyncio.fixture
async def engine(quota_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(quota_settings, "model_router")
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)
