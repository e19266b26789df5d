"""SQL of notifications: inserting once per idempotency key, the inbox, and delivery claims."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store.tables import notifications as n

__all__ = [
    "claim",
    "due_unqueued",
    "get",
    "insert_many",
    "list_inbox",
    "mark_deleted",
    "mark_read",
    "mark_status",
    "unread_count",
]


async def insert_many(db: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Row[Any]]:
    """Insert rows whose idempotency key is new; returns every row for the keys (new or old).

    ``ON CONFLICT DO NOTHING`` on the unique (tenant, key) index means two racing requests
    with one key store one row; the loser reads the winner's row back.
    """
    if not rows:
        return []
    columns: set[str] = set().union(*(r.keys() for r in rows))
    defaults = {"attempts": 0, "provider": "", "sent_at": None, "delivered_at": None, "digest_key": None}
    uniform = [{k: r.get(k, defaults.get(k)) for k in columns} for r in rows]
    # Parameters as a list (executemany): SQLAlchemy batches them into multi-row INSERTs from
    # a cached statement, where .values(rows) would compile a new 1,000-row statement each time.
    await db.execute(pg_insert(n).on_conflict_do_nothing(), uniform)
    tenant = rows[0]["tenant_id"]
    keys = [r["idempotency_key"] for r in rows]
    found = await db.execute(select(n).where(n.c.tenant_id == tenant, n.c.idempotency_key.in_(keys)))
    by_key = {row.idempotency_key: row for row in found}
    return [by_key[k] for k in keys]


async def get(db: AsyncSession, tenant_id: str, notification_id: uuid.UUID) -> Row[Any] | None:
    result = await db.execute(select(n).where(n.c.tenant_id == tenant_id, n.c.id == notification_id))
    return result.first()


async def get_many(db: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    result: Any = await db.execute(select(n).where(n.c.id.in_(ids)).order_by(n.c.created_at, n.c.id))
    return list(result.all())


async def get_any(db: AsyncSession, notification_id: uuid.UUID) -> Row[Any] | None:
    return (await db.execute(select(n).where(n.c.id == notification_id))).first()


def _inbox(tenant_id: str, user_id: str, channel: str) -> Any:
    return and_(
        n.c.tenant_id == tenant_id, n.c.user_id == user_id, n.c.channel == channel, n.c.deleted_at.is_(None)
    )


async def list_inbox(
    db: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    channel: str,
    unread_only: bool,
    category: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Row[Any]]:
    """Newest first, keyset-paged on (created_at, id)."""
    query = select(n).where(_inbox(tenant_id, user_id, channel))
    if channel == "in_app":
        query = query.where(n.c.status != "suppressed")
    if unread_only:
        query = query.where(n.c.read_at.is_(None))
    if category:
        query = query.where(n.c.category == category)
    if after is not None:
        query = query.where(func.row(n.c.created_at, n.c.id) < func.row(*after))
    query = query.order_by(n.c.created_at.desc(), n.c.id.desc()).limit(limit)
    return list((await db.execute(query)).all())


async def unread_count(db: AsyncSession, tenant_id: str, user_id: str) -> int:
    query = select(func.count()).where(
        _inbox(tenant_id, user_id, "in_app"), n.c.read_at.is_(None), n.c.status != "suppressed"
    )
    return int((await db.execute(query)).scalar_one())


async def mark_read(
    db: AsyncSession, tenant_id: str, user_id: str, ids: Sequence[uuid.UUID] | None, now: datetime
) -> list[str]:
    """Mark the given (or all, when ``ids`` is None) unread inbox notifications read; returns the ids."""
    query = update(n).where(_inbox(tenant_id, user_id, "in_app"), n.c.read_at.is_(None))
    if ids is not None:
        query = query.where(n.c.id.in_(ids))
    result = await db.execute(query.values(read_at=now).returning(n.c.id))
    return [str(i) for i in result.scalars()]


async def mark_deleted(db: AsyncSession, tenant_id: str, user_id: str, nid: uuid.UUID, now: datetime) -> bool:
    query = (
        update(n)
        .where(n.c.id == nid, n.c.tenant_id == tenant_id, n.c.user_id == user_id, n.c.deleted_at.is_(None))
        .values(deleted_at=now)
        .returning(n.c.id)
    )
    return (await db.execute(query)).first() is not None


async def claim(db: AsyncSession, nid: uuid.UUID) -> tuple[Row[Any] | None, bool]:
    """Lock a notification for delivery: (row, locked). ``locked`` is False while another
    worker holds it (the caller retries later); the row lock lasts until commit."""
    query = select(n).where(n.c.id == nid).with_for_update(skip_locked=True)
    row = (await db.execute(query)).first()
    if row is not None:
        return row, True
    exists = (await db.execute(select(n.c.id).where(n.c.id == nid))).first()
    return None, exists is None


async def mark_status(db: AsyncSession, nid: uuid.UUID, **values: Any) -> None:
    await db.execute(update(n).where(n.c.id == nid).values(**values))


async def due_unqueued(db: AsyncSession, now: datetime, limit: int) -> list[Row[Any]]:
    """Scheduled notifications that came due, locked so only one sweeper enqueues each."""
    query = (
        select(n.c.id, n.c.tenant_id, n.c.user_id, n.c.channel, n.c.priority, n.c.digest_key)
        .where(n.c.status == "pending", n.c.enqueued.is_(False), n.c.send_at <= now)
        .order_by(n.c.send_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result: Any = await db.execute(query)
    return list(result.all())


async def digest_members(db: AsyncSession, digest_key: str) -> list[Row[Any]]:
    """Every notification still waiting in one digest, oldest first, locked (waiting for a
    sweeper that holds some of them, which then leaves nothing pending here)."""
    query = (
        select(n)
        .where(n.c.digest_key == digest_key, n.c.status == "pending", n.c.enqueued.is_(False))
        .order_by(n.c.created_at, n.c.id)
        .with_for_update()
    )
    result: Any = await db.execute(query)
    return list(result.all())


async def set_enqueued(db: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await db.execute(update(n).where(n.c.id.in_(ids)).values(enqueued=True))


async def batch_counts(db: AsyncSession, batch_id: uuid.UUID) -> tuple[dict[str, int], datetime | None]:
    query = select(n.c.status, func.count(), func.max(func.coalesce(n.c.delivered_at, n.c.sent_at))).where(
        n.c.batch_id == batch_id
    )
    rows = (await db.execute(query.group_by(n.c.status))).all()
    counts = {row[0]: int(row[1]) for row in rows}
    last = max((row[2] for row in rows if row[2] is not None), default=None)
    return counts, last


async def stats(
    db: AsyncSession,
    *,
    tenant_id: str,
    start: datetime,
    end: datetime,
    channel: str,
    template_id: str,
    category: str,
) -> list[Row[Any]]:
    """(channel, status, count, read) over the range and filters."""
    query = select(n.c.channel, n.c.status, func.count(), func.count(n.c.read_at)).where(
        n.c.tenant_id == tenant_id, n.c.created_at >= start, n.c.created_at < end
    )
    if channel:
        query = query.where(n.c.channel == channel)
    if template_id:
        query = query.where(n.c.template_id == template_id)
    if category:
        query = query.where(n.c.category == category)
    return list((await db.execute(query.group_by(n.c.channel, n.c.status))).all())


async def insert_one(db: AsyncSession, row: dict[str, Any]) -> None:
    await db.execute(insert(n).values(row))
