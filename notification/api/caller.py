"""Who is calling, and whose notifications they may touch."""

from __future__ import annotations

from dataclasses import dataclass

from mesh import authz
from mesh.auth import current_principal
from mesh.errors import Unauthenticated

__all__ = ["SEND", "Caller", "acting_tenant", "caller", "target_user"]

SEND = "notifications:send"


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str


def caller() -> Caller:
    """The calling user: an inbox and preferences belong to one user of one tenant."""
    principal = current_principal()
    user_id = principal.user_id
    if not user_id or not principal.tenant_id:
        raise Unauthenticated("a user credential is required", reason="USER_REQUIRED")
    return Caller(tenant_id=principal.tenant_id, user_id=user_id)


async def acting_tenant(tenant_id: str) -> str:
    """The tenant an admin RPC acts in: the caller's own, or (platform admins only) another."""
    principal = current_principal()
    wanted = tenant_id or principal.tenant_id
    await authz.require(SEND, tenant_id=wanted if wanted != principal.tenant_id else "")
    return wanted


async def target_user(user_id: str) -> Caller:
    """The caller, or another user of the caller's tenant when the caller may send notifications."""
    me = caller()
    if not user_id or user_id == me.user_id:
        return me
    await authz.require(SEND)
    return Caller(tenant_id=me.tenant_id, user_id=user_id)
