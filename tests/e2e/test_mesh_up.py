"""`python -m mesh up` as a user runs it: the whole mesh as processes, poked with grpcurl and HTTP.

Everything listens on free loopback ports and keeps its data in a temporary
directory, so the test never touches the default ports or a developer's `.data/`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
import redis

from mesh.config import SERVICES
from tests.support.mesh_process import (
    GRACE_SECONDS,
    METRICS_OFFSET,
    Mesh,
    MeshRun,
    closes_within,
    full_name,
    make_mesh,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Mesh:
    return make_mesh(tmp_path_factory.mktemp("mesh"))


@pytest.fixture(scope="module")
def first_run(mesh: Mesh) -> Iterator[MeshRun]:
    with mesh.running() as run:
        yield run


def test_ready_table_names_every_service_with_its_addresses(mesh: Mesh, first_run: MeshRun) -> None:
    text = first_run.output(200)
    for svc in SERVICES:
        row = re.search(rf"^{svc}\s+(\d\S+)\s+(\S+)\s+(\S+)", text, re.MULTILINE)
        assert row, f"no table row for {svc}:\n{text}"
        assert row.groups() == (mesh.address(svc), f"127.0.0.1:{mesh.ports[svc] + METRICS_OFFSET}", "SERVING")
    assert re.search(rf"^gateway\s+{re.escape(mesh.gateway)}\s+\S+\s+READY", text, re.MULTILINE)
    assert f"grpcurl -plaintext {mesh.address('identity')} list" in text


@pytest.mark.parametrize("service", SERVICES)
def test_grpcurl_lists_describes_and_health_checks(mesh: Mesh, first_run: MeshRun, service: str) -> None:
    address = mesh.address(service)
    listed = mesh.grpcurl(address, "list")
    assert listed.returncode == 0, listed.stderr
    assert full_name(service) in listed.stdout.split()
    assert "grpc.health.v1.Health" in listed.stdout.split()

    described = mesh.grpcurl(address, "describe", full_name(service))
    assert described.returncode == 0, described.stderr
    assert f"{full_name(service)} is a service" in described.stdout
    assert len(re.findall(r"^\s*rpc \w+", described.stdout, re.MULTILINE)) >= 1

    checked = mesh.grpcurl(
        address, "grpc.health.v1.Health/Check", data=f'{{"service": "{full_name(service)}"}}'
    )
    assert checked.returncode == 0, checked.stderr
    assert '"status": "SERVING"' in checked.stdout


def _call_identity(mesh: Mesh, method: str, data: dict[str, object], token: str = "") -> dict[str, Any]:
    headers = ["-H", f"authorization: Bearer {token}"] if token else []
    called = mesh.grpcurl(
        *headers, mesh.address("identity"), f"{full_name('identity')}/{method}", data=json.dumps(data)
    )
    assert called.returncode == 0, called.stderr
    answer: dict[str, Any] = _snake(json.loads(called.stdout or "{}"))
    return answer


def _snake(value: Any) -> Any:
    """grpcurl prints proto field names or their JSON (lowerCamel) names depending on its version."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def _register(mesh: Mesh) -> dict[str, Any]:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    return _call_identity(mesh, "Register", {"email": email, "password": "e2e-Passw0rd!"})


def test_a_service_rpc_answers_unauthenticated_without_a_token_and_serves_with_one(
    mesh: Mesh, first_run: MeshRun
) -> None:
    """analytics (built in issue 14) checks the caller's token itself: no token, no answer."""
    service = "analytics"
    described = mesh.grpcurl(mesh.address(service), "describe", full_name(service))
    assert re.search(r"^\s*rpc GetUsage \( \.", described.stdout, re.MULTILINE), described.stdout
    path = f"{full_name(service)}/GetUsage"
    anonymous = mesh.grpcurl(mesh.address(service), path, data="{}")
    assert anonymous.returncode != 0
    assert "Code: Unauthenticated" in anonymous.stderr, anonymous.stderr
    token = _register(mesh)["access_token"]
    called = mesh.grpcurl("-H", f"authorization: Bearer {token}", mesh.address(service), path, data="{}")
    assert called.returncode == 0, called.stderr


def test_register_login_refresh_logout_and_another_service_refuses_the_old_token(
    mesh: Mesh, first_run: MeshRun
) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    registered = _call_identity(mesh, "Register", {"email": email, "password": "e2e-Passw0rd!"})
    assert registered["user"]["email"] == email and registered["token_type"] == "Bearer"
    login = _call_identity(mesh, "Login", {"email": email.upper(), "password": "e2e-Passw0rd!"})
    refreshed = _call_identity(mesh, "Refresh", {"refresh_token": login["refresh_token"]})
    access = refreshed["access_token"]
    verified = _call_identity(mesh, "VerifyToken", {"token": access})
    assert verified["principal"]["user_id"] == registered["user"]["id"]
    assert "user" in verified["principal"]["role_ids"]
    reused = mesh.grpcurl(
        mesh.address("identity"),
        f"{full_name('identity')}/Refresh",
        data=json.dumps({"refresh_token": login["refresh_token"]}),
    )
    assert "Code: Unauthenticated" in reused.stderr and "already used" in reused.stderr, reused.stderr
    fresh = _call_identity(mesh, "Login", {"email": email, "password": "e2e-Passw0rd!"})["access_token"]
    conversation = f"{full_name('conversation')}/ListConversations"
    before = mesh.grpcurl(
        "-H", f"authorization: Bearer {fresh}", mesh.address("conversation"), conversation, data="{}"
    )
    assert "Code: Unauthenticated" not in before.stderr, before.stderr
    _call_identity(mesh, "Logout", {}, token=fresh)
    after = mesh.grpcurl(
        "-H", f"authorization: Bearer {fresh}", mesh.address("conversation"), conversation, data="{}"
    )
    assert "Code: Unauthenticated" in after.stderr and "revoked" in after.stderr, after.stderr


