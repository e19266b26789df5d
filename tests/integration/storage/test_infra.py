"""The embedded servers as `make run` uses them: start, reuse, stop, restart with data intact."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from mesh.config import Settings, load_settings
from mesh.embedded.common import free_port
from mesh.infra import EmbeddedPostgres, EmbeddedRedis, Infra, PortInUseError, ensure_infrastructure

FAST = {"fsync": "off"}


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="chatmesh-infra-"))
    path.chmod(0o711)
    yield path
    for server in (EmbeddedPostgres(path, 1), EmbeddedRedis(path, 1)):
        if server.running():  # a failed test must not leave servers behind
            server.stop()
    shutil.rmtree(path, ignore_errors=True)


def _settings(data_dir: Path, **overrides: object) -> Settings:
    return load_settings(
        _env_file=None,
        data_dir=data_dir,
        embedded_postgres_port=free_port(),
        embedded_redis_port=free_port(),
        **overrides,
    )


def test_postgres_keeps_data_across_restart_and_runs_unprivileged(data_dir: Path) -> None:
    pg = EmbeddedPostgres(data_dir, free_port(), options=FAST)
    assert pg.start() is True
    assert pg.start() is False, "a second start reuses the running server"
    pg.psql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')")
    assert pg.psql("SELECT extname FROM pg_extension WHERE extname = 'vector'") == "vector"
    assert pg.psql("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector") == "1"

    pg.stop()
    assert not pg.running()
    assert pg.start() is True
    assert pg.psql("SELECT v FROM kept") == "survives"

    owner = pwd.getpwuid((data_dir / "postgres").stat().st_uid).pw_name
    expected = "embedded_postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    assert owner == expected
    assert pg.psql("SHOW unix_socket_directories") == ""
    pg.stop()


def test_postgres_handle_reuses_server_on_its_actual_port(data_dir: Path) -> None:
    first = EmbeddedPostgres(data_dir, free_port(), options=FAST)
    first.start()
    second = EmbeddedPostgres(data_dir, free_port())
    assert second.start() is False
    assert second.port == first.port
    assert second.psql("SELECT current_database()") == "chatmesh"
    first.stop()


def test_postgres_starts_over_a_stale_pid_file(data_dir: Path) -> None:
    pg = EmbeddedPostgres(data_dir, free_port(), options=FAST)
    pg.start()
    pg.stop()
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid_file = data_dir / "postgres" / "postmaster.pid"
    pid_file.write_text(f"{dead.pid}\n{data_dir / 'postgres'}\n0\n{pg.port}\n\n127.0.0.1\n0 0\nready\n")
    assert pg.start() is True
    assert pg.psql("SELECT 1") == "1"
    pg.stop()


def test_port_taken_by_another_program_is_a_clear_error(data_dir: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(PortInUseError, match="CHATMESH_EMBEDDED_POSTGRES_PORT") as pg_err:
            EmbeddedPostgres(data_dir, port).start()
        assert f"127.0.0.1:{port}" in str(pg_err.value)
        with pytest.raises(PortInUseError, match="CHATMESH_EMBEDDED_REDIS_PORT"):
            EmbeddedRedis(data_dir, port).start()


def test_redis_keeps_data_across_restart(data_dir: Path) -> None:
    server = EmbeddedRedis(data_dir, free_port())
    assert server.start() is True
    assert server.start() is False
    client = redis.Redis.from_url(server.url)
    client.set("kept", "survives")
    client.close()

    server.stop()
    assert not server.running()
    again = EmbeddedRedis(data_dir, free_port())
    assert again.start() is True
    client = redis.Redis.from_url(again.url)
    assert client.get("kept") == b"survives"
    client.close()
    assert (data_dir / "redis" / "appendonly.aof").exists()
    again.stop()


def test_ensure_infrastructure_starts_both_and_stops_only_its_own(data_dir: Path) -> None:
    settings = _settings(data_dir)
    first = ensure_infrastructure(settings)
    assert (
        first.database_url
        == f"postgresql+asyncpg://postgres@127.0.0.1:{settings.embedded_postgres_port}/chatmesh"
    )
    assert first.redis_url == f"redis://127.0.0.1:{settings.embedded_redis_port}/0"

    second = ensure_infrastructure(settings)
    assert (second.database_url, second.redis_url) == (first.database_url, first.redis_url)
    second.stop()
    assert first.postgres is not None and first.postgres.running()
    assert first.redis is not None and first.redis.running()

    first.stop()
    assert not first.postgres.running()
    assert not first.redis.running()


def test_adopted_servers_are_stopped_by_the_adopter(data_dir: Path) -> None:
    settings = _settings(data_dir)
    ensure_infrastructure(settings)
    adopter = ensure_infrastructure(settings, adopt_running=True)
    adopter.stop()
    assert adopter.postgres is not None and not adopter.postgres.running()
    assert adopter.redis is not None and not adopter.redis.running()


def test_external_urls_start_nothing(data_dir: Path, infra: Infra) -> None:
    settings = _settings(data_dir, database_url=infra.database_url, redis_url=infra.redis_url)
    external = ensure_infrastructure(settings)
    assert external.database_url == infra.database_url
    assert external.redis_url == infra.redis_url
    assert external.postgres is None and external.redis is None
    external.stop()
    assert not (data_dir / "postgres").exists()
    assert not (data_dir / "redis").exists()
    assert infra.postgres is not None and infra.postgres.running()
