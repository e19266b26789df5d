"""Role RPCs: the permission catalogue and custom roles (create/get/list/update/delete).

Custom roles live in one tenant; only super_admin reaches other tenants' roles. No
one can create or widen a role beyond what they hold themselves (PERMISSION_DENIED,
reason ROLE_ESCALATION), and inheritance may not form a cycle (INVALID_ARGUMENT).
Changes are audited in their transaction and announced to every cache afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.identity.v1 import rbac_pb2
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity.api.access_support import (
    Caller,
    denials_audited,
    optional_id,
    origin_of,
    page_of,
    page_size,
    resolve_caller,
    runtime,
)
from identity.api.role_messages import (
    RoleFields,
    effective_permissions,
    find_role,
    no_escalation,
    read_fields,
    role_message,
)
from identity.domain.rbac import PERMISSION_CATALOGUE, RoleNode, dependents, find_cycle
from identity.store import audit
from identity.store import rbac as store
from mesh.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["RolesApi"]

ROLE_FIELDS = ("name", "description", "permissions", "parent_role_ids")


class RolesApi:
    deps: IdentityDeps

    async def ListPermissions(
        self, request: rbac_pb2.ListPermissionsRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.ListPermissionsResponse:
        await resolve_caller(self.deps)
        items, token = page_of(PERMISSION_CATALOGUE, request.page_token, page_size(request.page_size))
        return rbac_pb2.ListPermissionsResponse(
            permissions=[rbac_pb2.Permission(name=n, description=d) for n, d in items], next_page_token=token
        )

    async def CreateRole(
        self, request: rbac_pb2.CreateRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.CreateRoleResponse:
        async with denials_audited(self.deps, context, "role.create", ("role", request.role.name)):
            return await self._create_role(request, context)

    async def _create_role(
        self, request: rbac_pb2.CreateRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.CreateRoleResponse:
        caller = await resolve_caller(self.deps)
        tenant_id = optional_id(request.role.tenant_id, "role.tenant_id") or caller.tenant_id
        if tenant_id != caller.tenant_id and not caller.grants.is_super_admin:
            raise PermissionDenied("custom roles are created in your own tenant", reason="CROSS_TENANT")
        caller.need("roles:create", tenant_id)
        async with self.deps.sessions.begin() as session:
            await store.lock_roles(session, tenant_id)
            records = await store.role_records(session, tenant_id)
            violations: list[FieldViolation] = []
            fields = read_fields(request.role, ROLE_FIELDS, records, violations)
            if violations:
                raise InvalidArgument("invalid role", violations)
            graph = {k: r.node for k, r in records.items()}
            no_escalation(
                caller, effective_permissions(graph, fields.permissions or (), fields.parents or ())
            )
            if any(r.node.name == fields.name for r in records.values()):
                raise AlreadyExists(f"a role named {fields.name!r} exists", reason="ROLE_EXISTS")
            assert fields.name is not None
            role_id = await store.insert_role(
                session,
                tenant_id=tenant_id,
                name=fields.name,
                description=fields.description or "",
                permissions=fields.permissions or (),
            )
            await store.set_parents(session, role_id, fields.parents or ())
            await self._audit_role(
                session, caller, context, "role.create", tenant_id, role_id, name=fields.name
            )
            records = await store.role_records(session, tenant_id)
        return rbac_pb2.CreateRoleResponse(role=_message(records, role_id))

    async def GetRole(
        self, request: rbac_pb2.GetRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.GetRoleResponse:
        caller = await resolve_caller(self.deps)
        caller.need("roles:read")
        async with self.deps.sessions() as session:
            records, record = await self._find(session, caller, request.role_id)
        return rbac_pb2.GetRoleResponse(role=_message(records, record.node.id))

    async def ListRoles(
        self, request: rbac_pb2.ListRolesRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.ListRolesResponse:
        caller = await resolve_caller(self.deps)
        size = page_size(request.page_size)
        caller.need("roles:read")
        async with self.deps.sessions() as session:
            records = await store.role_records(session, caller.tenant_id)
        ordered = sorted(
            (r for r in records.values() if not (request.custom_only and r.node.built_in)),
            key=lambda r: (not r.node.built_in, r.created_at, r.node.id),
        )
        page, token = page_of(ordered, request.page_token, size)
        graph = {k: r.node for k, r in records.items()}
        return rbac_pb2.ListRolesResponse(roles=[role_message(r, graph) for r in page], next_page_token=token)

    async def UpdateRole(
        self, request: rbac_pb2.UpdateRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.UpdateRoleResponse:
        async with denials_audited(self.deps, context, "role.update", ("role", request.role_id)):
            return await self._update_role(request, context)

    async def _update_role(
        self, request: rbac_pb2.UpdateRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.UpdateRoleResponse:
        caller = await resolve_caller(self.deps)
        paths = [p.removeprefix("role.") for p in request.update_mask.paths]
        _check_mask(paths)
        async with self.deps.sessions.begin() as session:
            _, found = await self._find(session, caller, request.role_id)
            role = found.node
            caller.need("roles:update", role.tenant_id)
            if role.built_in or role.tenant_id is None:
                raise FailedPrecondition("built-in roles cannot be changed", reason="ROLE_BUILT_IN")
            await store.lock_roles(session, role.tenant_id)
            records = await store.role_records(session, role.tenant_id)
            violations: list[FieldViolation] = []
            fields = read_fields(request.role, paths, records, violations)
            graph = {k: r.node for k, r in records.items()}
            if fields.parents is not None and find_cycle(graph, role.id, fields.parents):
                violations.append(
                    FieldViolation("role.parent_role_ids", "would make the role inherit from itself")
                )
            if violations:
                raise InvalidArgument("invalid role update", violations)
            permissions = fields.permissions if fields.permissions is not None else role.permissions
            parents = fields.parents if fields.parents is not None else role.parents
            # Neither what the role grants now nor what it would grant may exceed the caller:
            # a role above the caller's own standing is out of its reach, as its holders are.
            no_escalation(caller, effective_permissions(graph, role.permissions, role.parents))
            no_escalation(caller, effective_permissions(graph, permissions, parents))
            if fields.name is not None and any(
                r.node.name == fields.name and r.node.id != role.id for r in records.values()
            ):
                raise AlreadyExists(f"a role named {fields.name!r} exists", reason="ROLE_EXISTS")
            await _write(session, role.id, fields)
            await self._audit_role(
                session, caller, context, "role.update", role.tenant_id, role.id, fields=",".join(paths)
            )
            if fields.permissions is not None or fields.parents is not None:
                await self._end_holder_sessions(session, graph, role.id)
            records = await store.role_records(session, role.tenant_id)
        await runtime(self.deps).roles_changed()
        return rbac_pb2.UpdateRoleResponse(role=_message(records, role.id))

    async def DeleteRole(
        self, request: rbac_pb2.DeleteRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.DeleteRoleResponse:
        async with denials_audited(self.deps, context, "role.delete", ("role", request.role_id)):
            return await self._delete_role(request, context)

    async def _delete_role(
        self, request: rbac_pb2.DeleteRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.DeleteRoleResponse:
        caller = await resolve_caller(self.deps)
        async with self.deps.sessions.begin() as session:
            _, found = await self._find(session, caller, request.role_id)
            role = found.node
            caller.need("roles:delete", role.tenant_id)
            if role.built_in or role.tenant_id is None:
                raise FailedPrecondition("built-in roles cannot be deleted", reason="ROLE_BUILT_IN")
            await store.lock_roles(session, role.tenant_id)
            graph = await store.load_graph(session, role.tenant_id)
            no_escalation(caller, effective_permissions(graph, role.permissions, role.parents))
            await self._end_holder_sessions(session, graph, role.id)
            holders = await store.delete_role(session, role.id)
            await self._audit_role(
                session,
                caller,
                context,
                "role.delete",
                role.tenant_id,
                role.id,
                name=role.name,
                holders=str(len(holders)),
            )
        await runtime(self.deps).roles_changed()
        return rbac_pb2.DeleteRoleResponse()

    async def _end_holder_sessions(
        self, session: AsyncSession, graph: Mapping[uuid.UUID, RoleNode], role_id: uuid.UUID
    ) -> None:
        """Whoever holds the role, directly or by inheritance, logs in again to carry the change:
        tokens carry roles, so none issued before the change may outlive it."""
        for user_id in await store.holders_of_any(session, dependents(graph, role_id)):
            await self.deps.tokens.revoke_user_sessions(user_id, db=session, reason="role_changed")

    async def _find(
        self, session: AsyncSession, caller: Caller, key: str
    ) -> tuple[dict[uuid.UUID, store.RoleRecord], store.RoleRecord]:
        """The role with public id ``key`` as the caller may see it (NOT_FOUND otherwise)."""
        if not key:
            raise InvalidArgument("role_id is required", [FieldViolation("role_id", "required")])
        scope = None if caller.grants.is_super_admin else caller.tenant_id
        records = await store.role_records(session, scope)
        record = find_role(records, key)
        if record is None:
            raise NotFound("no such role", reason="ROLE_NOT_FOUND", metadata={"role_id": key[:64]})
        return records, record

    async def _audit_role(
        self,
        session: AsyncSession,
        caller: Caller,
        context: grpc.aio.ServicerContext,
        action: str,
        tenant_id: uuid.UUID,
        role_id: uuid.UUID,
        **details: str,
    ) -> None:
        origin = origin_of(context)
        await audit.record(
            session,
            tenant_id=tenant_id,
            actor_id=caller.actor_id,
            actor_kind=caller.actor_kind,
            action=action,
            resource=("role", str(role_id)),
            outcome="success",
            ip=origin.ip,
            user_agent=origin.user_agent,
            metadata=details,
        )


def _message(records: dict[uuid.UUID, store.RoleRecord], role_id: uuid.UUID) -> rbac_pb2.Role:
    return role_message(records[role_id], {k: r.node for k, r in records.items()})


def _check_mask(paths: list[str]) -> None:
    violations = [
        FieldViolation("update_mask", f"{p!r} cannot be changed; writable: {', '.join(ROLE_FIELDS)}")
        for p in paths
        if p not in ROLE_FIELDS
    ]
    if not paths:
        violations.append(FieldViolation("update_mask", "name at least one field to change"))
    if violations:
        raise InvalidArgument("invalid update_mask", violations)


async def _write(session: AsyncSession, role_id: uuid.UUID, fields: RoleFields) -> None:
    values: dict[str, Any] = {}
    if fields.name is not None:
        values["name"] = fields.name
    if fields.description is not None:
        values["description"] = fields.description
    if fields.permissions is not None:
        values["permissions"] = list(fields.permissions)
    try:
        await store.update_role(session, role_id, **values)
    except IntegrityError as exc:
        raise AlreadyExists("a role with that name exists", reason="ROLE_EXISTS") from exc
    if fields.parents is not None:
        await store.set_parents(session, role_id, fields.parents)
