"""The queries of auto-disable, recovery and the health history (tables of migration 0004).

Status changes are conditional updates (``WHERE status = 'enabled'`` to disable,
``WHERE status = 'auto_disabled'`` to recover), so several router instances reaching
the same verdict write one transition between them, and a manual disable is never
overturned by an automatic recovery.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from model_router.store.channels import rows_with_usable_keys, usable_key
from model_router.store.tables import channel_health_events, channel_keys, channel_tests, channels

__all__ = [
    "HealthEventRow",
    "auto_disable",
    "auto_disabled_rows",
    "channel_with_keys",
    "insert_events",
    "last_test",
    "list_events",
    "record_test",
    "recover",
]


@dataclass(frozen=True)
class HealthEventRow:
    """One transition to write; statuses and circuits use the stored names."""

    channel_id: uuid.UUID
    from_status: str
    to_status: str
    from_circuit: str
    to_circuit: str
    source: str
    reason: str
    http_status: int = 0
    actor_user_id: str = ""

    def values(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "from_circuit": self.from_circuit,
            "to_circuit": self.to_circuit,
            "source": self.source,
            "reason": self.reason[:1000],
            "http_status": self.http_status,
            "actor_user_id": self.actor_user_id,
        }


async def insert_events(conn: AsyncConnection, events: Sequence[HealthEventRow]) -> None:
    """Write transitions of channels that still exist (a deleted channel's are dropped)."""
    if not events:
        return
    wanted = {e.channel_id for e in events}
    existing = set((await conn.execute(select(channels.c.id).where(channels.c.id.in_(wanted)))).scalars())
    rows = [e.values() for e in events if e.channel_id in existing]
    if rows:
        await conn.execute(channel_health_events.insert(), rows)


async def list_events(
    conn: AsyncConnection,
    channel_id: uuid.UUID | None,
    *,
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
) -> list[dict[str, Any]]:
    """Events newest first (id breaks ties so pages are stable)."""
    where = []
    if channel_id is not None:
        where.append(channel_health_events.c.channel_id == channel_id)
    if start is not None:
        where.append(channel_health_events.c.created_at >= start)
    if end is not None:
        where.append(channel_health_events.c.created_at < end)
    rows = await conn.execute(
        select(channel_health_events)
        .where(*where)
        .order_by(channel_health_events.c.created_at.desc(), channel_health_events.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def auto_disable(conn: AsyncConnection, channel_id: uuid.UUID, reason: str) -> bool:
    """Enabled → auto_disabled; False when the channel is not enabled (or gone)."""
    result = await conn.execute(
        update(channels)
        .where(channels.c.id == channel_id, channels.c.status == "enabled")
        .values(status="auto_disabled", status_reason=reason[:500], updated_at=func.clock_timestamp())
        .returning(channels.c.id)
    )
    return result.one_or_none() is not None


async def recover(conn: AsyncConnection, channel_id: uuid.UUID) -> bool:
    """auto_disabled → enabled; False when an operator (or another instance) changed it meanwhile."""
    result = await conn.execute(
        update(channels)
        .where(channels.c.id == channel_id, channels.c.status == "auto_disabled")
        .values(status="enabled", status_reason=None, updated_at=func.clock_timestamp())
        .returning(channels.c.id)
    )
    return result.one_or_none() is not None


async def record_test(conn: AsyncConnection, channel_id: uuid.UUID, latency_ms: int, success: bool) -> None:
    values = {"tested_at": func.now(), "latency_ms": latency_ms, "success": success}
    await conn.execute(
        pg_insert(channel_tests)
        .values(channel_id=channel_id, **values)
        .on_conflict_do_update(index_elements=[channel_tests.c.channel_id], set_=values)
    )


async def last_test(conn: AsyncConnection, channel_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        await conn.execute(select(channel_tests).where(channel_tests.c.channel_id == channel_id))
    ).one_or_none()
    return None if row is None else dict(row._mapping)


async def auto_disabled_rows(
    conn: AsyncConnection,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Auto-disabled channels (the prober's to recover) and their keys usable now."""
    return await rows_with_usable_keys(conn, "auto_disabled")


async def channel_with_keys(
    conn: AsyncConnection, channel_id: uuid.UUID, key_id: uuid.UUID | None = None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """One channel whatever its status, and its usable keys — or only ``key_id``, whatever its status."""
    row = (await conn.execute(select(channels).where(channels.c.id == channel_id))).one_or_none()
    if row is None:
        return None, []
    which = channel_keys.c.id == key_id if key_id is not None else usable_key()
    keys = await conn.execute(
        select(channel_keys.c.id, channel_keys.c.channel_id, channel_keys.c.key_ciphertext)
        .where(channel_keys.c.channel_id == channel_id, which)
        .order_by(channel_keys.c.created_at, channel_keys.c.id)
    )
    return dict(row._mapping), [dict(r._mapping) for r in keys]
