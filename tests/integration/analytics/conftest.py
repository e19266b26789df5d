"""Fixtures for analytics's integration tests: one migrated database per module, deps per test.

Background tasks stay off (tests drive ingestion, maintenance and alerts themselves), and every
test gets its own stream and consumer group, so nothing another test publishes is counted.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from analytics.assembly import close_deps, open_deps
from analytics.config import AnalyticsSettings
from analytics.deps import AnalyticsDeps
from mesh.config import Settings
from mesh.db import create_engine
from mesh.infra import Infra
from mesh.migrate import migrate


@pytest.fixture(scope="module")
def analytics_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_analytics_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
async def analytics_settings(
    analytics_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(
        tmp_path_factory.mktemp("analytics") / "data", analytics_database, infra.redis_url
    )
    await migrate(settings, ["analytics"])
    return settings


@pytest_asyncio.fixture
async def deps(analytics_settings: Settings) -> AsyncIterator[AnalyticsDeps]:
    engine = create_engine(analytics_settings, "analytics")
    redis = Redis.from_url(analytics_settings.redis_url or "")
    config = AnalyticsSettings(consumer_group=f"analytics-test-{uuid.uuid4().hex[:8]}")
    built = await open_deps(engine, redis, settings=config, background=False)
    try:
        yield built
    finally:
        await close_deps(built)
        await redis.aclose()
        await engine.dispose()
