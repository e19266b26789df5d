"""The consumer group that turns other services' events into notifications.

One transaction per event: the notifications it causes and their NotificationQueued events
commit together, then the consumer marks the event done (mesh.events: once per group and
event id, retried with backoff, dead-lettered after repeated failure).
"""

from __future__ import annotations

import logging

from chatmesh.events.v1 import usage_events_pb2 as usage

from mesh.errors import InvalidArgument
from mesh.events import EventConsumer, EventEnvelope, stream_name
from notification.deps import NotificationDeps
from notification.triggers.handlers import TRIGGERS, channel_status_changed

__all__ = ["GROUP", "SOURCES", "TriggerHandler", "trigger_consumer"]

log = logging.getLogger(__name__)

GROUP = "notification-triggers"
# Streams whose events can cause notifications (identity's account events, model_router's quota
# and channel events, NotificationRequested from analytics); each entry costs a few Redis
# round trips even when ignored, so busy streams that cause none are not read.
SOURCES = ("identity", "model_router", "analytics")


class TriggerHandler:
    def __init__(self, deps: NotificationDeps) -> None:
        self.deps = deps
        changed = usage.ChannelStatusChanged
        self.triggers = TRIGGERS | {
            changed.DESCRIPTOR.full_name: (changed, channel_status_changed(deps.config.ops_emails)),
        }

    async def __call__(self, envelope: EventEnvelope) -> None:
        found = self.triggers.get(envelope.type)
        if found is None:
            return
        cls, trigger = found
        event = cls()
        if not envelope.payload.Unpack(event):
            return
        try:
            async with self.deps.sessions.begin() as db:
                await trigger(db, envelope, event)
        except InvalidArgument as exc:
            # The event itself is unusable (unknown template, missing variable): retrying
            # cannot help, so it is logged and dropped rather than dead-lettered after retries.
            log.warning(
                "event cannot become a notification: %s %s",
                exc,
                [f"{v.field}: {v.description}" for v in exc.violations],
                extra={"event_id": envelope.id, "event_type": envelope.type},
            )


def trigger_consumer(deps: NotificationDeps, consumer_name: str) -> EventConsumer:
    return EventConsumer(
        deps.redis,
        group=GROUP,
        consumer_name=consumer_name,
        streams=[stream_name(source) for source in SOURCES],
        handler=TriggerHandler(deps),
        dead_letter_stream="notification:triggers:dead",
        retry_backoff=deps.config.retry_backoff_seconds,
    )
