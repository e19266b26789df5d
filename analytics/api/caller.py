"""Who is asking, and how far they reach: own usage, their tenant, or the platform.

Reading one's own usage needs ``usage:read`` (every user holds it); a tenant's needs
``analytics:read`` (tenant admins); the platform's, ``analytics:read`` in every tenant
(super_admin), asked of identity like the rest, never read from the token's roles claim
(which outlives a role change until the token expires). Mesh services (kind ``service``)
read across tenants: they act for the platform.
"""

from __future__ import annotations

from analytics.domain.scope import Reach, UsageCaller
from mesh import authz
from mesh.auth import current_principal
from mesh.errors import Unauthenticated

__all__ = ["OWN_PERMISSION", "TENANT_PERMISSION", "usage_caller"]

OWN_PERMISSION = "usage:read"
TENANT_PERMISSION = "analytics:read"


async def usage_caller() -> UsageCaller:
    principal = current_principal()
    if not principal.is_authenticated:
        raise Unauthenticated("this call needs credentials", reason="CREDENTIALS_MISSING")
    if principal.kind == "service" or await authz.holds(TENANT_PERMISSION, tenant_id=authz.EVERY_TENANT):
        return UsageCaller(principal.tenant_id, principal.user_id or "", Reach.PLATFORM)
    if await authz.installed().allowed(principal, TENANT_PERMISSION):
        return UsageCaller(principal.tenant_id, principal.user_id or "", Reach.TENANT)
    await authz.require(OWN_PERMISSION)
    if not principal.user_id or not principal.tenant_id:
        raise Unauthenticated("a user credential is required", reason="USER_REQUIRED")
    return UsageCaller(principal.tenant_id, principal.user_id, Reach.OWN)
