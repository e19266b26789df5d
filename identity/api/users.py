"""User RPCs: create/get/list/update, disable/enable, delete/restore.

A user may read and edit its own profile; acting on others needs ``users:*``
permissions in their tenant, and other tenants' users are NOT_FOUND (except for
super_admin). Disabling or deleting a user revokes its sessions at once.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.events.v1 import identity_events_pb2
from chatmesh.identity.v1 import users_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.admission import take_seat
from identity.accounts.email_verification import email_changed
from identity.accounts.login import NewAccount, create_account
from identity.api.access_support import (
    Caller,
    guard_target,
    origin_of,
    page_size,
    parse_cursor,
    resolve_caller,
    standing_changed,
)
from identity.api.account_messages import USER_STATUS_NAMES, user_message
from identity.api.account_support import invalid, mask_paths, target_user
from identity.api.role_messages import effective_permissions, find_role, no_escalation
from identity.domain.origin import Origin
from identity.domain.roles import USER
from identity.domain.users import (
    avatar_url_problem,
    display_name_problem,
    email_problem,
    locale_problem,
    normalize_email,
    username_problem,
)
from identity.store import audit
from identity.store import mfa as mfa_store
from identity.store import rbac as rbac_store
from identity.store import tenant_queries as tenant_store
from identity.store import user_queries as user_store
from identity.store.paging import encode_cursor
from identity.store.user_queries import UserFilter, UserRow
from mesh.errors import FailedPrecondition, FieldViolation, NotFound, PermissionDenied

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["UsersApi"]

_SELF_PATHS = {"username", "display_name", "avatar_url", "locale"}
_ADMIN_PATHS = _SELF_PATHS | {"email"}


def _profile_values(user: users_pb2.User, paths: list[str]) -> dict[str, object]:
    checks = {
        "username": lambda: username_problem(user.username.strip()),
        "display_name": lambda: display_name_problem(user.display_name),
        "avatar_url": lambda: avatar_url_problem(user.avatar_url.strip()),
        "locale": lambda: locale_problem(user.locale.strip()),
        "email": lambda: email_problem(normalize_email(user.email)),
    }
    violations = [FieldViolation(f"user.{p}", problem) for p in paths if (problem := checks[p]())]
    if violations:
        raise invalid(violations)
    values: dict[str, object] = {}
    for path in paths:
        if path == "email":
            values["email"] = normalize_email(user.email)
            values["email_verified"] = False
        elif path == "avatar_url":
            values["avatar_url"] = user.avatar_url.strip() or None
        elif path == "display_name":
            values["display_name"] = user.display_name.strip()
        else:
            values[path] = getattr(user, path).strip()
    return values


class UsersApi:
    deps: IdentityDeps

    async def _audit_user(
        self, db: AsyncSession, caller: Caller, where: Origin, action: str, user: UserRow, **meta: object
    ) -> None:
        await audit.record(
            db,
            tenant_id=user.tenant_id,
            actor_id=caller.actor_id,
            actor_kind=caller.actor_kind,  # type: ignore[arg-type]
            action=action,
            resource=("user", str(user.id)),
            outcome="success",
            ip=where.ip,
            user_agent=where.user_agent,
            metadata=meta,
        )

    async def _user_changed(self, user_id: uuid.UUID) -> None:
        """Tell API-key and permission caches that the user's standing changed."""
        if self.deps.access is not None:
            await standing_changed(self.deps, user_id=user_id)

    async def _creation_role_ids(
        self, db: AsyncSession, caller: Caller, tenant_id: uuid.UUID, keys: list[str]
    ) -> list[uuid.UUID]:
        """Roles to bind at creation: the default ``user`` role, or the listed ones (no escalation)."""
        records = await rbac_store.role_records(db, tenant_id)
        wanted = keys or [USER]
        graph = {k: r.node for k, r in records.items()}
        found = [r for r in (find_role(records, key) for key in wanted) if r is not None]
        unknown = [key for key in wanted if find_role(records, key) is None]
        if unknown:
            raise invalid(FieldViolation("user.role_ids", f"no such role {k!r}") for k in unknown)
        if keys:
            caller.need("roles:assign", tenant_id)
            for record in found:
                no_escalation(
                    caller, effective_permissions(graph, record.node.permissions, record.node.parents)
                )
        return [r.node.id for r in found]

    async def CreateUser(
        self, request: users_pb2.CreateUserRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        given = request.user
        try:
            tenant_id = uuid.UUID(request.tenant_id) if request.tenant_id else caller.tenant_id
        except ValueError:
            raise invalid([FieldViolation("tenant_id", "is not a tenant id")]) from None
        where = origin_of(context)
        async with self.deps.sessions.begin() as db:
            tenant = await tenant_store.get_tenant(db, tenant_id)
            if tenant is None or not caller.sees_tenant(tenant.id):
                raise NotFound("tenant not found", reason="TENANT_NOT_FOUND")
            caller.need("users:create", tenant.id)
            problem = locale_problem(given.locale.strip())
            if problem:
                raise invalid([FieldViolation("user.locale", problem)])
            role_ids = await self._creation_role_ids(db, caller, tenant.id, list(given.role_ids))
            account = NewAccount(
                email=given.email,
                password=request.password,
                username=given.username,
                display_name=given.display_name,
                locale=given.locale.strip(),
            )
            user = await create_account(
                self.deps,
                db,
                account,
                tenant=tenant,
                origin=where,
                actor_id=caller.actor_id,
                signup=identity_events_pb2.SIGNUP_METHOD_ADMIN,
                role_names=(),
            )
            for role_id in role_ids:
                await user_store.grant_role(db, user.id, role_id)
            user = await user_store.get_user(db, user.id) or user
        return users_pb2.CreateUserResponse(user=user_message(user))

    async def GetUser(self, request: users_pb2.GetUserRequest, context: grpc.aio.ServicerContext) -> Any:
        caller = await resolve_caller(self.deps)
        async with self.deps.sessions() as db:
            user = await target_user(db, caller, request.user_id, permission="users:read")
            mfa = await _mfa_enabled(db, user.id)
        return users_pb2.GetUserResponse(user=user_message(user, mfa_enabled=mfa))

    async def ListUsers(self, request: users_pb2.ListUsersRequest, context: grpc.aio.ServicerContext) -> Any:
        caller = await resolve_caller(self.deps)
        caller.need("users:read")
        limit = page_size(request.page_size)
        after = parse_cursor(request.page_token)
        if request.status and request.status not in USER_STATUS_NAMES:
            raise invalid([FieldViolation("status", "unknown user status")])
        if request.status:
            statuses: tuple[str, ...] = (USER_STATUS_NAMES[request.status],)
        else:
            statuses = ("active", "disabled", "deleted") if request.show_deleted else ("active", "disabled")
        role_id: uuid.UUID | None = None
        role_name: str | None = None
        if request.role_id:
            try:
                role_id = uuid.UUID(request.role_id)
            except ValueError:
                role_name = request.role_id
        if len(request.query) > 256:
            raise invalid([FieldViolation("query", "must be at most 256 characters")])
        if "\x00" in request.query or "\x00" in request.role_id:
            field = "query" if "\x00" in request.query else "role_id"
            raise invalid([FieldViolation(field, "must not contain NUL characters")])
        where = UserFilter(
            tenant_id=None if caller.grants.is_super_admin else caller.tenant_id,
            statuses=statuses,
            query=request.query.strip(),
            role_id=role_id,
            role_name=role_name,
        )
        async with self.deps.sessions() as db:
            rows = await user_store.list_users(db, where, limit=limit + 1, after=after)
        page, more = rows[:limit], len(rows) > limit
        return users_pb2.ListUsersResponse(
            users=[user_message(u) for u in page],
            next_page_token=encode_cursor((page[-1].created_at, page[-1].id)) if more and page else "",
        )

    async def UpdateUser(
        self, request: users_pb2.UpdateUserRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        """Profile edits; another user only if the caller holds all it holds.

        A changed email is unverified until the new address proves itself, and the old
        address is told (UserEmailChanged): the email is where password resets go.
        """
        caller = await resolve_caller(self.deps)
        given = request.user
        populated = [f.name for f, _ in given.ListFields() if f.name in _ADMIN_PATHS]
        async with self.deps.sessions.begin() as db:
            user = await target_user(
                db,
                caller,
                request.user_id,
                permission="users:update",
                self_permission="profile:update",
                for_update=True,
            )
            own = user.id == caller.user_id
            if not own:
                await guard_target(self.deps, caller, user.id, db)
            allowed = _ADMIN_PATHS if (not own or caller.can("users:update")) else _SELF_PATHS
            paths = mask_paths(request.update_mask, allowed, populated=populated)
            values = _profile_values(given, paths)
            email_changes = "email" in values and values["email"] != user.email
            if not email_changes:
                values.pop("email", None)
                values.pop("email_verified", None)
            elif caller.principal.kind != "user":
                raise PermissionDenied(
                    "an email address is changed by a logged-in user, not an API key",
                    reason="USER_LOGIN_REQUIRED",
                )
            await user_store.update_profile(db, user.id, values)
            where = origin_of(context)
            await self._audit_user(db, caller, where, "user.update", user, fields=",".join(paths))
            updated = await user_store.get_user(db, user.id)
            assert updated is not None
            if email_changes:
                await email_changed(self.deps, db, user, updated, actor_id=str(caller.user_id))
            mfa = await _mfa_enabled(db, user.id)
        return users_pb2.UpdateUserResponse(user=user_message(updated, mfa_enabled=mfa))

    async def _set_status(
        self,
        context: grpc.aio.ServicerContext,
        raw_id: str,
        *,
        permission: str,
        allowed_from: tuple[str, ...],
        to: str,
        action: str,
        **meta: object,
    ) -> UserRow:
        caller = await resolve_caller(self.deps)
        async with self.deps.sessions.begin() as db:
            user = await target_user(db, caller, raw_id, permission=permission, for_update=True)
            if user.id == caller.user_id:
                raise FailedPrecondition("you cannot change your own account status", reason="OWN_ACCOUNT")
            await guard_target(self.deps, caller, user.id, db)
            if user.status == to:
                return user
            if user.status not in allowed_from:
                raise FailedPrecondition(
                    f"a {user.status} user cannot become {to}",
                    reason="USER_STATUS",
                    metadata={"status": user.status},
                )
            if to == "active":
                tenant = await tenant_store.get_tenant(db, user.tenant_id)
                if tenant is not None:
                    await take_seat(db, tenant)
            await user_store.set_status(db, user.id, to)
            # Any change of standing ends the user's sessions, so no token outlives it.
            revoked = await self.deps.tokens.revoke_user_sessions(user.id, db=db, reason=f"user_{to}")
            await self._audit_user(
                db, caller, origin_of(context), action, user, revoked_sessions=revoked, **meta
            )
            updated = await user_store.get_user(db, user.id)
            assert updated is not None
        await self._user_changed(user.id)
        return updated

    async def DisableUser(
        self, request: users_pb2.DisableUserRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        if len(request.reason) > 512 or "\x00" in request.reason:
            raise invalid([FieldViolation("reason", "must be at most 512 characters, without NUL")])
        user = await self._set_status(
            context,
            request.user_id,
            permission="users:update",
            allowed_from=("active",),
            to="disabled",
            action="user.disable",
            reason=request.reason,
        )
        return users_pb2.DisableUserResponse(user=user_message(user))

    async def EnableUser(
        self, request: users_pb2.EnableUserRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        user = await self._set_status(
            context,
            request.user_id,
            permission="users:update",
            allowed_from=("disabled",),
            to="active",
            action="user.enable",
        )
        return users_pb2.EnableUserResponse(user=user_message(user))

    async def DeleteUser(
        self, request: users_pb2.DeleteUserRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await self._set_status(
            context,
            request.user_id,
            permission="users:delete",
            allowed_from=("active", "disabled"),
            to="deleted",
            action="user.delete",
        )
        return users_pb2.DeleteUserResponse()

    async def RestoreUser(
        self, request: users_pb2.RestoreUserRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        user = await self._set_status(
            context,
            request.user_id,
            permission="users:delete",
            allowed_from=("deleted",),
            to="active",
            action="user.restore",
        )
        return users_pb2.RestoreUserResponse(user=user_message(user))


async def _mfa_enabled(db: AsyncSession, user_id: uuid.UUID) -> bool:
    return await mfa_store.totp_enabled(db, user_id)
