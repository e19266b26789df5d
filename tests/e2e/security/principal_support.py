"""The running mesh the principal tests probe, and the ways in an attacker would use.

One mesh as processes (tests.support.mesh_process) with the fake OpenAI-compatible upstream
serving two chat models and an embedding model. ``127.0.0.2`` is configured as the only
trusted proxy (``CHATMESH_GATEWAY_TRUSTED_PROXIES``): an HTTP client bound to that source
address plays our load balancer, any other client is the internet. gRPC clients dial the
service ports directly, as a caller bypassing the gateway would.
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
from chatmesh.conversation.v1 import conversation_pb2_grpc
from chatmesh.model_router.v1 import model_router_pb2_grpc

from mesh.errors import error_from_rpc
from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply
from tests.fakes.threaded import serving
from tests.support.mesh_process import Mesh, make_mesh

ALLOWED = "gpt-4o-mini"
OTHER = "gpt-4o"
EMBEDDING = "text-embedding-3-small"
PROXY = "127.0.0.2"
LOGIN_FAILURES = 3
PASSWORD = "e2e-Passw0rd!"
REPLY = FakeReply(pieces=("Hi", " there", "."))


@dataclass
class Probe:
    """The mesh and the super-admin's token (the super-admin owns the keys under test)."""

    mesh: Mesh
    admin_token: str
    admin_email: str

    def http(self, credential: str = "", *, via_proxy: bool = False, **headers: str) -> httpx.Client:
        """A client of the gateway: from 127.0.0.1 (the internet), or from our proxy's address."""
        transport = httpx.HTTPTransport(local_address=PROXY) if via_proxy else None
        if credential:
            headers["authorization"] = f"Bearer {credential}"
        return httpx.Client(base_url=self.mesh.gateway, timeout=30.0, transport=transport, headers=headers)

    def key(self, **limits: Any) -> str:
        """A new API key of the super-admin with ``limits`` (allowedModels, allowedCidrs, ...)."""
        return str(self.key_record(**limits)["secret"])

    def key_record(self, **limits: Any) -> dict[str, Any]:
        """CreateApiKey's answer: ``secret`` and the ``apiKey`` resource (its ``id``)."""
        with self.http(self.admin_token) as http:
            created = http.post("/v1/api-keys", json={"name": f"probe-{uuid.uuid4().hex[:6]}", **limits})
        assert created.status_code == 200, created.text
        return dict(created.json())

    def channel(self, service: str) -> grpc.Channel:
        return grpc.insecure_channel(self.mesh.address(service))

    def model_router(self, channel: grpc.Channel) -> Any:
        return model_router_pb2_grpc.ModelRouterServiceStub(channel)

    def conversation(self, channel: grpc.Channel) -> Any:
        return conversation_pb2_grpc.ConversationServiceStub(channel)


def bearer(credential: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {credential}"), *extra]


def rpc_error(call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
    """The error a direct gRPC call ends with (the test fails if it succeeds)."""
    try:
        result = call(*args, timeout=30, **kwargs)
        if hasattr(result, "__iter__") and not hasattr(result, "SerializeToString"):
            list(result)
    except grpc.RpcError as exc:
        return exc
    raise AssertionError(f"{call} succeeded but was expected to fail")


def reason(error: grpc.RpcError) -> str:
    """The google.rpc.ErrorInfo reason of a gRPC error ("" without one)."""
    return error_from_rpc(error).reason or ""


def http_reason(response: httpx.Response) -> str:
    """The ErrorInfo reason of a gateway error body (google.rpc.Status or an OpenAI error)."""
    body = response.json()
    for detail in body.get("details", []):
        if "reason" in detail:
            return str(detail["reason"])
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("code") or error.get("type") or "")
    return ""


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(reply=REPLY)
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory, upstream: FakeLLMUpstream) -> Iterator[Probe]:
    mesh = make_mesh(
        tmp_path_factory.mktemp("principal-mesh"),
        {
            "CHATMESH_SEED_CHANNEL_BASE_URL": f"{upstream.base_url}/v1",
            "CHATMESH_SEED_CHANNEL_API_KEY": "sk-e2e-upstream",
            "CHATMESH_SEED_CHANNEL_MODELS": json.dumps([ALLOWED, OTHER, EMBEDDING]),
            "CHATMESH_GATEWAY_TRUSTED_PROXIES": f"{PROXY}/32",
            "CHATMESH_LOGIN_MAX_FAILURES_PER_IP": str(LOGIN_FAILURES),
        },
    )
    with mesh.running():
        fields = mesh.admin_credentials()
        with httpx.Client(base_url=mesh.gateway, timeout=30.0) as http:
            login = http.post(
                "/v1/auth:login", json={"email": fields["email"], "password": fields["password"]}
            )
        assert login.status_code == 200, login.text
        yield Probe(mesh, str(login.json()["accessToken"]), fields["email"])
