"""Queries of ``usage_records`` (one row per model request) and the outbox rows announcing them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import Row, Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from mesh.events import add
from model_router.store.tables import outbox, usage_records

__all__ = ["announce", "get_record", "insert_record", "page_records"]


async def insert_record(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Insert the row; False (nothing written) when its request id is taken."""
    inserted = await session.execute(
        pg_insert(usage_records)
        .values(dict(values))
        .on_conflict_do_nothing(index_elements=["request_id"])
        .returning(usage_records.c.request_id)
    )
    return inserted.first() is not None


async def announce(
    session: AsyncSession, event: Message, *, source: str, tenant_id: str, subject: str, actor_id: str | None
) -> None:
    """The record's event, in the outbox of the caller's transaction (published by the relay)."""
    await add(
        session, outbox, source=source, event=event, tenant_id=tenant_id, subject=subject, actor_id=actor_id
    )


async def get_record(session: AsyncSession, request_id: str) -> Row[Any] | None:
    return (
        await session.execute(select(usage_records).where(usage_records.c.request_id == request_id))
    ).first()


async def page_records(
    session: AsyncSession,
    equals: Mapping[str, str],
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
) -> list[Row[Any]]:
    """Newest first, filtered by the non-empty ``equals`` columns, plus one row: are there more?"""
    query: Select[Any] = select(usage_records)
    for name, value in equals.items():
        if value:
            query = query.where(usage_records.c[name] == value)
    if start is not None:
        query = query.where(usage_records.c.created_at >= start)
    if end is not None:
        query = query.where(usage_records.c.created_at < end)
    query = query.order_by(usage_records.c.created_at.desc(), usage_records.c.request_id).offset(offset)
    return list((await session.execute(query.limit(limit + 1))).all())
