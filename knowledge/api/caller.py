"""Who is calling: every knowledge RPC acts for one user of one tenant."""

from __future__ import annotations

from knowledge.domain.access import Reader
from mesh.auth import current_principal
from mesh.errors import Unauthenticated

__all__ = ["caller"]


def caller() -> Reader:
    """The calling user (API keys act for their owner); services and anonymous callers own nothing."""
    principal = current_principal()
    user_id = principal.user_id
    if not user_id or not principal.tenant_id:
        raise Unauthenticated("a user credential is required", reason="USER_REQUIRED")
    return Reader(tenant_id=principal.tenant_id, user_id=user_id, roles=frozenset(principal.roles))
