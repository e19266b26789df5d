"""Whose turns a caller may run and see.

Generate is mesh-internal: conversation calls it with the end user's forwarded credentials,
so a user (or API key) runs turns only in their own tenant and as themselves. Service
identities and super admins act for any tenant named in the request. Without a verifier
(development, tests) callers are anonymous and the request's tenant is taken as given.

The admin reads (GetGeneration, ListGenerations) are scoped the same way: tenant admins see
their tenant, other users their own turns; another tenant's turn is NOT_FOUND, never revealed.
"""

from __future__ import annotations

from dataclasses import dataclass

from mesh.auth import Principal
from mesh.errors import FieldViolation, InvalidArgument, PermissionDenied

__all__ = ["Scope", "read_scope", "turn_owner"]

SUPER_ADMIN = "super_admin"
TENANT_ADMIN = "tenant_admin"


@dataclass(frozen=True)
class Scope:
    """What a caller may see: "" in a field means unrestricted."""

    tenant_id: str
    user_id: str

    def allows(self, tenant_id: str, user_id: str) -> bool:
        return (not self.tenant_id or self.tenant_id == tenant_id) and (
            not self.user_id or self.user_id == user_id
        )


def _acts_for_anyone(principal: Principal) -> bool:
    return not principal.is_authenticated or principal.kind == "service" or principal.has_role(SUPER_ADMIN)


def turn_owner(principal: Principal, tenant_id: str, user_id: str) -> tuple[str, str]:
    """The (tenant, user) a Generate runs for."""
    if _acts_for_anyone(principal):
        if not tenant_id:
            raise InvalidArgument("tenant_id is required", [FieldViolation("tenant_id", "is required")])
        return tenant_id, user_id
    if tenant_id and tenant_id != principal.tenant_id:
        raise PermissionDenied("a turn runs only in the caller's own tenant", reason="TENANT_MISMATCH")
    own_user = principal.user_id or ""
    if user_id and user_id != own_user and not principal.has_role(TENANT_ADMIN):
        raise PermissionDenied("a turn runs only for the calling user", reason="USER_MISMATCH")
    return principal.tenant_id, user_id or own_user


def read_scope(principal: Principal, requested_tenant: str) -> Scope:
    """The generations a caller may read; PermissionDenied for an explicit other tenant."""
    if _acts_for_anyone(principal):
        return Scope(requested_tenant, "")
    if requested_tenant and requested_tenant != principal.tenant_id:
        raise PermissionDenied("generations of another tenant are not visible", reason="TENANT_MISMATCH")
    if principal.has_role(TENANT_ADMIN):
        return Scope(principal.tenant_id, "")
    return Scope(principal.tenant_id, principal.user_id or "")
