"""Writing events into a service's transactional outbox.

An event is inserted in the same transaction as the change it describes, so it
exists if and only if the change committed; the relay publishes it afterwards.
The insert also raises a Postgres NOTIFY (delivered only at commit, folded into
one per transaction) that wakes the relay at once instead of at its next poll.
Both happen in one statement, so ``add`` costs a single round trip.
"""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from mesh.events.envelope import build_envelope

__all__ = ["add", "notify_channel"]


def notify_channel(table: Table) -> str:
    """The LISTEN/NOTIFY channel of an outbox table (one per service schema)."""
    return f"chatmesh_outbox_{table.schema or 'public'}"


async def add(
    session: AsyncSession,
    table: Table,
    *,
    source: str,
    event: Message,
    tenant_id: str = "",
    subject: str = "",
    headers: dict[str, str] | None = None,
    actor_id: str | None = None,
    schema_version: int = 1,
) -> str:
    """Queue ``event`` for publication in the caller's transaction; returns the event id.

    Nothing is published unless the caller commits. ``subject`` is the aggregate id
    (user, conversation, ...): events of one subject reach the stream in the order they
    were added. ``headers`` are small string pairs copied onto the stream entry (for
    routing without opening the envelope). The outbox row maps the envelope as
    ``id`` = event id, ``aggregate_type`` = source, ``aggregate_id`` = subject,
    ``event_type`` = payload type, ``payload`` = the serialized envelope.
    """
    envelope = build_envelope(
        event,
        source=source,
        tenant_id=tenant_id,
        subject=subject,
        actor_id=actor_id,
        schema_version=schema_version,
    )
    row: dict[str, Any] = {
        "id": uuid.UUID(envelope.id),
        "aggregate_type": source,
        "aggregate_id": subject,
        "event_type": envelope.type,
        "payload": envelope.SerializeToString(),
        "headers": {str(k): str(v) for k, v in (headers or {}).items()},
    }
    # A data-modifying CTE runs even though the outer SELECT does not read it.
    inserted = insert(table).values(row).cte("inserted_event")
    await session.execute(select(func.pg_notify(notify_channel(table), "")).add_cte(inserted))
    return envelope.id
