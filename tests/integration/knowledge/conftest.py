"""Fixtures for knowledge's tests: one migrated database per module, a running service per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from mesh.config import Settings
from mesh.infra import Infra
from mesh.migrate import migrate
from tests.integration.knowledge.kb_harness import HashEmbedder, Service, close_service, open_service


@pytest.fixture(scope="module")
def kb_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_kb_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    infra.postgres.psql("CREATE EXTENSION IF NOT EXISTS vector", database=name)
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
async def kb_settings(
    kb_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(tmp_path_factory.mktemp("kb") / "data", kb_database, infra.redis_url)
    await migrate(settings, ["knowledge"])
    return settings


@pytest_asyncio.fixture
async def kb(kb_settings: Settings) -> AsyncIterator[Service]:
    """The service with the fast stand-in embedder."""
    service = await open_service(kb_settings, embedder=HashEmbedder())
    try:
        yield service
    finally:
        await close_service(service)
