"""RBAC rules: permission strings, wildcard matching, role inheritance and escalation limits.

A permission is ``resource:action``; ``*`` in either segment of a *granted* permission
matches any value there (``conversations:*``, ``*:read``, ``*:*``). A required permission
is literal: ``*`` in it is only satisfied by a ``*`` granted in the same segment, so
"may do everything with conversations" is not implied by "may read conversations".

Built-in roles are shared by every tenant; custom roles belong to one tenant and may
inherit from built-in roles and from custom roles of the same tenant. Only
``super_admin`` reaches across tenants.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from identity.domain.roles import BUILT_IN_ROLES, SUPER_ADMIN

__all__ = [
    "MAX_PERMISSIONS",
    "PERMISSION_CATALOGUE",
    "Grants",
    "RoleNode",
    "ancestors",
    "dependents",
    "find_cycle",
    "first_grant",
    "matches",
    "outranked_by",
    "permission_error",
    "role_name_error",
    "uncovered",
]

_SEGMENT = r"(?:\*|[a-z][a-z0-9_.]{0,62})"
PERMISSION_RE = re.compile(rf"^{_SEGMENT}:{_SEGMENT}$")
ROLE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
MAX_PERMISSIONS = 200
MAX_PARENTS = 16


def permission_error(permission: str) -> str | None:
    """Why ``permission`` is not a well-formed ``resource:action`` string, or None."""
    if not PERMISSION_RE.match(permission):
        return (
            f"{permission[:80]!r} is not 'resource:action' (lower_snake_case segments, "
            "or '*' for a whole segment)"
        )
    return None


def role_name_error(name: str) -> str | None:
    if not ROLE_NAME_RE.match(name):
        return "must be lower_snake_case, 2 to 63 characters, starting with a letter"
    if name in {spec.name for spec in BUILT_IN_ROLES}:
        return f"{name!r} is the name of a built-in role"
    return None


def matches(granted: str, required: str) -> bool:
    """Whether holding ``granted`` allows ``required`` (segment-wise, ``*`` only on the granted side)."""
    g_resource, _, g_action = granted.partition(":")
    r_resource, _, r_action = required.partition(":")
    if not g_action:
        return granted == "*"
    return g_resource in ("*", r_resource) and g_action in ("*", r_action)


def uncovered(held: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The permissions of ``wanted`` that ``held`` does not cover (what granting them would escalate)."""
    held = tuple(held)
    return sorted({w for w in wanted if not any(matches(h, w) for h in held)})


def outranked_by(actor: Iterable[str], target: Iterable[str]) -> list[str]:
    """What ``target`` holds that ``actor`` does not: non-empty means the target ranks above.

    The same no-escalation rule as granting roles: nobody manages (edits, disables, mints
    keys for, ends the sessions of) a user holding a permission they lack themselves.
    """
    return uncovered(actor, target)


@dataclass(frozen=True)
class RoleNode:
    """A role as the resolver sees it; ``key`` is the public id (name for built-ins, uuid for custom)."""

    id: uuid.UUID
    name: str
    tenant_id: uuid.UUID | None
    permissions: tuple[str, ...]
    parents: tuple[uuid.UUID, ...]
    built_in: bool

    @property
    def key(self) -> str:
        return self.name if self.built_in else str(self.id)


def ancestors(graph: Mapping[uuid.UUID, RoleNode], start: Iterable[uuid.UUID]) -> list[RoleNode]:
    """``start`` and every role they inherit from, each once, nearest first (cycles tolerated)."""
    seen: set[uuid.UUID] = set()
    order: list[RoleNode] = []
    frontier = list(start)
    while frontier:
        following: list[uuid.UUID] = []
        for role_id in frontier:
            node = graph.get(role_id)
            if node is None or role_id in seen:
                continue
            seen.add(role_id)
            order.append(node)
            following.extend(node.parents)
        frontier = following
    return order


def dependents(graph: Mapping[uuid.UUID, RoleNode], role_id: uuid.UUID) -> list[uuid.UUID]:
    """``role_id`` and every role inheriting from it: whose grants change when it changes."""
    return [node_id for node_id in graph if any(n.id == role_id for n in ancestors(graph, [node_id]))]


def find_cycle(
    graph: Mapping[uuid.UUID, RoleNode], role_id: uuid.UUID, new_parents: Sequence[uuid.UUID]
) -> bool:
    """Whether giving ``role_id`` the parents ``new_parents`` would make it inherit from itself."""
    return any(node.id == role_id for node in ancestors(graph, new_parents))


def first_grant(nodes: Iterable[RoleNode], permission: str) -> RoleNode | None:
    """The first role (nearest first) holding a permission that matches ``permission``."""
    for node in nodes:
        if any(matches(p, permission) for p in node.permissions):
            return node
    return None


