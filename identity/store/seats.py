"""Seat holds: a place under a tenant's user limit, taken in a short transaction of its own.

A registration holds its seat before the slow part (its own transaction with the user
row, audit, events and session) and gives the hold back in that transaction; counting
users plus live holds under the tenant row's lock keeps the limit exact without keeping
the tenant locked for the whole registration.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Column, DateTime, ForeignKey, Index, Table, delete, func, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from identity.store.tables import metadata, tenants, users

__all__ = ["HOLD_TTL", "count_taken", "delete_hold", "insert_hold", "seat_holds"]

# Longer than any registration transaction; a hold its request abandoned frees itself then.
HOLD_TTL = timedelta(minutes=5)

seat_holds = Table(
    "seat_holds",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(tenants.c.id, ondelete="CASCADE"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index(None, "tenant_id", "expires_at"),
)


async def count_taken(db: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Active users plus live holds, in ONE statement: one snapshot, so a registration that
    commits meanwhile (its hold gone, its user there) is counted exactly once."""
    holds = (
        select(func.count())
        .select_from(seat_holds)
        .where(seat_holds.c.tenant_id == tenant_id, seat_holds.c.expires_at > func.now())
        .scalar_subquery()
    )
    active = (
        select(func.count())
        .select_from(users)
        .where(users.c.tenant_id == tenant_id, users.c.status == "active")
        .scalar_subquery()
    )
    return int((await db.execute(select(holds + active))).scalar_one())


async def insert_hold(db: AsyncSession, tenant_id: uuid.UUID) -> uuid.UUID:
    t = seat_holds
    stmt = t.insert().values(tenant_id=tenant_id, expires_at=func.now() + HOLD_TTL).returning(t.c.id)
    return (await db.execute(stmt)).scalar_one()


async def delete_hold(db: AsyncSession, hold_id: uuid.UUID) -> bool:
    """Give a hold back; True when it was still live (its seat is the caller's to fill)."""
    t = seat_holds
    stmt = delete(t).where(t.c.id == hold_id).returning(t.c.expires_at > func.now())
    row = (await db.execute(stmt)).first()
    return bool(row[0]) if row is not None else False
