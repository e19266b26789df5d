"""SQL of per-user state: preferences, and the recipient directory projected from identity's events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store.tables import preferences as p
from notification.store.tables import recipients as r

__all__ = ["get_preferences", "get_recipient", "get_recipients", "put_preferences", "upsert_recipient"]


async def get_preferences(db: AsyncSession, tenant_id: str, user_id: str) -> Row[Any] | None:
    query = select(p).where(p.c.tenant_id == tenant_id, p.c.user_id == user_id)
    return (await db.execute(query)).first()


async def get_preferences_many(db: AsyncSession, tenant_id: str, user_ids: list[str]) -> dict[str, Row[Any]]:
    query = select(p).where(p.c.tenant_id == tenant_id, p.c.user_id.in_(user_ids))
    return {row.user_id: row for row in await db.execute(query)}


async def put_preferences(db: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    query = pg_insert(p).values(values)
    changed = {k: v for k, v in values.items() if k not in ("tenant_id", "user_id")}
    query = query.on_conflict_do_update(index_elements=[p.c.tenant_id, p.c.user_id], set_=changed)
    return (await db.execute(query.returning(p))).one()


async def get_recipient(db: AsyncSession, tenant_id: str, user_id: str) -> Row[Any] | None:
    query = select(r).where(r.c.tenant_id == tenant_id, r.c.user_id == user_id)
    return (await db.execute(query)).first()


async def get_recipients(db: AsyncSession, tenant_id: str, user_ids: list[str]) -> dict[str, Row[Any]]:
    query = select(r).where(r.c.tenant_id == tenant_id, r.c.user_id.in_(user_ids))
    return {row.user_id: row for row in await db.execute(query)}


async def upsert_recipient(
    db: AsyncSession, tenant_id: str, user_id: str, now: datetime, **fields: str
) -> None:
    """Record what an event says about a user; empty values keep what is known."""
    known = {k: v for k, v in fields.items() if v}
    query = pg_insert(r).values(tenant_id=tenant_id, user_id=user_id, updated_at=now, **known)
    query = query.on_conflict_do_update(
        index_elements=[r.c.tenant_id, r.c.user_id], set_={**known, "updated_at": now}
    )
    await db.execute(query)
