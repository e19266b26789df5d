"""Fixtures for the accounts tests: one migrated, seeded database per module and a running identity.

Tests register their own users with unique emails (and make their own tenants), so they
share the module's database without stepping on each other.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from identity.tenants.bootstrap import ensure_bootstrap
from mesh.config import Settings
from mesh.db import create_engine
from mesh.infra import Infra
from mesh.migrate import migrate
from tests.integration.identity.accounts.accounts_harness import CONFIG, Accounts


@pytest.fixture(scope="module")
def accounts_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_accounts_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest.fixture(scope="module")
def accounts_settings(
    accounts_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    base = settings_factory(tmp_path_factory.mktemp("accounts") / "data", accounts_database, infra.redis_url)
    return base


@pytest_asyncio.fixture(scope="module")
async def seeded(accounts_settings: Settings) -> AsyncIterator[Settings]:
    await migrate(accounts_settings, ["identity"])
    engine = create_engine(accounts_settings, "identity")
    try:
        await ensure_bootstrap(engine, accounts_settings, CONFIG)
    finally:
        await engine.dispose()
    yield accounts_settings


@pytest_asyncio.fixture
async def accounts(seeded: Settings) -> AsyncIterator[Accounts]:
    engine = create_engine(seeded, "identity")
    redis = Redis.from_url(seeded.redis_url or "")
    running = await Accounts.start(seeded, engine, redis)
    try:
        yield running
    finally:
        await running.close()
        await redis.aclose()
        await engine.dispose()