def test_gateway_health_readiness_and_metrics(mesh: Mesh, first_run: MeshRun) -> None:
    assert httpx.get(f"{mesh.gateway}/healthz").status_code == 200
    ready = httpx.get(f"{mesh.gateway}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["services"] == dict.fromkeys(SERVICES, "SERVING")
    assert httpx.get(f"{mesh.gateway}/metrics").status_code == 200
    for svc in SERVICES:
        metrics = httpx.get(f"http://127.0.0.1:{mesh.ports[svc] + METRICS_OFFSET}/metrics")
        assert metrics.status_code == 200, svc
        assert "# TYPE" in metrics.text


def run_status(mesh: Mesh) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "mesh", "status"]
    return subprocess.run(argv, cwd=mesh.cwd, env=mesh.env, capture_output=True, text=True, timeout=30)


def test_status_command_reports_every_service(mesh: Mesh, first_run: MeshRun) -> None:
    status = run_status(mesh)
    assert status.returncode == 0, status.stdout + status.stderr
    for svc in SERVICES:
        assert re.search(
            rf"^{svc}\s+\S+\s+\S+\s+SERVING\s+{first_run.service_pid(svc)}$", status.stdout, re.M
        )


def test_a_stopped_service_is_reported_and_restarted(mesh: Mesh, first_run: MeshRun) -> None:
    victim = "knowledge"
    old_pid = first_run.service_pid(victim)
    os.kill(old_pid, signal.SIGTERM)

    saw_down = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = httpx.get(f"{mesh.gateway}/readyz", timeout=5)
        if response.status_code == 503:
            assert response.json()["not_serving"] == [victim]
            saw_down = True
        elif saw_down and response.status_code == 200:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"readyz never went 503 then 200 (saw 503: {saw_down}):\n{first_run.output()}")

    new_pid = first_run.service_pid(victim)
    assert new_pid != old_pid
    assert any(line.startswith(victim) and "exited with code 0" in line for line in first_run.lines)
    health = mesh.grpcurl(mesh.address(victim), "grpc.health.v1.Health/Check")
    assert '"status": "SERVING"' in health.stdout
    status = run_status(mesh)
    assert status.returncode == 0, status.stdout
    assert re.search(rf"^{victim}\s+\S+\s+\S+\s+SERVING\s+{new_pid}$", status.stdout, re.M), status.stdout


async def _postgres_answer(dsn: str) -> str:
    try:
        connection = await asyncpg.connect(dsn, timeout=10)
    except (asyncpg.PostgresError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    try:
        return str(await connection.fetchval("SELECT 'ok'"))
    finally:
        await connection.close()


def test_the_embedded_stores_refuse_anyone_without_the_generated_passwords(
    mesh: Mesh, first_run: MeshRun
) -> None:
    refused = asyncio.run(_postgres_answer(mesh.postgres_dsn(password=False)))
    assert "password" in refused, refused
    assert asyncio.run(_postgres_answer(mesh.postgres_dsn())) == "ok"
    for name in ("postgres-password", "redis-password"):
        assert (mesh.data_dir / name).stat().st_mode & 0o777 == 0o600
    anonymous = redis.Redis.from_url(mesh.redis_dsn(password=False))
    with pytest.raises(redis.AuthenticationError):
        anonymous.get("anything")
    anonymous.close()
    with redis.Redis.from_url(mesh.redis_dsn()) as client:
        assert client.ping()
    launcher_output = "\n".join(first_run.lines)
    for name in ("postgres-password", "redis-password"):
        assert (mesh.data_dir / name).read_text().strip() not in launcher_output


async def _admin_rows(mesh: Mesh, email: str) -> int:
    connection = await asyncpg.connect(mesh.postgres_dsn())
    try:
        return int(await connection.fetchval("SELECT count(*) FROM identity.users WHERE email = $1", email))
    finally:
        await connection.close()


def test_ctrl_c_stops_everything_and_a_second_run_finds_the_data(mesh: Mesh, first_run: MeshRun) -> None:
    credentials = mesh.data_dir / "admin-credentials"
    assert credentials.exists(), first_run.output()
    written = credentials.read_text()
    children = first_run.children()
    assert len(children) >= len(SERVICES) + 1

    started = time.monotonic()
    assert first_run.stop(signal.SIGINT) == 0, first_run.output()
    assert time.monotonic() - started < GRACE_SECONDS + 5 + 5
    unclean = [line for line in first_run.lines if "while stopping" in line]
    assert not unclean, "every process should exit 0 on SIGTERM:\n" + "\n".join(unclean)
    assert not [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert closes_within(mesh.ports["postgres"], 15), "embedded postgres still listening"
    assert closes_within(mesh.ports["redis"], 15), "embedded redis still listening"
    assert not [
        p for p in psutil.process_iter(["cmdline"]) if str(mesh.data_dir) in " ".join(p.info["cmdline"] or [])
    ]
    assert not (mesh.data_dir / "launcher.json").exists()
    assert run_status(mesh).returncode == 1

    second = mesh.start()
    try:
        second.wait_ready()
        assert credentials.read_text() == written
        assert not [line for line in second.lines if "super-admin created" in line]
        email = re.search(r"[\w.+-]+@[\w.-]+", written)
        assert email, written
        assert asyncio.run(_admin_rows(mesh, email.group(0))) == 1
    finally:
        assert second.stop(signal.SIGTERM) == 0, second.output()
