"""Subscribe: the inbox's live stream, resumable by event id, only the caller's own events."""

from __future__ import annotations

import asyncio
import uuid

from chatmesh.notification.v1 import notifications_pb2 as pb

from mesh.config import Settings
from tests.integration.notification.notif_harness import (
    ADMIN,
    ALICE,
    ALICE_ID,
    BOB_ID,
    Service,
    close_service,
    notif_config,
    open_service,
)


def _note(user_id: str, subject: str) -> pb.SendRequest:
    return pb.SendRequest(
        idempotency_key=str(uuid.uuid4()),
        channel=pb.NOTIFICATION_CHANNEL_IN_APP,
        category="product",
        recipient=pb.Recipient(user_id=user_id),
        content=pb.NotificationContent(subject=subject, body="b"),
    )


async def test_subscribers_get_their_new_notifications_and_resume_after_a_reconnect(service: Service) -> None:
    call = service.stub.Subscribe(pb.SubscribeRequest(), metadata=ALICE)
    hello = await asyncio.wait_for(call.read(), 10)
    assert hello.HasField("inbox_state")
    await service.stub.Send(_note(BOB_ID, "not for alice"), metadata=ADMIN)
    await service.stub.Send(_note(ALICE_ID, "live one"), metadata=ADMIN)
    first = await asyncio.wait_for(call.read(), 20)
    assert first.notification.subject == "live one"
    call.cancel()

    await service.stub.Send(_note(ALICE_ID, "missed while away"), metadata=ADMIN)
    resumed = service.stub.Subscribe(pb.SubscribeRequest(last_event_id=first.event_id), metadata=ALICE)
    again = await asyncio.wait_for(resumed.read(), 20)
    assert again.notification.subject == "missed while away"
    await service.stub.MarkRead(pb.MarkReadRequest(all=True), metadata=ALICE)
    state = await asyncio.wait_for(resumed.read(), 20)
    assert state.inbox_state.unread_count == 0
    assert again.notification.id in state.inbox_state.read_notification_ids
    resumed.cancel()


async def test_a_push_made_by_another_instance_reaches_the_subscriber(
    service: Service, notif_settings: Settings
) -> None:
    other = await open_service(notif_settings, notif_config(), workers=False)
    try:
        call = service.stub.Subscribe(pb.SubscribeRequest(), metadata=ALICE)
        await asyncio.wait_for(call.read(), 10)
        await other.stub.MarkRead(pb.MarkReadRequest(all=True), metadata=ALICE)
        await other.stub.Send(_note(ALICE_ID, "via other"), metadata=ADMIN)
        seen = [await asyncio.wait_for(call.read(), 20) for _ in range(1)]
        while not any(s.notification.subject == "via other" for s in seen):
            seen.append(await asyncio.wait_for(call.read(), 20))
        call.cancel()
    finally:
        await close_service(other)
