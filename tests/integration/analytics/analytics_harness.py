"""A running analytics servicer with stand-in auth: tokens name principals, roles grant permissions.

alice and bob are plain users of tenant t1, admin is t1's tenant admin, eve a user of t2 and
admin2 its admin,
root a super-admin of another tenant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
from chatmesh.analytics.v1 import analytics_pb2_grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from analytics import api
from analytics.deps import AnalyticsDeps
from mesh import authz
from mesh.auth import Principal
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.errors import Unauthenticated
from mesh.server import start_server

PRINCIPALS = {
    "alice": Principal(kind="user", subject="alice-id", tenant_id="t1", roles=frozenset({"user"})),
    "bob": Principal(kind="user", subject="bob-id", tenant_id="t1", roles=frozenset({"user"})),
    "admin": Principal(kind="user", subject="admin-id", tenant_id="t1", roles=frozenset({"tenant_admin"})),
    "eve": Principal(kind="user", subject="eve-id", tenant_id="t2", roles=frozenset({"user"})),
    "admin2": Principal(kind="user", subject="admin2-id", tenant_id="t2", roles=frozenset({"tenant_admin"})),
    "root": Principal(kind="user", subject="root-id", tenant_id="t0", roles=frozenset({"super_admin"})),
}
PERMISSIONS = {
    "user": {"usage:read"},
    "tenant_admin": {"usage:read", "analytics:read", "analytics:update"},
    "super_admin": {"*"},
}


def as_user(name: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {name}")]


class StandInVerifier:
    async def verify(self, token: str) -> Principal:
        principal = PRINCIPALS.get(token)
        if principal is None:
            raise Unauthenticated("unknown token", reason="TOKEN_INVALID")
        return principal


class RoleCheck:
    """identity's rules in small: roles grant in the caller's own tenant, super_admin in every tenant."""

    async def check(self, principal: Principal, permission: str, *, tenant_id: str | None = None) -> bool:
        granted = set().union(*(PERMISSIONS.get(role, set()) for role in principal.roles))
        if tenant_id not in (None, principal.tenant_id) and "super_admin" not in principal.roles:
            return False
        return "*" in granted or permission in granted


@asynccontextmanager
async def serving(settings: Settings, deps: AnalyticsDeps) -> AsyncIterator[Any]:
    """The AnalyticsService stub of a server running ``deps``."""
    authz.install(Authorizer(RoleCheck(), ttl=0.0))
    server = await start_server(
        "analytics", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=StandInVerifier()
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield analytics_pb2_grpc.AnalyticsServiceStub(channel)
    finally:
        await channel.close(None)
        await server.stop()
        authz.install(None)


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.update({v.field: v.description for v in bad.field_violations})
    return found
