"""Admitting new users into a tenant: the signup policy's role and the exact user limit.

The user limit holds under concurrency: the check and the insert happen with the tenant
row locked (``take_seat``), so 200 simultaneous signups against a limit of 50 make
exactly 50 users. Tenants without a limit never take the lock.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from identity.domain.roles import USER
from identity.store import rbac as rbac_store
from identity.store import tenant_queries as tenant_store
from identity.store import user_queries as user_store
from identity.store.tenant_queries import TenantRow
from mesh.errors import QuotaViolation, ResourceExhausted

__all__ = ["check_seat", "signup_role_id", "take_seat"]


def _full(tenant_id: uuid.UUID, limit: int) -> ResourceExhausted:
    return ResourceExhausted(
        "the tenant has reached its user limit",
        [QuotaViolation(f"tenant:{tenant_id}", f"at most {limit} active users")],
        reason="TENANT_USER_LIMIT",
    )


async def check_seat(db: AsyncSession, tenant: TenantRow) -> None:
    """A cheap early refusal (no lock) before costly work; ``take_seat`` decides."""
    if (
        tenant.max_users is not None
        and await user_store.count_active_users(db, tenant.id) >= tenant.max_users
    ):
        raise _full(tenant.id, tenant.max_users)


async def take_seat(db: AsyncSession, tenant: TenantRow) -> None:
    """Lock the tenant (until ``db`` commits) and refuse when its active users fill the limit."""
    if tenant.max_users is None:
        return
    locked = await tenant_store.lock_tenant(db, tenant.id)
    limit = locked.max_users if locked is not None else None
    if limit is not None and await user_store.count_active_users(db, tenant.id) >= limit:
        raise _full(tenant.id, limit)


async def signup_role_id(db: AsyncSession, tenant: TenantRow) -> uuid.UUID | None:
    """The role a self-registered user of ``tenant`` gets: its policy's role, else built-in ``user``.

    A configured role that no longer exists falls back to ``user`` rather than to nothing.
    """
    if tenant.signup_role:
        records = await rbac_store.role_records(db, tenant.id)
        for record in records.values():
            if record.node.key == tenant.signup_role:
                return record.node.id
    return await user_store.built_in_role_id(db, USER)
