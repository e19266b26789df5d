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

__all__ = ["SOURCE", "URGENT_SOURCE", "enqueue"]

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
            values.append(
                {
                    "id": uuid.UUID(envelope.id),
                    "aggregate_type": URGENT_SOURCE if item.priority == "high" else SOURCE,
                    "aggregate_id": str(item.id),
                    "event_type": envelope.type,
                    "payload": envelope.SerializeToString(),
                    "headers": {"channel": item.channel},
                }
            )
        inserted = insert(outbox).values(values).cte("queued_events")
        await db.execute(select(func.pg_notify(notify_channel(outbox), "")).add_cte(inserted))
