"""The whole mesh: the super-admin manages channels over gRPC; users see models, not channels.

Permissions travel the real path: model_router asks identity's Check with the caller's
token (mesh.authz), and a new channel is in ListModels as soon as CreateChannel returns.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

# The mesh fixtures are imported so that this module boots (and stops) its own mesh.
from tests.e2e.test_mesh_up import _snake
from tests.e2e.test_mesh_up import first_run as first_run
from tests.e2e.test_mesh_up import mesh as mesh
from tests.support.mesh_process import Mesh, MeshRun, full_name


def _call(mesh: Mesh, service: str, method: str, data: dict[str, object], token: str = "") -> Any:
    headers = ["-H", f"authorization: Bearer {token}"] if token else []
    return mesh.grpcurl(
        *headers, mesh.address(service), f"{full_name(service)}/{method}", data=json.dumps(data)
    )


def _ok(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = _snake(json.loads(result.stdout or "{}"))
    return parsed


@pytest.fixture(scope="module")
def tokens(mesh: Mesh, first_run: MeshRun) -> Iterator[dict[str, str]]:
    fields = dict(
        line.split("=", 1)
        for line in (mesh.data_dir / "admin-credentials").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    admin = _ok(_call(mesh, "identity", "Login", {"email": fields["email"], "password": fields["password"]}))
    email = f"e2e-mr-{uuid.uuid4().hex[:8]}@example.com"
    user = _ok(_call(mesh, "identity", "Register", {"email": email, "password": "e2e-Passw0rd!"}))
    yield {"admin": admin["access_token"], "user": user["access_token"]}


def test_admin_creates_a_channel_and_users_see_its_models_but_not_the_channel(
    mesh: Mesh, tokens: dict[str, str]
) -> None:
    channel = {
        "name": "e2e-upstream",
        "type": "openai",
        "baseUrl": "http://127.0.0.1:9/v1",
        "keys": ["sk-e2e-abcd"],
        "models": ["e2e-model-1", "e2e-prefix-*"],
    }
    denied = _call(mesh, "model_router", "CreateChannel", {"channel": channel}, tokens["user"])
    assert "Code: PermissionDenied" in denied.stderr, denied.stderr

    created = _ok(_call(mesh, "model_router", "CreateChannel", {"channel": channel}, tokens["admin"]))
    created = created["channel"]
    assert created["key_count"] == 1 and "keys" not in created

    models = _ok(_call(mesh, "model_router", "ListModels", {}, tokens["user"]))
    assert "e2e-model-1" in [m["id"] for m in models.get("data", [])]
    listed = _call(mesh, "model_router", "ListChannels", {}, tokens["user"])
    assert "Code: PermissionDenied" in listed.stderr, listed.stderr

    keys = _ok(_call(mesh, "model_router", "ListChannelKeys", {"channel_id": created["id"]}, tokens["admin"]))
    assert [k["masked_key"] for k in keys["keys"]] == ["...abcd"]
