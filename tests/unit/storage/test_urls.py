"""URL building and the per-service schema helpers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mesh.config import SERVICES, Settings
from mesh.db import DatabaseNotConfigured, async_url, create_engine, schema_for, service_metadata
from mesh.embedded.common import port_is_free
from mesh.infra import postgres_url, redis_url


def test_postgres_url_is_an_asyncpg_url_with_the_password_quoted() -> None:
    assert postgres_url(55432) == "postgresql+asyncpg://postgres@127.0.0.1:55432/chatmesh"
    assert postgres_url(6000, database="other", user="u") == "postgresql+asyncpg://u@127.0.0.1:6000/other"
    assert postgres_url(1, password="p@ss/w") == "postgresql+asyncpg://postgres:p%40ss%2Fw@127.0.0.1:1/chatmesh"


def test_redis_url() -> None:
    assert redis_url(56379) == "redis://127.0.0.1:56379/0"
    assert redis_url(1, db=3) == "redis://127.0.0.1:1/3"
    assert redis_url(1, password="s3:cret") == "redis://:s3%3Acret@127.0.0.1:1/0"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p%40ss@db:5432/x", "postgresql+asyncpg://u:p%40ss@db:5432/x"),
        ("postgresql://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("postgresql+psycopg://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("postgresql+asyncpg://u@db/x", "postgresql+asyncpg://u@db/x"),
    ],
)
def test_any_postgres_url_becomes_asyncpg(given: str, expected: str) -> None:
    assert async_url(given) == expected


def test_non_postgres_url_is_refused() -> None:
    with pytest.raises(ValueError, match="only PostgreSQL"):
        async_url("mysql://u@db/x")


def test_schema_is_the_service_name_and_unknown_services_are_refused() -> None:
    assert [schema_for(s) for s in SERVICES] == list(SERVICES)
    with pytest.raises(ValueError, match="unknown service"):
        schema_for("billing")
    assert service_metadata("identity").schema == "identity"


def test_engine_without_a_database_url_says_what_to_set(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(DatabaseNotConfigured, match="CHATMESH_DATABASE_URL"):
        create_engine(settings, "identity")


def test_port_is_free_sees_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert not port_is_free("127.0.0.1", listener.getsockname()[1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert port_is_free("127.0.0.1", port)
