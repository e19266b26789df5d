"""Who holds which role: AssignRole, RevokeRole, ListUserRoles, and the Check decision.

Binding a role needs ``roles:assign`` in the user's tenant and may not hand out more
than the caller holds (so only a super_admin makes another). The last active
super_admin cannot lose the role. Users of other tenants do not exist for the caller
(NOT_FOUND), except for super_admin.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import grpc
from chatmesh.identity.v1 import rbac_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.api.access_support import (
    Caller,
    denials_audited,
    guard_target,
    optional_id,
    origin_of,
    page_of,
    page_size,
    parse_id,
    resolve_caller,
    runtime,
    standing_changed,
)
from identity.api.role_messages import effective_permissions, find_role, no_escalation, role_message
from identity.domain.rbac import RoleNode, permission_error
from identity.domain.roles import SUPER_ADMIN
from identity.store import audit
from identity.store import rbac as store
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["RoleBindingsApi"]

# One lock for every change to who is super_admin, so "not the last one" holds under concurrency.
_SUPER_ADMIN_LOCK = uuid.UUID(int=0)


class RoleBindingsApi:
    deps: IdentityDeps

    async def AssignRole(
        self, request: rbac_pb2.AssignRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.AssignRoleResponse:
        async with denials_audited(self.deps, context, "role.assign", ("user", request.user_id)):
            return rbac_pb2.AssignRoleResponse(role_ids=await self._bind(request, context, assign=True))

    async def RevokeRole(
        self, request: rbac_pb2.RevokeRoleRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.RevokeRoleResponse:
        async with denials_audited(self.deps, context, "role.revoke", ("user", request.user_id)):
            return rbac_pb2.RevokeRoleResponse(role_ids=await self._bind(request, context, assign=False))

    async def _bind(
        self,
        request: rbac_pb2.AssignRoleRequest | rbac_pb2.RevokeRoleRequest,
        context: grpc.aio.ServicerContext,
        *,
        assign: bool,
    ) -> list[str]:
        caller = await resolve_caller(self.deps)
        violations = [
            FieldViolation(f, "required") for f in ("user_id", "role_id") if not getattr(request, f)
        ]
        if violations:
            raise InvalidArgument("user_id and role_id are required", violations)
        user_id = _user_id(caller, request.user_id)
        async with self.deps.sessions.begin() as session:
            tenant_id = await self._user_tenant(session, caller, user_id)
            caller.need("roles:assign", tenant_id)
            await guard_target(self.deps, caller, user_id, session)
            records = await store.role_records(session, tenant_id)
            record = find_role(records, request.role_id)
            if record is None:
                raise NotFound(
                    "no such role", reason="ROLE_NOT_FOUND", metadata={"role_id": request.role_id[:64]}
                )
            role = record.node
            graph = {k: r.node for k, r in records.items()}
            no_escalation(caller, effective_permissions(graph, role.permissions, role.parents))
            if role.built_in and role.name == SUPER_ADMIN:
                await store.lock_roles(session, _SUPER_ADMIN_LOCK)
            if assign:
                changed = await store.assign_role(session, user_id, role.id)
            else:
                await self._keep_one_super_admin(session, role, user_id)
                changed = await store.unassign_role(session, user_id, role.id)
            if changed:
                # Tokens carry roles: the user logs in again, so the old claim dies now.
                await self.deps.tokens.revoke_user_sessions(user_id, db=session, reason="role_changed")
                origin = origin_of(context)
                await audit.record(
                    session,
                    tenant_id=tenant_id,
                    actor_id=caller.actor_id,
                    actor_kind=caller.actor_kind,
                    action="role.assign" if assign else "role.revoke",
                    resource=("user", str(user_id)),
                    outcome="success",
                    ip=origin.ip,
                    user_agent=origin.user_agent,
                    metadata={"role_id": role.key, "role_name": role.name},
                )
            standing = await store.user_standing(session, user_id)
        if changed:
            await standing_changed(self.deps, user_id=user_id)
        assert standing is not None
        return [graph[r].key for r in standing.role_ids if r in graph]

    async def _keep_one_super_admin(self, session: AsyncSession, role: RoleNode, user_id: uuid.UUID) -> None:
        if not (role.built_in and role.name == SUPER_ADMIN):
            return
        holders = await store.holders_of(session, role.id)
        if user_id in holders and await store.active_holder_count(session, role.id) <= 1:
            raise FailedPrecondition("the last super_admin cannot lose the role", reason="LAST_SUPER_ADMIN")

    async def ListUserRoles(
        self, request: rbac_pb2.ListUserRolesRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.ListUserRolesResponse:
        caller = await resolve_caller(self.deps)
        size = page_size(request.page_size)
        user_id = _user_id(caller, request.user_id or "me")
        async with self.deps.sessions() as session:
            tenant_id = await self._user_tenant(session, caller, user_id)
            if user_id != caller.user_id:
                caller.need("roles:read", tenant_id)
            standing = await store.user_standing(session, user_id)
            records = await store.role_records(session, tenant_id)
        assert standing is not None
        graph = {k: r.node for k, r in records.items()}
        held = [records[r] for r in standing.role_ids if r in records]
        page, token = page_of(held, request.page_token, size)
        return rbac_pb2.ListUserRolesResponse(
            roles=[role_message(r, graph) for r in page], next_page_token=token
        )

    async def Check(
        self, request: rbac_pb2.CheckRequest, context: grpc.aio.ServicerContext
    ) -> rbac_pb2.CheckResponse:
        caller = await resolve_caller(self.deps)
        violations: list[FieldViolation] = []
        problem = permission_error(request.permission) if request.permission else "required"
        if problem:
            violations.append(FieldViolation("permission", problem))
        if violations:
            raise InvalidArgument("invalid permission check", violations)
        tenant_id = optional_id(request.tenant_id, "tenant_id")
        user_id = _user_id(caller, request.user_id or "me")
        grants = caller.grants
        if user_id != caller.user_id:
            async with self.deps.sessions() as session:
                subject_tenant = await self._user_tenant(session, caller, user_id)
            caller.need("roles:read", subject_tenant)
            found = await runtime(self.deps).roles.grants(user_id)
            if found is None:
                raise NotFound("no such user", reason="USER_NOT_FOUND")
            grants = found
        role = grants.granting_role(request.permission, tenant_id)
        return rbac_pb2.CheckResponse(allowed=role is not None, granted_by_role_id=role.key if role else "")

    async def _user_tenant(self, session: AsyncSession, caller: Caller, user_id: uuid.UUID) -> uuid.UUID:
        if user_id == caller.user_id:
            return caller.tenant_id
        standing = await store.user_standing(session, user_id)
        if standing is None or not caller.sees_tenant(standing.tenant_id):
            raise NotFound("no such user", reason="USER_NOT_FOUND", metadata={"user_id": str(user_id)})
        return standing.tenant_id


def _user_id(caller: Caller, value: str) -> uuid.UUID:
    if value == "me":
        return caller.user_id
    return parse_id(value, "user_id")
