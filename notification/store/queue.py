"""Queueing notifications for delivery: NotificationQueued events in the outbox, many per statement.

mesh.events.add writes one event per statement; a batch of 10,000 recipients would pay
10,000 round trips, so this writes the same outbox rows (same envelope, same NOTIFY) at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from chatmesh.events.v1 import notification_events_pb2 as events
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from mesh.events import build_envelope, notify_channel
from notification.store.tables import outbox

__all__ = ["SOURCE", "URGENT_SOURCE", "enqueue", "push_inbox"]

SOURCE = "notification"
# High-priority notifications (security notices) travel on their own stream and workers, so a
# password reset never waits behind a 10,000-recipient batch.
URGENT_SOURCE = "notification_urgent"
_CHANNELS = {
    "email": events.NOTIFICATION_CHANNEL_EMAIL,
    "sms": events.NOTIFICATION_CHANNEL_SMS,
    "in_app": events.NOTIFICATION_CHANNEL_IN_APP,
    "webhook": events.NOTIFICATION_CHANNEL_WEBHOOK,
}
_PRIORITIES = {
    "low": events.NOTIFICATION_PRIORITY_LOW,
    "normal": events.NOTIFICATION_PRIORITY_NORMAL,
    "high": events.NOTIFICATION_PRIORITY_HIGH,
}
_CHUNK = 1000


def _outbox_row(envelope: Any, source: str, subject: str, channel: str) -> dict[str, Any]:
    return {
        "id": uuid.UUID(envelope.id),
        "aggregate_type": source,
        "aggregate_id": subject,
        "event_type": envelope.type,
        "payload": envelope.SerializeToString(),
        "headers": {"channel": channel},
    }


async def _write(db: AsyncSession, values: list[dict[str, Any]]) -> None:
    if values:
        inserted = insert(outbox).values(values).cte("queued_events")
        await db.execute(select(func.pg_notify(notify_channel(outbox), "")).add_cte(inserted))


async def push_inbox(db: AsyncSession, tenant_id: str, ids: Sequence[uuid.UUID]) -> None:
    """Queue the live push of in-app notifications stored as delivered, CHUNK ids per event."""
    values = []
    for start in range(0, len(ids), _CHUNK):
        chunk = [str(i) for i in ids[start : start + _CHUNK]]
        event = events.InboxDelivered(notification_ids=chunk)
        envelope = build_envelope(event, source=SOURCE, tenant_id=tenant_id, subject=chunk[0])
        values.append(_outbox_row(envelope, URGENT_SOURCE, chunk[0], "in_app"))
    await _write(db, values)


async def enqueue(db: AsyncSession, items: Sequence[Any]) -> None:
    """Queue ``items`` (rows with id, tenant_id, user_id, channel, priority) in the caller's transaction."""
    for start in range(0, len(items), _CHUNK):
        values = []
        for item in items[start : start + _CHUNK]:
            event = events.NotificationQueued(
                notification_id=str(item.id),
                channel=_CHANNELS.get(item.channel, events.NOTIFICATION_CHANNEL_UNSPECIFIED),
                priority=_PRIORITIES.get(item.priority, events.NOTIFICATION_PRIORITY_NORMAL),
            )
            envelope = build_envelope(event, source=SOURCE, tenant_id=item.tenant_id, subject=str(item.id))
            lane = URGENT_SOURCE if item.priority == "high" else SOURCE
            values.append(_outbox_row(envelope, lane, str(item.id), item.channel))
        await _write(db, values)
