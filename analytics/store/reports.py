"""Report jobs: rows, the pending-job claim, file chunks written and read back in order."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from analytics.store.tables import report_chunks, reports

__all__ = [
    "add_chunk",
    "chunks",
    "claim_pending",
    "delete_expired",
    "delete_report",
    "finish",
    "get_report",
    "insert_report",
    "list_reports",
]


async def insert_report(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    return (await session.execute(pg_insert(reports).values(values).returning(reports))).one()


async def get_report(
    session: AsyncSession, tenant_id: str, owner: str, report_id: uuid.UUID
) -> Row[Any] | None:
    statement = select(reports).where(
        reports.c.id == report_id, reports.c.tenant_id == tenant_id, reports.c.requested_by == owner
    )
    return (await session.execute(statement)).first()


async def list_reports(
    session: AsyncSession, tenant_id: str, owner: str, state: str, offset: int, limit: int
) -> list[Row[Any]]:
    statement = select(reports).where(reports.c.tenant_id == tenant_id, reports.c.requested_by == owner)
    if state:
        statement = statement.where(reports.c.state == state)
    statement = statement.order_by(reports.c.created_at.desc(), reports.c.id).offset(offset).limit(limit)
    return list((await session.execute(statement)).all())


async def delete_report(session: AsyncSession, report_id: uuid.UUID) -> None:
    await session.execute(delete(report_chunks).where(report_chunks.c.report_id == report_id))
    await session.execute(delete(reports).where(reports.c.id == report_id))


async def claim_pending(session: AsyncSession) -> Row[Any] | None:
    """The oldest pending job, marked running (instances share jobs with SKIP LOCKED)."""
    statement = (
        select(reports.c.id)
        .where(reports.c.state == "pending")
        .order_by(reports.c.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    found = (await session.execute(statement)).scalar()
    if found is None:
        return None
    claimed = update(reports).where(reports.c.id == found).values(state="running").returning(reports)
    return (await session.execute(claimed)).one()


async def add_chunk(engine: AsyncEngine, report_id: uuid.UUID, seq: int, data: bytes) -> None:
    async with engine.begin() as conn:
        await conn.execute(pg_insert(report_chunks).values(report_id=report_id, seq=seq, data=data))


async def finish(engine: AsyncEngine, report_id: uuid.UUID, values: dict[str, Any]) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(reports).where(reports.c.id == report_id).values(values))


async def chunks(engine: AsyncEngine, report_id: uuid.UUID) -> AsyncIterator[bytes]:
    """The file's pieces in order, one row in memory at a time."""
    statement = (
        select(report_chunks.c.data)
        .where(report_chunks.c.report_id == report_id)
        .order_by(report_chunks.c.seq)
        .execution_options(yield_per=1)
    )
    async with engine.connect() as conn:
        result = await conn.stream(statement)
        async for row in result:
            yield bytes(row[0])


async def delete_expired(engine: AsyncEngine, now: datetime) -> int:
    async with engine.begin() as conn:
        expired = select(reports.c.id).where(reports.c.expires_at < now).scalar_subquery()
        await conn.execute(delete(report_chunks).where(report_chunks.c.report_id.in_(expired)))
        result = await conn.execute(delete(reports).where(reports.c.expires_at < now))
        return int(getattr(result, "rowcount", 0))
