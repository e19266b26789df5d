"""A stand-in for identity's Check with identity's rules, for tests that run one service alone.

What each user holds is kept here ("in identity"), never read from the principal's ``roles``
claim: tests can give a caller a token that still claims a role identity has taken away.
Outside the caller's own tenant only a super admin holds anything, as identity decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mesh.auth import Principal

__all__ = ["RbacStandIn"]


def _matches(held: str, wanted: str) -> bool:
    held_resource, _, held_action = held.partition(":")
    resource, _, action = wanted.partition(":")
    return held_resource in ("*", resource) and held_action in ("*", action)


@dataclass
class RbacStandIn:
    """``grants[subject]`` = permissions (wildcards as identity's); ``super_admins`` act anywhere."""

    grants: dict[str, set[str]] = field(default_factory=dict)
    super_admins: set[str] = field(default_factory=set)
    asked: list[tuple[str, str, str]] = field(default_factory=list)

    async def check(self, principal: Principal, permission: str, tenant_id: str = "") -> bool:
        self.asked.append((principal.subject, permission, tenant_id))
        if principal.subject in self.super_admins:
            return True
        if tenant_id and tenant_id != principal.tenant_id:
            return False
        return any(_matches(p, permission) for p in self.grants.get(principal.subject, ()))
