"""Who is calling, and may they: every conversation RPC except shared links acts for one user of one tenant.

Each RPC names the permissions it needs (identity's catalogue: ``conversations:*``,
``messages:*``, and ``chat:create`` for anything that asks a model); they are checked
through mesh.authz (identity's Check, invalidated on role change), so a user whose roles
were taken away can no longer chat even with a token issued before.
"""

from __future__ import annotations

from dataclasses import dataclass

from mesh import authz
from mesh.auth import current_principal
from mesh.errors import Unauthenticated

__all__ = [
    "CHAT",
    "CONVERSATIONS_CREATE",
    "CONVERSATIONS_DELETE",
    "CONVERSATIONS_READ",
    "CONVERSATIONS_UPDATE",
    "MESSAGES_CREATE",
    "MESSAGES_READ",
    "MESSAGES_UPDATE",
    "Caller",
    "caller",
]

CONVERSATIONS_CREATE = "conversations:create"
CONVERSATIONS_READ = "conversations:read"
CONVERSATIONS_UPDATE = "conversations:update"
CONVERSATIONS_DELETE = "conversations:delete"
MESSAGES_CREATE = "messages:create"
MESSAGES_READ = "messages:read"
MESSAGES_UPDATE = "messages:update"
CHAT = "chat:create"


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str


async def caller(*permissions: str) -> Caller:
    """The calling user, holding every one of ``permissions``; services and anonymous callers
    own no conversations (UNAUTHENTICATED), a user lacking one is PERMISSION_DENIED."""
    principal = current_principal()
    user_id = principal.user_id
    if not user_id or not principal.tenant_id:
        raise Unauthenticated("a user credential is required", reason="USER_REQUIRED")
    await authz.installed().require(*permissions, principal=principal)
    return Caller(tenant_id=principal.tenant_id, user_id=user_id)
