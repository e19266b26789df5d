"""SQL of stored templates: a tenant's own, and platform templates (tenant_id '') every tenant sees."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store.tables import templates as t

__all__ = ["by_name", "create", "get", "list_page", "remove", "update_row"]

PLATFORM = ""


async def get(db: AsyncSession, tenant_id: str, template_id: uuid.UUID, *, own_only: bool) -> Row[Any] | None:
    scope = [tenant_id] if own_only else [tenant_id, PLATFORM]
    query = select(t).where(t.c.id == template_id, t.c.tenant_id.in_(scope))
    return (await db.execute(query)).first()


async def by_name(db: AsyncSession, tenant_id: str, name: str) -> Row[Any] | None:
    """The tenant's template of that name, else the platform's."""
    query = (
        select(t)
        .where(t.c.name == name, or_(t.c.tenant_id == tenant_id, t.c.tenant_id == PLATFORM))
        .order_by((t.c.tenant_id == PLATFORM).asc())
        .limit(1)
    )
    return (await db.execute(query)).first()


async def list_page(
    db: AsyncSession, tenant_id: str, *, channel: str, category: str, offset: int, limit: int
) -> list[Row[Any]]:
    query = select(t).where(t.c.tenant_id == tenant_id)
    if channel:
        query = query.where(t.c.channel == channel)
    if category:
        query = query.where(t.c.category == category)
    query = query.order_by(t.c.name, t.c.id).offset(offset).limit(limit)
    return list((await db.execute(query)).all())


async def create(db: AsyncSession, values: dict[str, Any]) -> Row[Any] | None:
    """The new row, or None when the tenant already has a template of that name."""
    query = pg_insert(t).values(values).on_conflict_do_nothing().returning(t)
    return (await db.execute(query)).first()


async def update_row(
    db: AsyncSession, tenant_id: str, template_id: uuid.UUID, values: dict[str, Any], now: datetime
) -> Row[Any] | None:
    query = (
        update(t)
        .where(t.c.id == template_id, t.c.tenant_id == tenant_id)
        .values(**values, version=t.c.version + 1, updated_at=now)
        .returning(t)
    )
    return (await db.execute(query)).first()


async def name_taken(db: AsyncSession, tenant_id: str, name: str, other_than: uuid.UUID) -> bool:
    query = select(func.count()).where(t.c.tenant_id == tenant_id, t.c.name == name, t.c.id != other_than)
    return bool((await db.execute(query)).scalar_one())


async def remove(db: AsyncSession, tenant_id: str, template_id: uuid.UUID) -> bool:
    query = delete(t).where(t.c.id == template_id, t.c.tenant_id == tenant_id).returning(t.c.id)
    return (await db.execute(query)).first() is not None
