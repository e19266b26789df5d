"""Whose turns a caller may run and see.

Generate is mesh-internal: conversation calls it with the end user's forwarded credentials,
so a user (or API key) runs turns only in their own tenant and as themselves, and only while
holding ``chat:create``. Service identities act for any tenant named in the request. Without
a verifier (development, tests) callers are anonymous and the request's tenant is taken as
given; in a running mesh every service has a verifier, so nobody is anonymous here.

The admin reads (GetGeneration, ListGenerations, Cancel) are scoped the same way: callers
holding ``analytics:read`` see their tenant's turns, others their own; another tenant's turn
is NOT_FOUND, never revealed.

Every decision asks mesh.authz (identity's Check, invalidated on role change), never the
token's ``roles`` claim, which stays as issued until the token expires: a demoted tenant
admin loses the tenant-wide view at once. Acting in another tenant is a question about that
tenant (``tenant_id=``), which identity grants only to cross-tenant roles (super_admin).
"""

from __future__ import annotations

from dataclasses import dataclass

from mesh import authz
from mesh.auth import Principal
from mesh.errors import FieldViolation, InvalidArgument, PermissionDenied

__all__ = ["CHAT_PERMISSION", "TENANT_READ_PERMISSION", "Scope", "read_scope", "turn_owner"]

CHAT_PERMISSION = "chat:create"
# Tenant-wide operational records (usage, generations) are the tenant dashboards' permission.
TENANT_READ_PERMISSION = "analytics:read"
# Running a turn as another user of the tenant is acting on that user.
ACT_FOR_USER_PERMISSION = "users:update"


@dataclass(frozen=True)
class Scope:
    """What a caller may see: "" in a field means unrestricted."""

    tenant_id: str
    user_id: str

    def allows(self, tenant_id: str, user_id: str) -> bool:
        return (not self.tenant_id or self.tenant_id == tenant_id) and (
            not self.user_id or self.user_id == user_id
        )


def _trusted(principal: Principal) -> bool:
    """Anonymous only without a verifier (never in a running mesh); services act for anyone."""
    return not principal.is_authenticated or principal.kind == "service"


async def turn_owner(principal: Principal, tenant_id: str, user_id: str) -> tuple[str, str]:
    """The (tenant, user) a Generate runs for; PERMISSION_DENIED when the caller may not."""
    if _trusted(principal):
        if not tenant_id:
            raise InvalidArgument("tenant_id is required", [FieldViolation("tenant_id", "is required")])
        return tenant_id, user_id
    tenant = tenant_id or principal.tenant_id
    if tenant == principal.tenant_id:
        await authz.installed().require(CHAT_PERMISSION, principal=principal)
    elif not await authz.holds(CHAT_PERMISSION, tenant_id=tenant, principal=principal):
        raise PermissionDenied("a turn runs only in the caller's own tenant", reason="TENANT_MISMATCH")
    own_user = principal.user_id or ""
    if (
        user_id
        and user_id != own_user
        and not await authz.holds(ACT_FOR_USER_PERMISSION, tenant_id=tenant, principal=principal)
    ):
        raise PermissionDenied("a turn runs only for the calling user", reason="USER_MISMATCH")
    return tenant, user_id or own_user


async def read_scope(principal: Principal, requested_tenant: str) -> Scope:
    """The generations a caller may read; PermissionDenied for an explicit other tenant."""
    if _trusted(principal):
        return Scope(requested_tenant, "")
    if requested_tenant and requested_tenant != principal.tenant_id:
        if await authz.holds(TENANT_READ_PERMISSION, tenant_id=requested_tenant, principal=principal):
            return Scope(requested_tenant, "")
        raise PermissionDenied("generations of another tenant are not visible", reason="TENANT_MISMATCH")
    if not requested_tenant and await authz.holds(
        TENANT_READ_PERMISSION, tenant_id=authz.EVERY_TENANT, principal=principal
    ):
        return Scope("", "")
    if await authz.holds(TENANT_READ_PERMISSION, principal=principal):
        return Scope(principal.tenant_id, "")
    return Scope(principal.tenant_id, principal.user_id or "")
