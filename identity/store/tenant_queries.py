"""Tenants: lookups by id or slug, keyset-paged lists, profile, status and quota changes.

Quota columns hold NULL for "unlimited" (the contract's 0).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity.store.paging import Cursor, after_cursor
from identity.store.tables import tenants
from mesh.errors import AlreadyExists

__all__ = [
    "QUOTA_COLUMNS",
    "TenantRow",
    "get_tenant",
    "insert_tenant",
    "list_tenants",
    "lock_tenant",
    "tenant_by_slug",
    "update_tenant",
]

QUOTA_COLUMNS = ("tokens_per_month", "requests_per_minute", "storage_bytes", "max_users")


@dataclass(frozen=True)
class TenantRow:
    id: uuid.UUID
    slug: str
    name: str
    status: str
    tokens_per_month: int | None
    requests_per_minute: int | None
    storage_bytes: int | None
    max_users: int | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    signup_mode: str = "invite_only"
    signup_domains: tuple[str, ...] = ()
    signup_role: str | None = None


def _select() -> Select[tuple[object, ...]]:
    return select(
        tenants.c.id,
        tenants.c.slug,
        tenants.c.name,
        tenants.c.status,
        tenants.c.tokens_per_month,
        tenants.c.requests_per_minute,
        tenants.c.storage_bytes,
        tenants.c.max_users,
        tenants.c.created_at,
        tenants.c.updated_at,
        tenants.c.deleted_at,
        tenants.c.signup_mode,
        tenants.c.signup_domains,
        tenants.c.signup_role,
    )


def _row(mapping: RowMapping) -> TenantRow:
    values = dict(mapping)
    values["signup_domains"] = tuple(values.get("signup_domains") or ())
    return TenantRow(**values)


async def get_tenant(db: AsyncSession, tenant_id: uuid.UUID, *, for_update: bool = False) -> TenantRow | None:
    stmt = _select().where(tenants.c.id == tenant_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await db.execute(stmt)).one_or_none()
    return None if row is None else _row(row._mapping)


async def lock_tenant(db: AsyncSession, tenant_id: uuid.UUID) -> TenantRow | None:
    """The tenant row locked until commit: user-limit checks serialise on it.

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: rows referencing the tenant (users, sessions)
    take a key-share lock on it when inserted, and must not queue behind a seat count.
    """
    stmt = _select().where(tenants.c.id == tenant_id).with_for_update(key_share=True)
    row = (await db.execute(stmt)).one_or_none()
    return None if row is None else _row(row._mapping)


async def tenant_by_slug(db: AsyncSession, slug: str) -> TenantRow | None:
    row = (await db.execute(_select().where(tenants.c.slug == slug))).one_or_none()
    return None if row is None else _row(row._mapping)


async def insert_tenant(
    db: AsyncSession, *, slug: str, name: str, quota: Mapping[str, int | None]
) -> uuid.UUID:
    stmt = tenants.insert().values(slug=slug, name=name, **quota).returning(tenants.c.id)
    try:
        async with db.begin_nested():
            return (await db.execute(stmt)).scalar_one()
    except IntegrityError as exc:
        if "uq_tenants_slug" in str(exc.orig):
            raise AlreadyExists(
                f"a tenant with slug {slug!r} already exists", reason="SLUG_TAKEN", metadata={"field": "slug"}
            ) from None
        raise


async def list_tenants(
    db: AsyncSession, *, show_deleted: bool, limit: int, after: Cursor | None
) -> list[TenantRow]:
    stmt = _select()
    if not show_deleted:
        stmt = stmt.where(tenants.c.status != "deleted")
    if after is not None:
        stmt = stmt.where(after_cursor(tenants.c.created_at, tenants.c.id, after))
    stmt = stmt.order_by(tenants.c.created_at.desc(), tenants.c.id.desc()).limit(limit)
    return [_row(row._mapping) for row in await db.execute(stmt)]


async def update_tenant(db: AsyncSession, tenant_id: uuid.UUID, values: Mapping[str, object]) -> None:
    """Write the given columns; status 'deleted' stamps deleted_at, any other clears it."""
    if not values:
        return
    changes = dict(values)
    if "status" in changes:
        changes["deleted_at"] = func.now() if changes["status"] == "deleted" else None
    await db.execute(
        update(tenants).where(tenants.c.id == tenant_id).values(**changes, updated_at=func.now())
    )
