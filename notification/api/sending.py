"""Send, SendBatch and GetNotificationBatch: operators and services sending to users of a tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chatmesh.notification.v1 import notifications_pb2 as pb
from google.protobuf import timestamp_pb2

from mesh.errors import FieldViolation, InvalidArgument, NotFound
from notification.api.caller import acting_tenant
from notification.api.convert import (
    CHANNEL_FROM_PB,
    CHANNEL_TO_PB,
    PRIORITY_FROM_PB,
    notification_to_pb,
    struct_to_dict,
)
from notification.api.validate import check_email, check_key, check_phone, check_webhook_url
from notification.domain.kinds import Channel
from notification.domain.preferences import valid_category
from notification.domain.templates import MAX_TEXT_CHARS
from notification.sending.request import Addressee, Outgoing
from notification.sending.service import send
from notification.store import batches as batch_store
from notification.store import notifications as store

if TYPE_CHECKING:
    from notification.deps import NotificationDeps

__all__ = ["SendingApi"]

_STATUS_FIELDS = ("pending", "sent", "delivered", "failed", "suppressed")
MAX_SUBJECT_CHARS = 1000
MAX_CONTENT_BYTES = 512 * 1024


def _recipient_problems(channel: Channel | None, r: pb.Recipient, field: str) -> list[FieldViolation]:
    problems = check_email(r.email, f"{field}.email") + check_phone(r.phone, f"{field}.phone")
    if len(r.user_id) > 200:
        problems.append(FieldViolation(f"{field}.user_id", "is too long"))
    if channel is Channel.IN_APP and not r.user_id:
        problems.append(FieldViolation(f"{field}.user_id", "is required for IN_APP"))
    elif channel is Channel.EMAIL and not (r.email or r.user_id):
        problems.append(FieldViolation(field, "needs an email or a user_id for EMAIL"))
    elif channel is Channel.SMS and not r.phone:
        problems.append(FieldViolation(f"{field}.phone", "is required for SMS"))
    elif channel is Channel.WEBHOOK:
        problems += check_webhook_url(r.webhook_url, f"{field}.webhook_url")
    return problems


def _common_problems(channel_pb: int, category: str, content: pb.NotificationContent) -> list[FieldViolation]:
    problems = []
    if channel_pb not in CHANNEL_FROM_PB:
        problems.append(FieldViolation("channel", "must be EMAIL, SMS, IN_APP or WEBHOOK"))
    if category and not valid_category(category):
        problems.append(FieldViolation("category", "must be lowercase letters, digits, '_', '-' or '.'"))
    if not content.template_id and not (content.subject or content.body or content.html_body):
        problems.append(FieldViolation("content", "needs a template_id or a subject/body"))
    for name, limit in (
        ("subject", MAX_SUBJECT_CHARS),
        ("body", MAX_TEXT_CHARS),
        ("html_body", MAX_TEXT_CHARS),
    ):
        if len(getattr(content, name)) > limit:
            problems.append(FieldViolation(f"content.{name}", f"is longer than {limit} characters"))
    if content.ByteSize() > MAX_CONTENT_BYTES:
        problems.append(FieldViolation("content", f"is larger than {MAX_CONTENT_BYTES} bytes"))
    return problems


def _send_at(stamp: timestamp_pb2.Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(UTC) if present else None


def _outgoing(tenant_id: str, request: Any) -> Outgoing:
    content = request.content
    return Outgoing(
        tenant_id=tenant_id,
        channel=CHANNEL_FROM_PB[request.channel],
        category=request.category,
        priority=PRIORITY_FROM_PB.get(request.priority, PRIORITY_FROM_PB[0]),
        template=content.template_id,
        variables=struct_to_dict(content.variables),
        subject=content.subject,
        body=content.body,
        html_body=content.html_body,
        locale=content.locale,
        data=struct_to_dict(content.data),
        send_at=_send_at(request.send_time, request.HasField("send_time")),
    )


def batch_to_pb(row: Any, counts: dict[str, int], last: datetime | None) -> pb.NotificationBatch:
    numbers: dict[str, Any] = {name: counts.get(name, 0) for name in _STATUS_FIELDS}
    out = pb.NotificationBatch(
        id=str(row.id),
        channel=CHANNEL_TO_PB.get(row.channel, 0),
        total=row.total,
        **numbers,
    )
    out.failed += counts.get("bounced", 0)
    out.create_time.FromDatetime(row.created_at)
    if last is not None and not counts.get("pending"):
        out.complete_time.FromDatetime(last)
    return out


class SendingApi:
    deps: NotificationDeps

    async def Send(self, request: pb.SendRequest, context: Any) -> pb.SendResponse:
        problems = check_key(request.idempotency_key, "idempotency_key")
        problems += _common_problems(request.channel, request.category, request.content)
        channel = CHANNEL_FROM_PB.get(request.channel)
        problems += _recipient_problems(channel, request.recipient, "recipient")
        if problems:
            raise InvalidArgument("invalid notification", problems)
        tenant_id = await acting_tenant(request.tenant_id)
        r = request.recipient
        who = Addressee(
            user_id=r.user_id,
            email=r.email,
            phone=r.phone,
            webhook_url=r.webhook_url,
            key=f"send:{request.idempotency_key}",
        )
        async with self.deps.sessions.begin() as db:
            rows = await send(db, _outgoing(tenant_id, request), [who])
        return pb.SendResponse(notification=notification_to_pb(rows[0]._mapping))

    async def SendBatch(self, request: pb.SendBatchRequest, context: Any) -> pb.SendBatchResponse:
        problems = check_key(request.idempotency_key, "idempotency_key")
        problems += _common_problems(request.channel, request.category, request.content)
        limit = self.deps.config.max_batch_recipients
        if not request.recipients:
            problems.append(FieldViolation("recipients", "at least one recipient is required"))
        elif len(request.recipients) > limit:
            problems.append(FieldViolation("recipients", f"at most {limit} recipients"))
        channel = CHANNEL_FROM_PB.get(request.channel)
        for i, entry in enumerate(request.recipients):
            problems += _recipient_problems(channel, entry.recipient, f"recipients[{i}].recipient")
            if len(problems) > 20:
                break
        if problems:
            raise InvalidArgument("invalid batch", problems)
        tenant_id = await acting_tenant(request.tenant_id)
        key = request.idempotency_key
        addressees = [
            Addressee(
                user_id=e.recipient.user_id,
                email=e.recipient.email,
                phone=e.recipient.phone,
                webhook_url=e.recipient.webhook_url,
                variables=struct_to_dict(e.variables),
                key=f"batch:{key}:{i}",
            )
            for i, e in enumerate(request.recipients)
        ]
        async with self.deps.sessions.begin() as db:
            values = {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "idempotency_key": key,
                "channel": CHANNEL_FROM_PB[request.channel].value,
                "total": len(addressees),
            }
            row, created = await batch_store.insert_once(db, values)
            if created:
                await send(db, _outgoing(tenant_id, request), addressees, batch_id=row.id)
            counts, last = await store.batch_counts(db, row.id)
        return pb.SendBatchResponse(batch=batch_to_pb(row, counts, last))

    async def GetNotificationBatch(
        self, request: pb.GetNotificationBatchRequest, context: Any
    ) -> pb.GetNotificationBatchResponse:
        try:
            batch_id = uuid.UUID(request.batch_id)
        except ValueError as exc:
            raise InvalidArgument("bad batch_id", [FieldViolation("batch_id", "is not a batch id")]) from exc
        tenant_id = await acting_tenant("")
        async with self.deps.sessions() as db:
            row = await batch_store.get(db, tenant_id, batch_id)
            if row is None:
                raise NotFound("no such batch", reason="BATCH_NOT_FOUND")
            counts, last = await store.batch_counts(db, row.id)
        return pb.GetNotificationBatchResponse(batch=batch_to_pb(row, counts, last))
