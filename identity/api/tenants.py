"""Tenant RPCs: create/get/list/update/delete and quotas (TenantQuotaChanged on every quota change).

Creating, changing and deleting tenants and quotas is super_admin's (the only role
holding ``tenants:*``/``quotas:update``); tenant admins read their own tenant. Other
tenants are NOT_FOUND for everyone else.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.events.v1 import identity_events_pb2
from chatmesh.identity.v1 import tenants_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.api.access_support import (
    Caller,
    origin_of,
    page_size,
    parse_cursor,
    resolve_caller,
    standing_changed,
    to_timestamp,
)
from identity.api.account_messages import TENANT_STATUS_NAMES, quota_message, tenant_message
from identity.api.account_support import invalid, mask_paths
from identity.api.tenant_signup import SIGNUP_PATHS, check_signup_role, signup_values
from identity.domain.origin import Origin
from identity.domain.users import DEFAULT_TENANT_SLUG, slug_problem, tenant_name_problem
from identity.store import audit, outbox
from identity.store import sessions as session_store
from identity.store import tenant_queries as tenant_store
from identity.store import user_queries as user_store
from identity.store.paging import encode_cursor
from identity.store.tenant_queries import QUOTA_COLUMNS, TenantRow
from mesh.errors import FailedPrecondition, FieldViolation, NotFound
from mesh.events import outbox as events_outbox

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["TenantsApi"]

_TENANT_PATHS = {"display_name", "status", "quota", *(f"quota.{c}" for c in QUOTA_COLUMNS), *SIGNUP_PATHS}


def _quota_values(quota: tenants_pb2.TenantQuota, columns: list[str], prefix: str) -> dict[str, int | None]:
    """0 means unlimited (NULL); negatives are refused."""
    bad = [FieldViolation(f"{prefix}{c}", "must not be negative") for c in columns if getattr(quota, c) < 0]
    if bad:
        raise invalid(bad)
    return {c: getattr(quota, c) or None for c in columns}


def _quota_event(tenant: TenantRow) -> identity_events_pb2.TenantQuotaChanged:
    return identity_events_pb2.TenantQuotaChanged(
        tokens_per_month=tenant.tokens_per_month or 0,
        requests_per_minute=tenant.requests_per_minute or 0,
        storage_bytes=tenant.storage_bytes or 0,
        max_users=tenant.max_users or 0,
    )


def _tenant_id(value: str, caller: Caller) -> uuid.UUID:
    if not value:
        return caller.tenant_id
    try:
        return uuid.UUID(value)
    except ValueError:
        raise invalid([FieldViolation("tenant_id", "is not a tenant id")]) from None


async def _visible_tenant(
    db: AsyncSession, caller: Caller, raw_id: str, permission: str, *, for_update: bool = False
) -> TenantRow:
    tenant_id = _tenant_id(raw_id, caller)
    tenant = await tenant_store.get_tenant(db, tenant_id, for_update=for_update)
    if tenant is None or not caller.sees_tenant(tenant.id):
        raise NotFound("tenant not found", reason="TENANT_NOT_FOUND")
    caller.need(permission, tenant.id)
    return tenant


class TenantsApi:
    deps: IdentityDeps

    async def _audit_tenant(
        self,
        db: AsyncSession,
        caller: Caller,
        where: Origin,
        action: str,
        tenant_id: uuid.UUID,
        **meta: object,
    ) -> None:
        await audit.record(
            db,
            tenant_id=tenant_id,
            actor_id=caller.actor_id,
            actor_kind=caller.actor_kind,  # type: ignore[arg-type]
            action=action,
            resource=("tenant", str(tenant_id)),
            outcome="success",
            ip=where.ip,
            user_agent=where.user_agent,
            metadata=meta,
        )

    async def _end_tenant_sessions(self, db: AsyncSession, tenant_id: uuid.UUID, reason: str) -> None:
        """A tenant that stops being active takes every login of its members with it."""
        live = await session_store.live_sessions_of_tenant(db, tenant_id)
        await self.deps.tokens.revoke_sessions(db, [s.id for s in live], reason=reason)

    async def CreateTenant(
        self, request: tenants_pb2.CreateTenantRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        caller.need("tenants:create")
        given = request.tenant
        slug = given.slug.strip().lower()
        problems = [
            ("tenant.slug", slug_problem(slug)),
            ("tenant.display_name", tenant_name_problem(given.display_name)),
        ]
        violations = [FieldViolation(f, p) for f, p in problems if p]
        if violations:
            raise invalid(violations)
        quota = _quota_values(given.quota, list(QUOTA_COLUMNS), "tenant.quota.")
        signup = (
            signup_values(given.signup, ["signup"], None, "tenant.signup.")
            if given.HasField("signup")
            else {}
        )
        async with self.deps.sessions.begin() as db:
            tenant_id = await tenant_store.insert_tenant(
                db, slug=slug, name=given.display_name.strip(), quota=quota
            )
            if signup:
                created = await tenant_store.get_tenant(db, tenant_id)
                assert created is not None
                await check_signup_role(db, caller, created, signup.get("signup_role"))  # type: ignore[arg-type]
                await tenant_store.update_tenant(db, tenant_id, signup)
            await self._audit_tenant(db, caller, origin_of(context), "tenant.create", tenant_id, slug=slug)
            tenant = await tenant_store.get_tenant(db, tenant_id)
            assert tenant is not None
            await events_outbox.add(
                db,
                outbox,
                source="identity",
                event=_quota_event(tenant),
                tenant_id=str(tenant.id),
                subject=str(tenant.id),
            )
        return tenants_pb2.CreateTenantResponse(tenant=tenant_message(tenant))

    async def GetTenant(
        self, request: tenants_pb2.GetTenantRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        async with self.deps.sessions() as db:
            tenant = await _visible_tenant(db, caller, request.tenant_id, "tenants:read")
        return tenants_pb2.GetTenantResponse(tenant=tenant_message(tenant))

    async def ListTenants(
        self, request: tenants_pb2.ListTenantsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        limit = page_size(request.page_size)
        after = parse_cursor(request.page_token)
        async with self.deps.sessions() as db:
            if not caller.grants.is_super_admin:
                own = await _visible_tenant(db, caller, "", "tenants:read")
                visible = request.show_deleted or own.status != "deleted"
                return tenants_pb2.ListTenantsResponse(
                    tenants=[tenant_message(own)] if visible and not after else []
                )
            rows = await tenant_store.list_tenants(
                db, show_deleted=request.show_deleted, limit=limit + 1, after=after
            )
        page, more = rows[:limit], len(rows) > limit
        return tenants_pb2.ListTenantsResponse(
            tenants=[tenant_message(t) for t in page],
            next_page_token=encode_cursor((page[-1].created_at, page[-1].id)) if more and page else "",
        )

    async def UpdateTenant(
        self, request: tenants_pb2.UpdateTenantRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        given = request.tenant
        populated = [
            f.name for f, _ in given.ListFields() if f.name in ("display_name", "status", "quota", "signup")
        ]
        paths = mask_paths(request.update_mask, _TENANT_PATHS, populated=populated)
        values: dict[str, object] = {}
        violations: list[FieldViolation] = []
        if "display_name" in paths:
            problem = tenant_name_problem(given.display_name)
            if problem:
                violations.append(FieldViolation("tenant.display_name", problem))
            values["name"] = given.display_name.strip()
        if "status" in paths:
            status = TENANT_STATUS_NAMES.get(given.status)
            if status is None or status == "deleted":
                violations.append(
                    FieldViolation("tenant.status", "must be ACTIVE or SUSPENDED (use DeleteTenant)")
                )
            values["status"] = status
        if violations:
            raise invalid(violations)
        columns = (
            list(QUOTA_COLUMNS) if "quota" in paths else [p[6:] for p in paths if p.startswith("quota.")]
        )
        values.update(_quota_values(given.quota, columns, "tenant.quota."))
        signup_paths = [p for p in paths if p in SIGNUP_PATHS]
        async with self.deps.sessions.begin() as db:
            # The signup policy is the tenant admin's (users:create); the rest is super_admin's.
            tenant = await _visible_tenant(
                db,
                caller,
                request.tenant_id,
                "tenants:update" if len(signup_paths) < len(paths) else "users:create",
                for_update=True,
            )
            if signup_paths:
                caller.need("users:create", tenant.id)
                signup = signup_values(given.signup, signup_paths, tenant, "tenant.signup.")
                if "signup_role" in signup:
                    await check_signup_role(db, caller, tenant, signup["signup_role"])  # type: ignore[arg-type]
                values.update(signup)
            if values.get("status") == "suspended" and tenant.slug == DEFAULT_TENANT_SLUG:
                raise FailedPrecondition("the default tenant cannot be suspended", reason="DEFAULT_TENANT")
            await tenant_store.update_tenant(db, tenant.id, values)
            standing = "status" in values and values["status"] != tenant.status
            if standing and values["status"] != "active":
                await self._end_tenant_sessions(db, tenant.id, f"tenant_{values['status']}")
            await self._audit_tenant(
                db, caller, origin_of(context), "tenant.update", tenant.id, fields=",".join(paths)
            )
            updated = await tenant_store.get_tenant(db, tenant.id)
            assert updated is not None
            if columns:
                await events_outbox.add(
                    db,
                    outbox,
                    source="identity",
                    event=_quota_event(updated),
                    tenant_id=str(tenant.id),
                    subject=str(tenant.id),
                )
        if standing:
            await standing_changed(self.deps, tenant_id=tenant.id)
        return tenants_pb2.UpdateTenantResponse(tenant=tenant_message(updated))

    async def DeleteTenant(
        self, request: tenants_pb2.DeleteTenantRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        if not request.tenant_id:
            raise invalid([FieldViolation("tenant_id", "is required")])
        async with self.deps.sessions.begin() as db:
            tenant = await _visible_tenant(db, caller, request.tenant_id, "tenants:delete", for_update=True)
            if tenant.slug == DEFAULT_TENANT_SLUG:
                raise FailedPrecondition("the default tenant cannot be deleted", reason="DEFAULT_TENANT")
            if tenant.id == caller.tenant_id:
                raise FailedPrecondition("you cannot delete your own tenant", reason="OWN_TENANT")
            if tenant.status != "deleted":
                await tenant_store.update_tenant(db, tenant.id, {"status": "deleted"})
                await self._end_tenant_sessions(db, tenant.id, "tenant_deleted")
                await self._audit_tenant(db, caller, origin_of(context), "tenant.delete", tenant.id)
        await standing_changed(self.deps, tenant_id=tenant.id)
        return tenants_pb2.DeleteTenantResponse()

    async def GetTenantQuota(
        self, request: tenants_pb2.GetTenantQuotaRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        async with self.deps.sessions() as db:
            tenant = await _visible_tenant(db, caller, request.tenant_id, "quotas:read")
            users = await user_store.count_active_users(db, tenant.id)
        now = datetime.now(UTC)
        usage = tenants_pb2.TenantQuotaUsage(
            users=users,
            period_start_time=to_timestamp(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)),
        )
        return tenants_pb2.GetTenantQuotaResponse(quota=quota_message(tenant), usage=usage)

    async def UpdateTenantQuota(
        self, request: tenants_pb2.UpdateTenantQuotaRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        columns = mask_paths(request.update_mask, QUOTA_COLUMNS, populated=QUOTA_COLUMNS)
        values = _quota_values(request.quota, columns, "quota.")
        async with self.deps.sessions.begin() as db:
            tenant = await _visible_tenant(db, caller, request.tenant_id, "quotas:update", for_update=True)
            await tenant_store.update_tenant(db, tenant.id, values)
            await self._audit_tenant(
                db, caller, origin_of(context), "tenant.quota_update", tenant.id, fields=",".join(columns)
            )
            updated = await tenant_store.get_tenant(db, tenant.id)
            assert updated is not None
            await events_outbox.add(
                db,
                outbox,
                source="identity",
                event=_quota_event(updated),
                tenant_id=str(tenant.id),
                subject=str(tenant.id),
            )
        return tenants_pb2.UpdateTenantQuotaResponse(quota=quota_message(updated))
