"""Delivering one queued notification: claim the row, send once, record the outcome.

The row is locked (``FOR UPDATE SKIP LOCKED``) while its provider is called and its status
written in the same transaction, so two workers never send the same notification and a
notification that reached a final status is never sent again, however often its event is
redelivered. A transient failure is recorded and the event retried with exponential
backoff (mesh.events consumer); after ``max_attempts`` the notification fails and its id
and reason go to the dead-letter stream ``notification:dead``. What cannot be made exactly
once is the hand-over itself: a crash after an SMTP server accepted a message but before the
commit sends it again on restart, with the same Message-ID.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatmesh.events.v1 import notification_events_pb2 as events

from mesh.events import EventEnvelope, unpack
from notification.delivery.email import Email
from notification.delivery.errors import DeliveryFailed
from notification.deps import NotificationDeps
from notification.domain.kinds import Channel, Status, can_move
from notification.inbox.payloads import notification_event
from notification.store import notifications as store

__all__ = ["DEAD_LETTER_STREAM", "DeliveryWorker", "RetryLater"]

log = logging.getLogger(__name__)

DEAD_LETTER_STREAM = "notification:dead"
_QUEUED = events.NotificationQueued.DESCRIPTOR.full_name
_INBOX = events.InboxDelivered.DESCRIPTOR.full_name


class RetryLater(Exception):
    """Raised to the consumer so it retries the event with backoff."""


@dataclass
class _Outcome:
    row: Any
    retry: str = ""
    dead: str = ""
    delivered_in_app: bool = False


class DeliveryWorker:
    def __init__(self, deps: NotificationDeps) -> None:
        self.deps = deps

    async def handle(self, envelope: EventEnvelope) -> None:
        if envelope.type == _INBOX:
            await self.push(unpack(envelope, events.InboxDelivered))
            return
        if envelope.type != _QUEUED:
            return
        event = unpack(envelope, events.NotificationQueued)
        outcome = await self.deliver(uuid.UUID(event.notification_id))
        if outcome is None:
            return
        if outcome.delivered_in_app:
            row = outcome.row
            await self.deps.live.append(row.tenant_id, row.user_id, notification_event(row))
        if outcome.dead:
            await self.deps.redis.xadd(
                DEAD_LETTER_STREAM,
                {
                    "notification_id": str(outcome.row.id),
                    "channel": outcome.row.channel,
                    "reason": outcome.dead,
                },
                maxlen=100_000,
                approximate=True,
            )
            log.warning("notification failed for good", extra={"notification_id": str(outcome.row.id)})
        if outcome.retry:
            raise RetryLater(outcome.retry)

    async def push(self, event: events.InboxDelivered) -> None:
        """Live push of in-app notifications stored as delivered (a redelivery pushes again;
        clients deduplicate on the notification id)."""
        ids = [uuid.UUID(i) for i in event.notification_ids]
        async with self.deps.sessions() as db:
            rows = await store.get_many(db, ids)
        live = [(r.tenant_id, r.user_id, notification_event(r)) for r in rows if r.deleted_at is None]
        await self.deps.live.append_many(live)

    async def deliver(self, nid: uuid.UUID) -> _Outcome | None:
        """Send ``nid`` if it is still pending; None when there is nothing (more) to do."""
        async with self.deps.sessions.begin() as db:
            row, free = await store.claim(db, nid)
            if row is None:
                if free:
                    return None  # unknown id: nothing to deliver
                raise RetryLater("another worker holds this notification")
            if not can_move(Status(row.status), Status.SENT):
                return None  # already final: a redelivered event sends nothing
            attempts = row.attempts + 1
            now = datetime.now(UTC)
            try:
                provider, provider_id = await self._send(row)
            except DeliveryFailed as exc:
                return await self._failed(db, row, attempts, exc, now)
            # The inbox and a receiver's 2xx are delivery; email and SMS are only handed over.
            status = Status.DELIVERED if row.channel in (Channel.IN_APP, Channel.WEBHOOK) else Status.SENT
            values: dict[str, Any] = {
                "status": status.value,
                "attempts": attempts,
                "provider": provider,
                "provider_message_id": provider_id,
                "failure_reason": "",
                "sent_at": now,
            }
            if status is Status.DELIVERED:
                values["delivered_at"] = now
            await store.mark_status(db, nid, **values)
            fresh = dict(row._mapping) | values
            return _Outcome(row=_Row(fresh), delivered_in_app=row.channel == Channel.IN_APP)

    async def _failed(self, db: Any, row: Any, attempts: int, exc: DeliveryFailed, now: datetime) -> _Outcome:
        reason = f"{exc.provider}: {exc.reason}" if exc.provider else exc.reason
        if exc.transient and attempts < self.deps.config.max_attempts:
            await store.mark_status(db, row.id, attempts=attempts, failure_reason=reason)
            return _Outcome(row=row, retry=reason)
        await store.mark_status(
            db, row.id, attempts=attempts, failure_reason=reason, status=Status.FAILED.value
        )
        return _Outcome(row=row, dead=reason)

    async def _send(self, row: Any) -> tuple[str, str]:
        if row.channel == Channel.IN_APP:
            return "inbox", str(row.id)
        if row.channel == Channel.EMAIL:
            sender = self.deps.email
            email = Email(str(row.id), row.email, row.subject, row.body, row.html_body)
            return sender.name, await sender.send(email)
        if row.channel == Channel.SMS:
            if self.deps.sms is None:
                raise DeliveryFailed("no SMS provider is configured", transient=False)
            return await self.deps.sms.send(str(row.id), row.phone, row.body or row.subject)
        if row.channel == Channel.WEBHOOK:
            return self.deps.webhook.name, await self.deps.webhook.send(row)
        raise DeliveryFailed(f"unknown channel {row.channel}", transient=False)


class _Row:
    """A row's values after the update, read like a SQLAlchemy Row (attributes and ``_mapping``)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._mapping = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError as exc:
            raise AttributeError(name) from exc
