"""Scheduled sends wait for their time (the scheduler queues them); stats count what happened."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from chatmesh.notification.v1 import notifications_pb2 as pb
from google.protobuf import timestamp_pb2

from tests.integration.notification.notif_harness import ADMIN, ALICE, BOB_ID, Service, eventually


async def test_a_scheduled_notification_is_delivered_after_its_send_time(service: Service) -> None:
    when = timestamp_pb2.Timestamp()
    when.FromDatetime(datetime.now(UTC) + timedelta(seconds=2))
    request = pb.SendRequest(
        idempotency_key=str(uuid.uuid4()),
        channel=pb.NOTIFICATION_CHANNEL_IN_APP,
        category="product",
        recipient=pb.Recipient(user_id=BOB_ID),
        content=pb.NotificationContent(subject="later", body="b"),
        send_time=when,
    )
    sent = (await service.stub.Send(request, metadata=ADMIN)).notification
    assert sent.status == pb.NOTIFICATION_STATUS_PENDING
    assert sent.send_time.seconds == when.seconds

    async def delivered() -> pb.Notification | None:
        got = await service.stub.GetNotification(
            pb.GetNotificationRequest(notification_id=sent.id), metadata=ADMIN
        )
        return got.notification if got.notification.status == pb.NOTIFICATION_STATUS_DELIVERED else None

    done = await eventually(delivered)
    assert done.deliver_time.ToDatetime(UTC) >= when.ToDatetime(UTC)


async def test_delivery_stats_count_per_channel_for_admins_only(service: Service) -> None:
    for i in range(3):
        await service.stub.Send(
            pb.SendRequest(
                idempotency_key=str(uuid.uuid4()),
                channel=pb.NOTIFICATION_CHANNEL_IN_APP,
                category="stats",
                recipient=pb.Recipient(user_id=BOB_ID),
                content=pb.NotificationContent(subject=f"s{i}", body="b"),
            ),
            metadata=ADMIN,
        )

    async def counted() -> pb.GetDeliveryStatsResponse | None:
        got = await service.stub.GetDeliveryStats(
            pb.GetDeliveryStatsRequest(category="stats"), metadata=ADMIN
        )
        return got if got.totals.delivered == 3 else None

    stats = await eventually(counted)
    assert stats.totals.total == 3 and stats.totals.delivery_rate == 1.0
    assert [c.channel for c in stats.channels] == [pb.NOTIFICATION_CHANNEL_IN_APP]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.GetDeliveryStats(pb.GetDeliveryStatsRequest(), metadata=ALICE)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