@dataclass(frozen=True)
class Grants:
    """What one user holds: the tenant it belongs to and its roles with everything they inherit."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    active: bool
    assigned: tuple[RoleNode, ...]
    effective: tuple[RoleNode, ...]

    @classmethod
    def of(
        cls,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID,
        active: bool,
        role_ids: Iterable[uuid.UUID],
        graph: Mapping[uuid.UUID, RoleNode],
    ) -> Grants:
        """Grants from assigned role ids; roles outside the graph (another tenant's) are ignored."""
        assigned = tuple(graph[r] for r in role_ids if r in graph)
        return cls(user_id, tenant_id, active, assigned, tuple(ancestors(graph, (n.id for n in assigned))))

    @property
    def role_keys(self) -> tuple[str, ...]:
        return tuple(node.key for node in self.assigned)

    @property
    def permissions(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for node in self.effective:
            for permission in node.permissions:
                seen.setdefault(permission)
        return tuple(seen)

    @property
    def is_super_admin(self) -> bool:
        return any(node.built_in and node.name == SUPER_ADMIN for node in self.assigned)

    def granting_role(self, permission: str, tenant_id: uuid.UUID | None = None) -> RoleNode | None:
        """The role granting ``permission`` in ``tenant_id`` (default: the user's own), or None.

        Outside the user's own tenant only ``super_admin`` grants anything.
        """
        if not self.active:
            return None
        if tenant_id is not None and tenant_id != self.tenant_id:
            return next((n for n in self.assigned if n.built_in and n.name == SUPER_ADMIN), None)
        return first_grant(self.effective, permission)

    def allows(self, permission: str, tenant_id: uuid.UUID | None = None) -> bool:
        return self.granting_role(permission, tenant_id) is not None


# The permissions the mesh knows, for role editors (ListPermissions). Resources are plural
# nouns as in the built-in roles; services guard their RPCs with these names.
PERMISSION_CATALOGUE: tuple[tuple[str, str], ...] = (
    ("profile:read", "Read one's own profile"),
    ("profile:update", "Change one's own profile and password"),
    ("tenants:create", "Create tenants"),
    ("tenants:read", "Read the tenant"),
    ("tenants:update", "Change the tenant"),
    ("tenants:delete", "Delete tenants"),
    ("quotas:read", "Read the tenant's quota"),
    ("quotas:update", "Change tenant quotas"),
    ("users:create", "Create users in the tenant"),
    ("users:read", "Read users of the tenant"),
    ("users:update", "Change users of the tenant, including their API keys"),
    ("users:delete", "Delete and restore users of the tenant"),
    ("roles:create", "Create custom roles"),
    ("roles:read", "Read roles and who holds them"),
    ("roles:update", "Change custom roles"),
    ("roles:delete", "Delete custom roles"),
    ("roles:assign", "Assign and revoke roles"),
    ("api_keys:create", "Create one's own API keys"),
    ("api_keys:read", "Read one's own API keys"),
    ("api_keys:update", "Change one's own API keys"),
    ("api_keys:delete", "Revoke and restore one's own API keys"),
    ("audit:read", "Read the tenant's audit log"),
    ("signing_keys:rotate", "Rotate the token signing key"),
    ("conversations:create", "Start conversations"),
    ("conversations:read", "Read own conversations"),
    ("conversations:update", "Rename, branch and share own conversations"),
    ("conversations:delete", "Delete own conversations"),
    ("messages:create", "Send messages"),
    ("messages:read", "Read messages"),
    ("messages:update", "Edit and regenerate messages"),
    ("messages:delete", "Delete messages"),
    ("chat:create", "Generate assistant replies"),
    ("models:list", "List available models"),
    ("embeddings:create", "Create embeddings"),
    ("channels:read", "Read model channels"),
    ("channels:update", "Manage model channels and provider keys"),
    ("knowledge_bases:create", "Create knowledge bases"),
    ("knowledge_bases:read", "Read and search knowledge bases"),
    ("knowledge_bases:update", "Change knowledge bases"),
    ("knowledge_bases:delete", "Delete knowledge bases"),
    ("documents:create", "Upload documents"),
    ("documents:read", "Read documents"),
    ("documents:delete", "Delete documents"),
    ("agents:create", "Create agents"),
    ("agents:read", "Read agents"),
    ("agents:update", "Change agents"),
    ("agents:delete", "Delete agents"),
    ("mcp_servers:read", "Read the tenant's MCP tool servers"),
    ("mcp_servers:update", "Manage the tenant's MCP tool servers and their secrets"),
    ("usage:read", "Read own usage"),
    ("analytics:read", "Read the tenant's dashboards and reports"),
    ("analytics:update", "Manage the tenant's analytics alert rules and budgets"),
    ("notifications:read", "Read own notifications"),
    ("notifications:update", "Change notification preferences"),
    ("notifications:send", "Send notifications to users of the tenant"),
)
