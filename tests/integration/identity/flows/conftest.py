"""Fixtures for identity's flow tests.

``oauth_provider``: a fresh fake provider per test (wire tests). ``flows``: a running identity
on a module-wide migrated, seeded database, configured to log in through a module-wide fake
provider (``flows_provider``). Tests use unique emails and provider users, so they share the
module's database without stepping on each other.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from identity.config import IdentitySettings
from identity.tenants.bootstrap import ensure_bootstrap
from mesh.config import Settings
from mesh.db import create_engine
from mesh.infra import Infra
from mesh.migrate import migrate
from tests.fakes.oauth_provider import FakeOAuthProvider
from tests.integration.identity.flows.flows_support import (
    ADMIN_PASSWORD,
    CALLBACK,
    GOOGLER,
    OCTOCAT,
    RESET_PAGE,
    WECHATTER,
    Flows,
    provider_settings,
    register_fake_clients,
)


def _fake() -> FakeOAuthProvider:
    fake = FakeOAuthProvider()
    register_fake_clients(fake)
    fake.add_user("github", OCTOCAT)
    fake.add_user("google", GOOGLER)
    fake.add_user("wechat", WECHATTER)
    return fake


@pytest_asyncio.fixture
async def oauth_provider() -> AsyncIterator[FakeOAuthProvider]:
    async with _fake().running() as fake:
        yield fake


@pytest_asyncio.fixture(scope="module")
async def flows_provider() -> AsyncIterator[FakeOAuthProvider]:
    async with _fake().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def flows_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_flows_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
def flows_config(flows_provider: FakeOAuthProvider) -> IdentitySettings:
    return IdentitySettings(
        admin_password=ADMIN_PASSWORD,
        oauth_providers=provider_settings(flows_provider),
        oauth_redirect_uris=[CALLBACK],
        password_reset_url=RESET_PAGE,
    )


@pytest_asyncio.fixture(scope="module")
async def flows_settings(
    flows_database: str,
    flows_config: IdentitySettings,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> AsyncIterator[Settings]:
    settings = settings_factory(tmp_path_factory.mktemp("flows") / "data", flows_database, infra.redis_url)
    await migrate(settings, ["identity"])
    engine = create_engine(settings, "identity")
    try:
        await ensure_bootstrap(engine, settings, flows_config)
    finally:
        await engine.dispose()
    yield settings


@pytest_asyncio.fixture
async def flows(flows_settings: Settings, flows_config: IdentitySettings) -> AsyncIterator[Flows]:
    engine = create_engine(flows_settings, "identity")
    redis = Redis.from_url(flows_settings.redis_url or "")
    running = await Flows.start(flows_settings, engine, redis, flows_config)
    try:
        yield running
    finally:
        await running.close()
        await redis.aclose()
        await engine.dispose()
