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

import psutil
import pytest
import redis

from mesh.config import Settings, load_settings
from mesh.embedded.common import free_port, package_dir
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
    pg_password = (data_dir / "postgres-password").read_text().strip()
    redis_password = (data_dir / "redis-password").read_text().strip()
    assert first.database_url == (
        f"postgresql+asyncpg://postgres:{pg_password}@127.0.0.1:{settings.embedded_postgres_port}/chatmesh"
    )
    assert first.redis_url == f"redis://:{redis_password}@127.0.0.1:{settings.embedded_redis_port}/0"

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


def _postgres_login(port: int, password: str | None) -> str:
    """psql's answer to a login as the superuser (with or without a password): "ok" or the error."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if password is not None:
        env["PGPASSWORD"] = password
    psql = str(package_dir("embedded_postgres") / "pginstall" / "bin" / "psql")
    done = subprocess.run(
        [psql, "-X", "-w", "-tA", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres",
         "-c", "SELECT 'ok'"],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )  # fmt: skip
    return done.stdout.strip() or done.stderr.strip()


def _redis_answer(port: int, password: str | None) -> str:
    client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=5)
    try:
        return "PONG" if client.ping() else "no"
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()


def test_both_servers_refuse_logins_without_the_generated_password(data_dir: Path) -> None:
    infra = ensure_infrastructure(_settings(data_dir))
    assert infra.postgres is not None and infra.redis is not None
    for name in ("postgres-password", "redis-password"):
        assert (data_dir / name).stat().st_mode & 0o777 == 0o600
    assert (data_dir / "redis" / "redis.conf").stat().st_mode & 0o777 == 0o600

    assert _postgres_login(infra.postgres.port, None).startswith("psql: error"), "no password"
    assert "password authentication failed" in _postgres_login(infra.postgres.port, "guess")
    assert _postgres_login(infra.postgres.port, infra.postgres.password) == "ok"
    assert _redis_answer(infra.redis.port, None).startswith("AuthenticationError")
    assert _redis_answer(infra.redis.port, infra.redis.password) == "PONG"
    assert infra.redis.password not in " ".join(psutil.Process(_redis_pid(data_dir)).cmdline())

    infra.stop()
    again = ensure_infrastructure(_settings(data_dir))
    assert again.postgres is not None and again.postgres.password == infra.postgres.password
    assert again.redis is not None and _redis_answer(again.redis.port, None) != "PONG"
    again.stop()


def _redis_pid(data_dir: Path) -> int:
    return int((data_dir / "redis" / "redis.pid").read_text().strip())


def test_a_stopped_trust_cluster_from_before_passwords_gets_one(data_dir: Path) -> None:
    old = EmbeddedPostgres(data_dir, free_port(), options=FAST)
    old._prepare_dirs()
    old._pg(["initdb", "-D", str(old.pgdata), "-U", "postgres", "--auth=trust", "--no-instructions"])
    assert not (data_dir / "postgres-password").exists()

    pg = EmbeddedPostgres(data_dir, free_port(), options=FAST)
    assert pg.start() is True
    assert _postgres_login(pg.port, None).startswith("psql: error")
    assert _postgres_login(pg.port, pg.password) == "ok"
    assert pg.psql("SELECT current_database()") == "chatmesh"
    pg.stop()


def test_a_running_trust_cluster_from_before_passwords_gets_one(data_dir: Path) -> None:
    pg = EmbeddedPostgres(data_dir, free_port(), options=FAST)
    pg.start()
    pg.psql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')")
    # Back to the state an earlier release left running: trust auth, no password file.
    (pg.pgdata / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
    pg.psql("SELECT pg_reload_conf()", database="postgres")
    (data_dir / "postgres-password").unlink()
    assert _postgres_login(pg.port, None) == "ok"

    upgraded = EmbeddedPostgres(data_dir, free_port())
    assert upgraded.start() is False, "the running server is reused"
    assert upgraded.password != pg.password
    assert _postgres_login(upgraded.port, None).startswith("psql: error")
    assert upgraded.psql("SELECT v FROM kept") == "survives"
    upgraded.stop()


def test_a_running_redis_from_before_passwords_gets_one(data_dir: Path) -> None:
    server = EmbeddedRedis(data_dir, free_port())
    server.start()
    client = redis.Redis.from_url(server.url)
    client.set("kept", "survives")
    client.config_set("requirepass", "")  # as an earlier release ran it
    client.close()
    (data_dir / "redis-password").unlink()
    assert _redis_answer(server.port, None) == "PONG"

    upgraded = EmbeddedRedis(data_dir, free_port())
    assert upgraded.start() is False
    assert _redis_answer(upgraded.port, None) != "PONG"
    client = redis.Redis.from_url(upgraded.url)
    assert client.get("kept") == b"survives"
    client.close()
    upgraded.stop()
    assert not upgraded.running()
