import os
from pathlib import Path

from mesh.infra import Infra
from mesh.launcher.embedded import redact_url, write_env_file
from mesh.launcher.up import PROCESSES, ReadyTimeout, child_env, repo_root


def test_children_get_the_storage_urls_unbuffered_output_and_an_import_path() -> None:
    infra = Infra("postgresql+asyncpg://postgres:pw@127.0.0.1:1/chatmesh", "redis://:pw@127.0.0.1:2/0")
    env = child_env({"PATH": "/bin", "PYTHONPATH": "/extra", "CHATMESH_DATABASE_URL": "stale"}, infra)
    assert env["CHATMESH_DATABASE_URL"] == infra.database_url
    assert env["CHATMESH_REDIS_URL"] == infra.redis_url
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"] == "/bin"
    root = repo_root()
    assert env["PYTHONPATH"].split(os.pathsep) == [str(root), str(root / "gen"), "/extra"]
    assert (root / "mesh" / "launcher" / "up.py").exists()


def test_child_env_does_not_touch_the_launchers_environment() -> None:
    base = {"PATH": "/bin"}
    child_env(base, Infra("postgresql://x@h/db", "redis://h/0"))
    assert base == {"PATH": "/bin"}


def test_every_service_and_the_gateway_are_launched() -> None:
    assert PROCESSES == (
        "identity",
        "conversation",
        "knowledge",
        "orchestrator",
        "model_router",
        "analytics",
        "notification",
        "gateway",
    )


def test_ready_timeout_names_the_laggards_with_their_status() -> None:
    error = ReadyTimeout({"knowledge": "UNREACHABLE", "gateway": "NOT_READY (503)"})
    assert str(error) == "not ready: knowledge (UNREACHABLE), gateway (NOT_READY (503))"
    assert error.laggards == {"knowledge": "UNREACHABLE", "gateway": "NOT_READY (503)"}


def test_passwords_never_reach_the_terminal() -> None:
    assert redact_url("postgresql+asyncpg://app:s3cret@db:5432/chatmesh") == (
        "postgresql+asyncpg://app:***@db:5432/chatmesh"
    )
    assert redact_url("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_repo_root_holds_the_service_packages() -> None:
    assert all((repo_root() / name / "__main__.py").exists() for name in PROCESSES)
    assert isinstance(repo_root(), Path)


def test_mesh_infra_writes_the_urls_with_passwords_to_a_private_file(tmp_path: Path) -> None:
    infra = Infra("postgresql+asyncpg://postgres:pg-pw@127.0.0.1:1/chatmesh", "redis://:redis-pw@127.0.0.1:2/0")
    path = write_env_file(tmp_path, infra)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().splitlines() == [
        f"CHATMESH_DATABASE_URL={infra.database_url}",
        f"CHATMESH_REDIS_URL={infra.redis_url}",
    ]
