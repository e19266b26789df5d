"""Who is calling: every conversation RPC except shared links acts for one user of one tenant."""

from __future__ import annotations

from dataclasses import dataclass

from mesh.auth import current_principal
from mesh.errors import Unauthenticated

__all__ = ["Caller", "caller"]


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str


def caller() -> Caller:
    """The calling user; services and anonymous callers own no conversations."""
    principal = current_principal()
    user_id = principal.user_id
    if not user_id or not principal.tenant_id:
        raise Unauthenticated("a user credential is required", reason="USER_REQUIRED")
    return Caller(tenant_id=principal.tenant_id, user_id=user_id)
