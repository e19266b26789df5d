"""Database fixtures for integration tests (``infra`` and ``settings`` come from tests/conftest.py).

- ``migrated_database`` (session): runs every service's migrations once on the session
  database; returns its URL (``settings.database_url``).
- ``fresh_database`` (function): URL of a new, empty database (pgvector installed, no
  migrations) on the session server, dropped afterwards.
- ``fresh_settings`` (function): settings pointed at ``fresh_database`` with their own
  ``data_dir``; for first-start behaviour (seeding) or a clean slate.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from mesh.config import Settings
from mesh.infra import Infra
from mesh.migrate import migrate


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def migrated_database(settings: Settings) -> str:
    await migrate(settings)
    assert settings.database_url is not None
    return settings.database_url


@pytest.fixture
def fresh_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_{uuid.uuid4().hex[:12]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    infra.postgres.psql("CREATE EXTENSION IF NOT EXISTS vector", database=name)
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest.fixture
def fresh_settings(
    fresh_database: str, infra: Infra, tmp_path: Path, settings_factory: Callable[[Path, str, str], Settings]
) -> Settings:
    return settings_factory(tmp_path / "data", fresh_database, infra.redis_url)
