"""The running mesh the authorization probes use: super-admin, users made with chosen roles, HTTP and gRPC.

One mesh as processes (tests.support.mesh_process) with the fake OpenAI-compatible upstream
serving a chat and an embedding model, reached over HTTP through the gateway as a client
would, and over gRPC straight at a service's port as a caller bypassing the gateway would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest

from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply
from tests.fakes.threaded import serving
from tests.support.mesh_process import Mesh, MeshRun, make_mesh

MODEL = "gpt-4o-mini"
EMBEDDING = "text-embedding-3-small"
PASSWORD = "e2e-Passw0rd!"
GENEROUS = [{"scope": "anonymous", "limit": 100_000}, {"scope": "user", "limit": 100_000}]


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    token: str


@dataclass
class Probe:
    mesh: Mesh
    admin: Account

    def http(self, credential: str = "") -> httpx.Client:
        headers = {"authorization": f"Bearer {credential}"} if credential else {}
        return httpx.Client(base_url=self.mesh.gateway, timeout=60.0, headers=headers)

    def channel(self, service: str) -> grpc.Channel:
        return grpc.insecure_channel(self.mesh.address(service))

    def login(self, email: str) -> str:
        with self.http() as http:
            answer = http.post("/v1/auth:login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["accessToken"])

    def user(self, *roles: str) -> Account:
        """A new user of the default tenant holding ``roles`` (ids; built-in roles go by name)."""
        email = f"authz-{uuid.uuid4().hex[:8]}@example.com"
        body = {"user": {"email": email, "roleIds": list(roles)}, "password": PASSWORD}
        with self.http(self.admin.token) as http:
            created = http.post("/v1/users", json=body)
        assert created.status_code == 200, created.text
        return Account(str(created.json()["id"]), email, self.login(email))

    def revoke(self, account: Account, role: str) -> None:
        with self.http(self.admin.token) as http:
            answer = http.post(f"/v1/users/{account.id}:revokeRole", json={"roleId": role})
        assert answer.status_code == 200, answer.text

    def role(self, name: str, *permissions: str) -> str:
        with self.http(self.admin.token) as http:
            answer = http.post("/v1/roles", json={"name": name, "permissions": list(permissions)})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id"])

    def set_role_permissions(self, role_id: str, *permissions: str) -> None:
        with self.http(self.admin.token) as http:
            answer = http.patch(
                f"/v1/roles/{role_id}?updateMask=permissions", json={"permissions": list(permissions)}
            )
        assert answer.status_code == 200, answer.text


def bearer(credential: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {credential}")]


def grpc_code(call: Any, request: Any, credential: str) -> grpc.StatusCode:
    """The status a direct gRPC call ends with (OK when it succeeds); streams are drained."""
    try:
        result = call(request, metadata=bearer(credential), timeout=60)
        if not hasattr(result, "SerializeToString"):
            list(result)
    except grpc.RpcError as exc:
        return exc.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(reply=FakeReply(pieces=("Hello", " there", ".")))
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory, upstream: FakeLLMUpstream) -> Iterator[Probe]:
    mesh = make_mesh(
        tmp_path_factory.mktemp("authz-mesh"),
        {
            "CHATMESH_SEED_CHANNEL_BASE_URL": f"{upstream.base_url}/v1",
            "CHATMESH_SEED_CHANNEL_API_KEY": "sk-e2e-upstream",
            "CHATMESH_SEED_CHANNEL_MODELS": json.dumps([MODEL, EMBEDDING]),
            "CHATMESH_GATEWAY_RATE_LIMITS": json.dumps(GENEROUS),
        },
    )
    run: MeshRun = mesh.start()
    try:
        run.wait_ready()
        fields = mesh.admin_credentials()
        with httpx.Client(base_url=mesh.gateway, timeout=30.0) as http:
            login = http.post(
                "/v1/auth:login", json={"email": fields["email"], "password": fields["password"]}
            )
            assert login.status_code == 200, login.text
            body = login.json()
        yield Probe(mesh, Account(str(body["user"]["id"]), fields["email"], str(body["accessToken"])))
    finally:
        if run.process.poll() is None:
            run.stop()
