"""Fixtures for notification's integration tests: a migrated database per module, an SMTP sink,
and a running service (workers, relay, servicer) per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from mesh.config import Settings
from mesh.infra import Infra
from mesh.migrate import migrate
from tests.fakes.smtp_sink import SmtpSink
from tests.integration.notification.notif_harness import Service, close_service, notif_config, open_service


@pytest.fixture(scope="module")
def notif_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_notif_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def notif_settings(
    notif_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(tmp_path_factory.mktemp("notif") / "data", notif_database, infra.redis_url)
    await migrate(settings, ["notification"])
    return settings


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink(user="mailer", password="s3cret:/@").start()
    yield sink
    sink.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def service(notif_settings: Settings, smtp: SmtpSink) -> AsyncIterator[Service]:
    running = await open_service(notif_settings, notif_config(smtp_url=smtp.url()))
    try:
        yield running
    finally:
        await close_service(running)
