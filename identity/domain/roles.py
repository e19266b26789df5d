"""The built-in roles every tenant shares; bootstrap seeds them and RBAC resolves them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleSpec:
    """A built-in role: its own permissions; it also holds everything its parent holds."""

    name: str
    description: str
    permissions: tuple[str, ...]
    parent: str | None = None


SUPER_ADMIN = "super_admin"
TENANT_ADMIN = "tenant_admin"
DEVELOPER = "developer"
USER = "user"

# Parents come before children, so they can be created in this order.
BUILT_IN_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(SUPER_ADMIN, "Everything, in every tenant", ("*:*",)),
    RoleSpec(
        USER,
        "Chat, manage own conversations and profile",
        (
            "profile:read",
            "profile:update",
            "conversations:*",
            "messages:*",
            "models:list",
            "chat:create",
            "embeddings:create",
            # Own keys only: another user's keys also need users:read/users:update.
            "api_keys:create",
            "api_keys:read",
            "api_keys:update",
            "api_keys:delete",
            "knowledge_bases:read",
            "documents:read",
            "usage:read",
            "notifications:read",
            "notifications:update",
        ),
    ),
    RoleSpec(
        DEVELOPER,
        "A user who also builds on the API: keys, knowledge bases, agents",
        (
            "api_keys:*",
            "knowledge_bases:*",
            "documents:*",
            "agents:*",
            "embeddings:create",
        ),
        parent=USER,
    ),
    RoleSpec(
        TENANT_ADMIN,
        "Runs one tenant: its users, roles, keys, usage and audit log",
        (
            "users:*",
            "roles:*",
            "tenants:read",
            "quotas:read",
            "audit:read",
            "analytics:read",
            "analytics:update",
            "notifications:*",
            "mcp_servers:*",
        ),
        parent=DEVELOPER,
    ),
)
