"""Admitting new users into a tenant: the signup policy's role and the exact user limit.

The user limit holds under concurrency: seats are counted (active users plus live seat
holds) with the tenant row locked, so 200 simultaneous signups against a limit of 50
make exactly 50 users. Registration holds its seat in a short transaction of its own
(``hold_seat``) and fills it in its main one (``take_seat`` with the hold), so the tenant
stays locked for milliseconds and no queue of registrations pins database connections.
Admin paths count and insert under the lock in one transaction. Tenants without a
limit never take the lock.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.domain.roles import USER
from identity.store import rbac as rbac_store
from identity.store import seats as seat_store
from identity.store import tenant_queries as tenant_store
from identity.store import user_queries as user_store
from identity.store.tenant_queries import TenantRow
from mesh.errors import QuotaViolation, ResourceExhausted

__all__ = ["check_seat", "hold_seat", "release_hold", "signup_role_id", "take_seat"]


def _full(tenant_id: uuid.UUID, limit: int) -> ResourceExhausted:
    return ResourceExhausted(
        "the tenant has reached its user limit",
        [QuotaViolation(f"tenant:{tenant_id}", f"at most {limit} active users")],
        reason="TENANT_USER_LIMIT",
    )


async def check_seat(db: AsyncSession, tenant: TenantRow) -> None:
    """A cheap early refusal (no lock) before costly work; ``hold_seat``/``take_seat`` decide."""
    if tenant.max_users is not None and await seat_store.count_taken(db, tenant.id) >= tenant.max_users:
        raise _full(tenant.id, tenant.max_users)


async def _lock_and_count(db: AsyncSession, tenant: TenantRow) -> None:
    locked = await tenant_store.lock_tenant(db, tenant.id)
    limit = locked.max_users if locked is not None else None
    if limit is not None and await seat_store.count_taken(db, tenant.id) >= limit:
        raise _full(tenant.id, limit)


async def hold_seat(sessions: async_sessionmaker[AsyncSession], tenant: TenantRow) -> uuid.UUID | None:
    """Hold a seat in a transaction of its own (None: the tenant has no limit)."""
    if tenant.max_users is None:
        return None
    async with sessions.begin() as db:
        await _lock_and_count(db, tenant)
        return await seat_store.insert_hold(db, tenant.id)


async def release_hold(sessions: async_sessionmaker[AsyncSession], hold: uuid.UUID | None) -> None:
    """Give back a hold whose registration did not happen."""
    if hold is not None:
        async with sessions.begin() as db:
            await seat_store.delete_hold(db, hold)


async def take_seat(db: AsyncSession, tenant: TenantRow, hold: uuid.UUID | None = None) -> None:
    """Fill a held seat (the hold goes in ``db``'s transaction), or, without a live hold, lock
    the tenant (until ``db`` commits) and refuse when users and holds fill the limit."""
    if hold is not None and await seat_store.delete_hold(db, hold):
        return
    if tenant.max_users is None:
        return
    await _lock_and_count(db, tenant)


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
