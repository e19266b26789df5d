"""Delivery: idempotent sends, exactly one email per notification, retries, dead-letter, restarts."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from chatmesh.notification.v1 import notifications_pb2 as pb
from sqlalchemy import func, select

from mesh.config import Settings
from mesh.errors import parse_rpc_error
from notification.delivery.worker import DEAD_LETTER_STREAM
from notification.store.tables import notifications
from tests.fakes.smtp_sink import SmtpSink
from tests.integration.notification.notif_harness import (
    ADMIN,
    Service,
    close_service,
    eventually,
    notif_config,
    open_service,
    settled,
)

EMAIL = pb.NOTIFICATION_CHANNEL_EMAIL


def _send(key: str, email: str, subject: str = "Hello") -> pb.SendRequest:
    return pb.SendRequest(
        idempotency_key=key,
        channel=EMAIL,
        recipient=pb.Recipient(email=email),
        category="product",
        content=pb.NotificationContent(subject=subject, body="Body"),
    )


async def test_concurrent_sends_with_one_key_store_and_mail_one_notification(
    service: Service, smtp: SmtpSink
) -> None:
    request = _send(f"k-{uuid.uuid4()}", "once@example.com")
    answers = await asyncio.gather(
        *(service.stub.Send(request, metadata=ADMIN, timeout=10) for _ in range(8))
    )
    ids = {a.notification.id for a in answers}
    assert len(ids) == 1
    [nid] = ids
    done = await settled(service, nid)
    assert done.status == pb.NOTIFICATION_STATUS_SENT
    again = await service.stub.Send(request, metadata=ADMIN, timeout=10)
    assert again.notification.id == done.id
    await asyncio.sleep(0.5)
    assert len(smtp.to("once@example.com")) == 1


async def test_a_batch_of_300_is_mailed_exactly_once_each(service: Service, smtp: SmtpSink) -> None:
    key = f"batch-{uuid.uuid4()}"
    request = pb.SendBatchRequest(
        idempotency_key=key,
        channel=EMAIL,
        category="product",
        content=pb.NotificationContent(subject="News {{n}}", body="Hi", template_id=""),
        recipients=[pb.BatchRecipient(recipient=pb.Recipient(email=f"b{i}@batch.test")) for i in range(300)],
    )
    batch = (await service.stub.SendBatch(request, metadata=ADMIN, timeout=30)).batch
    assert batch.total == 300
    repeated = (await service.stub.SendBatch(request, metadata=ADMIN, timeout=30)).batch
    assert repeated.id == batch.id

    async def done() -> pb.NotificationBatch | None:
        got = await service.stub.GetNotificationBatch(
            pb.GetNotificationBatchRequest(batch_id=batch.id), metadata=ADMIN, timeout=10
        )
        return got.batch if got.batch.sent == 300 else None

    final = await eventually(done, seconds=60)
    assert final.pending == 0 and final.failed == 0
    assert final.HasField("complete_time")
    mails = [m for m in smtp.messages if m["To"].endswith("@batch.test")]
    assert len(mails) == 300
    assert len({m["Message-ID"] for m in mails}) == 300


async def test_a_temporary_refusal_is_retried(service: Service, smtp: SmtpSink) -> None:
    smtp.refuse(451, 1)
    sent = (
        await service.stub.Send(_send(f"t-{uuid.uuid4()}", "later@example.com"), metadata=ADMIN)
    ).notification
    done = await settled(service, sent.id)
    assert done.status == pb.NOTIFICATION_STATUS_SENT
    assert done.attempts == 2
    assert len(smtp.to("later@example.com")) == 1


async def test_a_permanent_refusal_fails_and_is_dead_lettered_with_the_reason(
    service: Service, smtp: SmtpSink
) -> None:
    smtp.refuse(550, 1)
    sent = (
        await service.stub.Send(_send(f"p-{uuid.uuid4()}", "nobody@example.com"), metadata=ADMIN)
    ).notification
    done = await settled(service, sent.id)
    assert done.status == pb.NOTIFICATION_STATUS_FAILED
    assert "550" in done.failure_reason
    entries = await service.redis.xrange(DEAD_LETTER_STREAM)
    reasons = {e[1][b"notification_id"].decode(): e[1][b"reason"].decode() for e in entries}
    assert "550" in reasons[sent.id]
    assert smtp.to("nobody@example.com") == []


async def test_a_bad_send_is_refused_with_every_problem_named(service: Service) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.Send(
            pb.SendRequest(channel=pb.NOTIFICATION_CHANNEL_SMS, recipient=pb.Recipient(phone="12")),
            metadata=ADMIN,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _, _, details = parse_rpc_error(caught.value)
    huge = _send(f"big-{uuid.uuid4()}", "big@example.com", subject="x" * 2000)
    with pytest.raises(grpc.aio.AioRpcError) as too_big:
        await service.stub.Send(huge, metadata=ADMIN)
    assert too_big.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = {v.field for d in details for v in getattr(d, "field_violations", [])}
    assert {"idempotency_key", "recipient.phone", "content"} <= fields
    async with service.deps.sessions() as db:
        assert (
            await db.execute(
                select(func.count()).select_from(notifications).where(notifications.c.phone == "12")
            )
        ).scalar_one() == 0


async def test_notifications_queued_before_a_stop_are_delivered_once_after_restart(
    notif_settings: Settings, smtp: SmtpSink
) -> None:
    first = await open_service(notif_settings, notif_config(smtp_url=smtp.url()))
    request = pb.SendBatchRequest(
        idempotency_key=f"restart-{uuid.uuid4()}",
        channel=EMAIL,
        category="product",
        content=pb.NotificationContent(subject="Restart", body="Hi"),
        recipients=[
            pb.BatchRecipient(recipient=pb.Recipient(email=f"r{i}@restart.test")) for i in range(200)
        ],
    )
    batch = (await first.stub.SendBatch(request, metadata=ADMIN, timeout=30)).batch
    await eventually(lambda: _some(smtp, "@restart.test"))
    await close_service(first)  # stops mid-way: the rest stays queued in the stream and the table
    second = await open_service(notif_settings, notif_config(smtp_url=smtp.url()))
    try:

        async def done() -> bool:
            got = await second.stub.GetNotificationBatch(
                pb.GetNotificationBatchRequest(batch_id=batch.id), metadata=ADMIN, timeout=10
            )
            return got.batch.sent == 200

        await eventually(done, seconds=90)
    finally:
        await close_service(second)
    mails = [m for m in smtp.messages if m["To"].endswith("@restart.test")]
    assert len({m["Message-ID"] for m in mails}) == 200
    assert len(mails) == 200


async def _some(smtp: SmtpSink, suffix: str) -> bool:
    return any(m["To"].endswith(suffix) for m in smtp.messages)


async def test_a_subject_with_line_breaks_cannot_inject_headers(service: Service, smtp: SmtpSink) -> None:
    request = _send(f"h-{uuid.uuid4()}", "headers@example.com", subject="Hi\r\nBcc: victim@example.com")
    sent = (await service.stub.Send(request, metadata=ADMIN)).notification
    assert sent.subject == "Hi Bcc: victim@example.com"
    [mail] = await eventually(lambda: _mails(smtp, "headers@example.com"))
    assert mail["Bcc"] is None
    assert smtp.to("victim@example.com") == []


async def _mails(smtp: SmtpSink, address: str) -> list[object]:
    return list(smtp.to(address))


async def test_a_connection_the_server_dropped_is_replaced_without_a_retry(
    service: Service, smtp: SmtpSink
) -> None:
    first = (
        await service.stub.Send(_send(f"c-{uuid.uuid4()}", "conn@example.com"), metadata=ADMIN)
    ).notification
    assert (await settled(service, first.id)).status == pb.NOTIFICATION_STATUS_SENT
    smtp.restart()  # every idle connection the service kept is now dead
    second = (
        await service.stub.Send(_send(f"c-{uuid.uuid4()}", "conn@example.com"), metadata=ADMIN)
    ).notification
    done = await settled(service, second.id)
    assert (done.status, done.attempts) == (pb.NOTIFICATION_STATUS_SENT, 1)
    assert len(smtp.to("conn@example.com")) == 2
