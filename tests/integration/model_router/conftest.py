"""Fixtures every model_router integration test shares: a migrated database per module, a running
model_router per test (identity's Check stood in by an admin-only checker), fake upstreams and
an HTTP client for the adapters. A folder's conftest only overrides what differs there (health's
short intervals, routing's rule cache)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mesh.config import Settings
from mesh.db import create_engine, session_factory
from mesh.infra import Infra
from mesh.migrate import migrate
from model_router.store import tables
from tests.fakes.llm_upstream import FakeLLMUpstream
from tests.integration.model_router.harness import Router, running_router


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
    async with running_router(mr_settings, clear=tables.channels) as running:
        yield running


@pytest_asyncio.fixture
async def engine(mr_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(mr_settings, "model_router")
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream()
    async with fake.running():
        yield fake


@pytest.fixture
async def backup() -> AsyncIterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream()
    async with fake.running():
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A plain client for calling the adapters' transport directly, as the relay does."""
    async with httpx.AsyncClient() as client:
        yield client
