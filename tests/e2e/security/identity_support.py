"""The running mesh the identity probes use: super-admin, a tenant admin, plain users, gRPC stubs.

One mesh as processes (tests.support.mesh_process), reached over HTTP through the gateway
as a browser would, and over gRPC straight at identity's port as a caller bypassing the
gateway would. The gateway's rate limits are raised so the concurrency probe's 200
registrations from one address reach identity.
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
from chatmesh.identity.v1 import identity_pb2_grpc

from tests.e2e.security.principal_support import bearer
from tests.support.mesh_process import Mesh, MeshRun, make_mesh

PASSWORD = "e2e-Passw0rd!"
REGISTER = "chatmesh.identity.v1.IdentityService.Register"
# The 50 admitted signups hash their passwords one after another (about 0.3 s each on a
# loaded two-core machine) while the other 150 wait for the tenant's lock.
PATIENCE = 600.0
GENEROUS = [{"scope": "anonymous", "limit": 100_000}, {"scope": "user", "limit": 100_000}]


@dataclass
class Probe:
    mesh: Mesh
    admin_id: str
    admin_token: str
    run: MeshRun

    def http(self, credential: str = "") -> httpx.Client:
        headers = {"authorization": f"Bearer {credential}"} if credential else {}
        return httpx.Client(base_url=self.mesh.gateway, timeout=PATIENCE, headers=headers)

    def identity(self) -> tuple[grpc.Channel, Any]:
        channel = grpc.insecure_channel(self.mesh.address("identity"))
        return channel, identity_pb2_grpc.IdentityServiceStub(channel)

    def login(self, email: str, tenant: str = "") -> str:
        with self.http() as http:
            answer = http.post(
                "/v1/auth:login", json={"email": email, "password": PASSWORD, "tenant": tenant}
            )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["accessToken"])

    def user(self, *roles: str, tenant_id: str = "") -> tuple[str, str, str]:
        """(id, email, access token) of a new user the super-admin creates, holding ``roles``."""
        email = f"probe-{uuid.uuid4().hex[:8]}@example.com"
        body: dict[str, Any] = {"user": {"email": email, "roleIds": list(roles)}, "password": PASSWORD}
        if tenant_id:
            body["tenantId"] = tenant_id
        with self.http(self.admin_token) as http:
            created = http.post("/v1/users", json=body)
        assert created.status_code == 200, created.text
        tenant = tenant_id or ""
        return str(created.json()["id"]), email, self.login(email, tenant)

    def tenant(self, slug: str, **fields: Any) -> str:
        with self.http(self.admin_token) as http:
            created = http.post("/v1/tenants", json={"slug": slug, "displayName": slug, **fields})
        assert created.status_code == 200, created.text
        return str(created.json()["id"])


def rpc_error(call: Any, request: Any, credential: str = "") -> grpc.RpcError:
    """The error a direct gRPC call ends with (the test fails if it succeeds)."""
    try:
        call(request, metadata=bearer(credential) if credential else None, timeout=30)
    except grpc.RpcError as exc:
        return exc
    raise AssertionError(f"{call} succeeded but was expected to fail")


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probe]:
    mesh = make_mesh(
        tmp_path_factory.mktemp("identity-mesh"),
        {
            "CHATMESH_GATEWAY_RATE_LIMITS": json.dumps(GENEROUS),
            # 200 simultaneous signups queue for one tenant's lock: what is measured is the
            # count, so no request may give up waiting on a shared, loaded machine.
            "CHATMESH_GATEWAY_ROUTE_DEADLINES": json.dumps({REGISTER: PATIENCE}),
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
        yield Probe(mesh, str(body["user"]["id"]), str(body["accessToken"]), run)
    finally:
        if run.process.poll() is None:
            run.stop()
