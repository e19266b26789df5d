"""Fixtures for the access tests: one migrated, seeded database per module and a running identity.

Each test makes its own tenants and users (unique names), so tests share the module's
database without seeing each other's rows where it matters.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from identity import store
from identity.config import IdentitySettings
from identity.tenants.bootstrap import ensure_bootstrap
from mesh.config import Settings
from mesh.db import create_engine, session_factory
from mesh.infra import Infra
from mesh.migrate import migrate
from tests.integration.identity.access.access_harness import Identity, close_all


@pytest.fixture(scope="module")
def access_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_access_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest.fixture(scope="module")
def access_settings(
    access_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    return settings_factory(tmp_path_factory.mktemp("access") / "data", access_database, infra.redis_url)


@pytest_asyncio.fixture(scope="module")
async def seeded(access_settings: Settings) -> AsyncIterator[Settings]:
    await migrate(access_settings, ["identity"])
    engine = create_engine(access_settings, "identity")
    try:
        await ensure_bootstrap(engine, access_settings, IdentitySettings())
    finally:
        await engine.dispose()
    yield access_settings


@pytest_asyncio.fixture
async def identity(seeded: Settings) -> AsyncIterator[Identity]:
    engine = create_engine(seeded, "identity")
    redis = Redis.from_url(seeded.redis_url or "")
    async with engine.connect() as conn:
        tenant = await store.tenant_id_by_slug(conn, "default")
        built_in = await store.built_in_roles(conn)
        admins = await store.users_with_role(conn, built_in["super_admin"].id)
    assert tenant is not None and admins
    running = Identity(seeded, engine, session_factory(engine), redis, tenant, admins[0])
    await running.start_instance()
    try:
        yield running
    finally:
        await close_all(running)
        await redis.aclose()
        await engine.dispose()
