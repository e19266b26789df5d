"""Repository-wide test setup: generated code on sys.path, and one embedded Postgres + Redis per session.

Fixtures any test may request (they start nothing until first requested):

- ``infra`` (session): ``mesh.infra.Infra`` with ``database_url`` / ``redis_url`` of an
  embedded Postgres (with pgvector) and Redis started in a temporary dir on free ports;
  ``infra.postgres`` / ``infra.redis`` are the server objects (``infra.postgres.psql(sql)``
  runs SQL as the superuser, ``infra.postgres.url_for(name)`` is the URL of another database).
  Like ``make run``'s, both require the passwords generated into that dir: the URLs carry them,
  and a test connecting without them is refused.
- ``settings`` (session): ``Settings`` pointed at them, with a temporary ``data_dir`` and
  free ports for every service and the gateway (never the defaults).
- ``settings_factory`` (session): ``(data_dir, database_url, redis_url) -> Settings`` built the
  same way, for tests that need their own data dir or database.

tests/integration/conftest.py adds ``migrated_database``, ``fresh_database`` and ``fresh_settings``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "gen", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from mesh.config import SERVICES, Settings, load_settings  # noqa: E402
from mesh.embedded.common import free_port  # noqa: E402
from mesh.infra import EmbeddedPostgres, EmbeddedRedis, Infra, PortInUseError  # noqa: E402

# Durability is not what the tests check; skipping fsync keeps a shared machine fast.
FAST_POSTGRES = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
_PORT_ATTEMPTS = 5
Server = TypeVar("Server", EmbeddedPostgres, EmbeddedRedis)


def make_test_settings(data_dir: Path, database_url: str, redis_url: str) -> Settings:
    """Settings for a test: given stores, own data dir, every listening port free and not a default."""
    ports = {f"{service}_port": free_port() for service in SERVICES}
    return load_settings(
        _env_file=None,
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        gateway_port=free_port(),
        log_format="text",
        **ports,
    )


def _start_on_free_port(make: Callable[[int], Server]) -> Server:
    """Start a server on a free port, trying again if another process grabs the port first."""
    for attempt in range(_PORT_ATTEMPTS):
        server = make(free_port())
        try:
            server.start()
        except PortInUseError:
            if attempt == _PORT_ATTEMPTS - 1:
                raise
        else:
            return server
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def infra_dir() -> Iterator[Path]:
    """A directory directly under /tmp: the Postgres system user can reach it (pytest's tmp is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="chatmesh-test-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def infra(infra_dir: Path) -> Iterator[Infra]:
    servers = infra_dir / "servers"
    postgres = _start_on_free_port(lambda port: EmbeddedPostgres(servers, port, options=FAST_POSTGRES))
    try:
        redis = _start_on_free_port(lambda port: EmbeddedRedis(servers, port))
    except BaseException:
        postgres.stop()
        raise
    running = Infra(postgres.url, redis.url, postgres, redis, [postgres, redis])
    yield running
    running.stop()


@pytest.fixture(scope="session")
def settings_factory() -> Callable[[Path, str, str], Settings]:
    """``make_test_settings(data_dir, database_url, redis_url)``, for tests that need other stores."""
    return make_test_settings


@pytest.fixture(scope="session")
def settings(infra: Infra, infra_dir: Path) -> Settings:
    data_dir = infra_dir / "data"
    data_dir.mkdir(exist_ok=True)
    return make_test_settings(data_dir, infra.database_url, infra.redis_url)
