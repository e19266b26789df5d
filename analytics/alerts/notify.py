"""What an alert transition writes to the outbox: AlertStateChanged, and a NotificationRequested per target.

Both go in the evaluation's transaction, so a transition is announced exactly when it is
stored; the notification service deduplicates on ``dedupe_key`` if a relay retries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chatmesh.events.v1 import analytics_events_pb2, notification_events_pb2
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.store.tables import outbox
from mesh.events import add

__all__ = ["SOURCE", "announce", "emit", "notification"]

SOURCE = "analytics"
_CHANNELS = {
    "email": notification_events_pb2.NOTIFICATION_CHANNEL_EMAIL,
    "sms": notification_events_pb2.NOTIFICATION_CHANNEL_SMS,
    "in_app": notification_events_pb2.NOTIFICATION_CHANNEL_IN_APP,
}


async def emit(session: AsyncSession, event: Message, *, tenant_id: str, subject: str) -> None:
    """Queue one of analytics's events in the caller's transaction (no actor: a background task)."""
    await add(session, outbox, source=SOURCE, event=event, tenant_id=tenant_id, subject=subject, actor_id="")


def notification(
    target: dict[str, str], template_id: str, dedupe_key: str, variables: dict[str, str]
) -> notification_events_pb2.NotificationRequested:
    """A NotificationRequested for one alert target (an address when it is one, else a user id)."""
    channel, recipient = target["channel"], target["recipient"]
    request = notification_events_pb2.NotificationRequested(
        channels=[_CHANNELS[channel]],
        template_id=template_id,
        variables=variables,
        priority=notification_events_pb2.NOTIFICATION_PRIORITY_HIGH,
        dedupe_key=dedupe_key,
    )
    if channel == "email" and "@" in recipient:
        request.email = recipient
    elif channel == "sms" and recipient.startswith("+"):
        request.phone = recipient
    else:
        request.user_id = recipient
    return request


async def announce(
    session: AsyncSession,
    rule: Any,
    *,
    event_id: str,
    state: str,
    value: float,
    fired_at: datetime,
    resolved_at: datetime | None,
    notify: bool,
) -> None:
    changed = analytics_events_pb2.AlertStateChanged(
        alert_event_id=event_id,
        alert_rule_id=str(rule.id),
        rule_name=rule.name,
        state=state,
        metric=rule.metric,
        value=value,
        threshold=rule.threshold,
    )
    changed.fire_time.FromDatetime(fired_at)
    if resolved_at is not None:
        changed.resolve_time.FromDatetime(resolved_at)
    await emit(session, changed, tenant_id=rule.tenant_id, subject=str(rule.id))
    if not notify:
        return
    variables = {
        "rule_name": rule.name,
        "metric": rule.metric,
        "value": f"{value:g}",
        "threshold": f"{rule.threshold:g}",
        "state": state,
        "description": rule.description,
    }
    for target in rule.targets:
        await emit(
            session,
            notification(
                target,
                f"analytics_alert_{state}",
                f"analytics-alert:{event_id}:{state}:{target['channel']}:{target['recipient']}",
                variables,
            ),
            tenant_id=rule.tenant_id,
            subject=str(rule.id),
        )
