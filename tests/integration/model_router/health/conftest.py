"""Fixtures for the health tests: a migrated database per module, a running model_router per test with
short health intervals (set through the environment, as an operator would), and fake upstreams."""

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
from tests.fakes.llm_upstream import FakeLLMUpstream
from tests.integration.model_router.channels.mr_channels_harness import Router, close_router, open_router

SHORT_INTERVALS = {
    "BREAKER_CONSECUTIVE_FAILURES": "2",
    "BREAKER_COOLDOWN_SECONDS": "0.3",
    "AUTO_DISABLE_AFTER_SECONDS": "0.6",
    "PROBE_INTERVAL_SECONDS": "0.3",
    "MONITOR_TICK_SECONDS": "0.1",
    "KEY_COOLDOWN_SECONDS": "0.5",
    "PROBE_TIMEOUT_SECONDS": "5",
}


@pytest.fixture(scope="module")
def health_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_mrh_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    infra.postgres.psql("CREATE EXTENSION IF NOT EXISTS vector", database=name)
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
async def health_settings(
    health_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(tmp_path_factory.mktemp("mrh") / "data", health_database, infra.redis_url)
    await migrate(settings, ["model_router"])
    return settings


@pytest_asyncio.fixture
async def router(health_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Router]:
    for name, value in SHORT_INTERVALS.items():
        monkeypatch.setenv(f"CHATMESH_MODEL_ROUTER_{name}", value)
    engine = create_engine(health_settings, "model_router")
    async with engine.begin() as conn:
        await conn.execute(delete(tables.channels))
    await engine.dispose()
    running = await open_router(health_settings, reload_seconds=0.5)
    authz.install(Authorizer(running.checker, ttl=0.0))
    try:
        yield running
    finally:
        authz.install(None)
        await close_router(running)


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
