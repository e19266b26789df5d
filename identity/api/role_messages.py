"""Role messages ↔ domain: finding roles by their public id, reading role fields, writing replies.

A role's public id is its name for built-in roles (``developer``) and its uuid for
custom roles, as the contract says.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chatmesh.identity.v1 import rbac_pb2

from identity.api.access_support import Caller, to_timestamp
from identity.domain.rbac import (
    MAX_PARENTS,
    MAX_PERMISSIONS,
    RoleNode,
    ancestors,
    permission_error,
    role_name_error,
    uncovered,
)
from identity.store.rbac import RoleRecord
from mesh.errors import FieldViolation, PermissionDenied

__all__ = [
    "MAX_DESCRIPTION",
    "RoleFields",
    "effective_permissions",
    "find_role",
    "no_escalation",
    "read_fields",
    "role_message",
]

MAX_DESCRIPTION = 500


def find_role(records: Mapping[uuid.UUID, RoleRecord], key: str) -> RoleRecord | None:
    """The role whose public id is ``key`` among ``records`` (those visible to the caller)."""
    for record in records.values():
        if record.node.built_in and record.node.name == key:
            return record
    try:
        return records.get(uuid.UUID(key))
    except ValueError:
        return None


def role_message(record: RoleRecord, graph: Mapping[uuid.UUID, RoleNode]) -> rbac_pb2.Role:
    node = record.node
    return rbac_pb2.Role(
        id=node.key,
        tenant_id=str(node.tenant_id) if node.tenant_id else "",
        name=node.name,
        description=record.description,
        permissions=node.permissions,
        parent_role_ids=[graph[p].key for p in node.parents if p in graph],
        built_in=node.built_in,
        create_time=to_timestamp(record.created_at),
        update_time=to_timestamp(record.updated_at),
    )


@dataclass(frozen=True)
class RoleFields:
    """Validated role fields; ``parents`` are resolved ids (only those the request named)."""

    name: str | None
    description: str | None
    permissions: tuple[str, ...] | None
    parents: tuple[uuid.UUID, ...] | None


def read_fields(
    role: rbac_pb2.Role,
    paths: Sequence[str],
    records: Mapping[uuid.UUID, RoleRecord],
    violations: list[FieldViolation],
) -> RoleFields:
    """The fields named in ``paths``, checked; problems are appended to ``violations``."""
    name = description = None
    permissions: tuple[str, ...] | None = None
    parents: tuple[uuid.UUID, ...] | None = None
    if "name" in paths:
        problem = role_name_error(role.name)
        if problem:
            violations.append(FieldViolation("role.name", problem))
        name = role.name
    if "description" in paths:
        if len(role.description) > MAX_DESCRIPTION:
            violations.append(FieldViolation("role.description", f"at most {MAX_DESCRIPTION} characters"))
        elif "\x00" in role.description:
            violations.append(FieldViolation("role.description", "must not contain NUL characters"))
        description = role.description
    if "permissions" in paths:
        if len(role.permissions) > MAX_PERMISSIONS:
            violations.append(FieldViolation("role.permissions", f"at most {MAX_PERMISSIONS} entries"))
        for i, permission in enumerate(role.permissions):
            problem = permission_error(permission)
            if problem:
                violations.append(FieldViolation(f"role.permissions[{i}]", problem))
        permissions = tuple(dict.fromkeys(role.permissions))
    if "parent_role_ids" in paths:
        if len(role.parent_role_ids) > MAX_PARENTS:
            violations.append(FieldViolation("role.parent_role_ids", f"at most {MAX_PARENTS} entries"))
        found: list[uuid.UUID] = []
        for i, key in enumerate(role.parent_role_ids):
            record = find_role(records, key)
            if record is None:
                violations.append(FieldViolation(f"role.parent_role_ids[{i}]", "no such role in this tenant"))
            else:
                found.append(record.node.id)
        parents = tuple(dict.fromkeys(found))
    return RoleFields(name, description, permissions, parents)


def effective_permissions(
    graph: Mapping[uuid.UUID, RoleNode], own: Sequence[str], parents: Sequence[uuid.UUID]
) -> set[str]:
    """What a role with ``own`` permissions and these parents would grant."""
    granted = set(own)
    for node in ancestors(graph, parents):
        granted.update(node.permissions)
    return granted


def no_escalation(caller: Caller, wanted: set[str]) -> None:
    """Refuse a role (or binding) that would hand out more than the caller holds."""
    beyond = uncovered(caller.grants.permissions, wanted)
    if beyond:
        raise PermissionDenied(
            f"cannot grant permissions you do not hold: {', '.join(beyond[:10])}",
            reason="ROLE_ESCALATION",
            metadata={"permissions": ",".join(beyond[:20])},
        )
