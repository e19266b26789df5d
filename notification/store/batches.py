"""SQL of batches: one row per SendBatch, unique per (tenant, idempotency key)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store.tables import batches as b

__all__ = ["get", "insert_once"]


async def insert_once(db: AsyncSession, values: dict[str, Any]) -> tuple[Row[Any], bool]:
    """(row, created): an existing batch with the same key is returned instead."""
    created = (await db.execute(pg_insert(b).values(values).on_conflict_do_nothing().returning(b))).first()
    if created is not None:
        return created, True
    query = select(b).where(
        b.c.tenant_id == values["tenant_id"], b.c.idempotency_key == values["idempotency_key"]
    )
    return (await db.execute(query)).one(), False


async def get(db: AsyncSession, tenant_id: str, batch_id: uuid.UUID) -> Row[Any] | None:
    return (await db.execute(select(b).where(b.c.tenant_id == tenant_id, b.c.id == batch_id))).first()
