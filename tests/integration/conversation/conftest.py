"""Fixtures for conv-core's tests: one migrated database per module, a running service per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from mesh.config import Settings
from mesh.infra import Infra
from mesh.migrate import migrate
from tests.integration.conversation.conv_harness import Service, close_service, open_service


@pytest.fixture(scope="module")
def conv_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_conv_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
async def conv_settings(
    conv_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(tmp_path_factory.mktemp("conv") / "data", conv_database, infra.redis_url)
    await migrate(settings, ["conversation"])
    return settings


@pytest_asyncio.fixture
async def conv(conv_settings: Settings) -> AsyncIterator[Service]:
    service = await open_service(conv_settings)
    try:
        yield service
    finally:
        await close_service(service)
