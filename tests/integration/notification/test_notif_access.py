"""Who may do what: users see only their own inbox; admins send only inside their tenant."""

from __future__ import annotations

import uuid

import grpc
import pytest
from chatmesh.notification.v1 import notifications_pb2 as pb
from chatmesh.notification.v1 import preferences_pb2 as prefs_pb

from tests.integration.notification.notif_harness import (
    ADMIN,
    ALICE,
    ALICE_ID,
    BOB,
    BOB_ID,
    MALLORY,
    ROOT,
    Service,
    eventually,
)

IN_APP = pb.NOTIFICATION_CHANNEL_IN_APP


def _note(user_id: str, subject: str, *, category: str = "product", tenant_id: str = "") -> pb.SendRequest:
    return pb.SendRequest(
        idempotency_key=str(uuid.uuid4()),
        tenant_id=tenant_id,
        channel=IN_APP,
        category=category,
        recipient=pb.Recipient(user_id=user_id),
        content=pb.NotificationContent(subject=subject, body="b"),
    )


async def _inbox(service: Service, who: list[tuple[str, str]], **kw: object) -> pb.ListNotificationsResponse:
    return await service.stub.ListNotifications(pb.ListNotificationsRequest(**kw), metadata=who, timeout=10)  # type: ignore[arg-type]


async def _code(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value.code()


async def test_a_user_cannot_send(service: Service) -> None:
    assert (
        await _code(service.stub.Send(_note(BOB_ID, "x"), metadata=ALICE))
        == grpc.StatusCode.PERMISSION_DENIED
    )


async def test_a_tenant_admin_reaches_only_its_own_tenant(service: Service) -> None:
    # mallory administers t2 and names alice's user id: the note lands in t2, not in alice's inbox.
    sent = (await service.stub.Send(_note(ALICE_ID, "from t2"), metadata=MALLORY)).notification
    assert sent.tenant_id == "t2"
    other = service.stub.Send(_note(ALICE_ID, "x", tenant_id="t1"), metadata=MALLORY)
    assert await _code(other) == grpc.StatusCode.PERMISSION_DENIED
    await service.stub.Send(_note(ALICE_ID, "from t1"), metadata=ADMIN)
    await service.stub.Send(_note(ALICE_ID, "from root", tenant_id="t1"), metadata=ROOT)

    async def subjects() -> set[str]:
        found = {n.subject for n in (await _inbox(service, ALICE)).notifications}
        return found if {"from t1", "from root"} <= found else set()

    assert "from t2" not in await eventually(subjects)
    hidden = service.stub.GetNotification(pb.GetNotificationRequest(notification_id=sent.id), metadata=ALICE)
    assert await _code(hidden) == grpc.StatusCode.NOT_FOUND


async def test_users_see_read_and_delete_only_their_own(service: Service) -> None:
    mine = (await service.stub.Send(_note(BOB_ID, "for bob"), metadata=ADMIN)).notification
    await eventually(lambda: _has(service, BOB, mine.id))
    stolen = service.stub.GetNotification(pb.GetNotificationRequest(notification_id=mine.id), metadata=ALICE)
    assert await _code(stolen) == grpc.StatusCode.NOT_FOUND
    marked = await service.stub.MarkRead(pb.MarkReadRequest(notification_ids=[mine.id]), metadata=ALICE)
    assert marked.updated_count == 0
    gone = service.stub.DeleteNotification(
        pb.DeleteNotificationRequest(notification_id=mine.id), metadata=ALICE
    )
    assert await _code(gone) == grpc.StatusCode.NOT_FOUND
    peek = service.stub.ListNotifications(pb.ListNotificationsRequest(user_id=BOB_ID), metadata=ALICE)
    assert await _code(peek) == grpc.StatusCode.PERMISSION_DENIED
    assert mine.id in {n.id for n in (await _inbox(service, ADMIN, user_id=BOB_ID)).notifications}

    before = (await _inbox(service, BOB)).unread_count
    marked = await service.stub.MarkRead(pb.MarkReadRequest(notification_ids=[mine.id]), metadata=BOB)
    assert (marked.updated_count, marked.unread_count) == (1, before - 1)
    await service.stub.DeleteNotification(pb.DeleteNotificationRequest(notification_id=mine.id), metadata=BOB)
    assert mine.id not in {n.id for n in (await _inbox(service, BOB)).notifications}


async def test_inbox_pages_filters_unread_and_counts(service: Service) -> None:
    for i in range(5):
        await service.stub.Send(_note(BOB_ID, f"page {i}", category="paging"), metadata=ADMIN)

    async def five() -> list[pb.Notification]:
        got = (await _inbox(service, BOB, category="paging", page_size=50)).notifications
        return (
            list(got)
            if len(got) == 5 and all(n.status == pb.NOTIFICATION_STATUS_DELIVERED for n in got)
            else []
        )

    everything = await eventually(five)
    first = await _inbox(service, BOB, category="paging", page_size=2)
    second = await _inbox(service, BOB, category="paging", page_size=2, page_token=first.next_page_token)
    third = await _inbox(service, BOB, category="paging", page_size=2, page_token=second.next_page_token)
    paged = [n.id for page in (first, second, third) for n in page.notifications]
    assert paged == [n.id for n in everything]
    assert third.next_page_token == ""
    await service.stub.MarkRead(pb.MarkReadRequest(notification_ids=[everything[0].id]), metadata=BOB)
    unread = await _inbox(service, BOB, category="paging", unread_only=True)
    assert everything[0].id not in {n.id for n in unread.notifications}
    assert len(unread.notifications) == 4
    bad = service.stub.ListNotifications(pb.ListNotificationsRequest(page_token="nope"), metadata=BOB)
    assert await _code(bad) == grpc.StatusCode.INVALID_ARGUMENT


async def test_opt_outs_suppress_but_security_notices_still_arrive(service: Service) -> None:
    off = prefs_pb.Preferences(
        categories=[
            prefs_pb.CategoryPreference(
                category="digest", channels=[prefs_pb.ChannelPreference(channel=IN_APP, enabled=False)]
            )
        ]
    )
    updated = await service.stub.UpdatePreferences(
        prefs_pb.UpdatePreferencesRequest(preferences=off), metadata=ALICE
    )
    assert updated.preferences.categories[0].category == "digest"
    muted = (
        await service.stub.Send(_note(ALICE_ID, "digest", category="digest"), metadata=ADMIN)
    ).notification
    assert muted.status == pb.NOTIFICATION_STATUS_SUPPRESSED
    urgent = (
        await service.stub.Send(_note(ALICE_ID, "alert", category="security"), metadata=ADMIN)
    ).notification
    assert urgent.status == pb.NOTIFICATION_STATUS_DELIVERED  # stored in the inbox is delivered
    await eventually(lambda: _has(service, ALICE, urgent.id))
    assert muted.id not in {n.id for n in (await _inbox(service, ALICE)).notifications}

    security_off = prefs_pb.Preferences(categories=[prefs_pb.CategoryPreference(category="security")])
    refused = service.stub.UpdatePreferences(
        prefs_pb.UpdatePreferencesRequest(preferences=security_off), metadata=ALICE
    )
    assert await _code(refused) == grpc.StatusCode.INVALID_ARGUMENT
    got = await service.stub.GetPreferences(prefs_pb.GetPreferencesRequest(), metadata=ALICE)
    assert [c.category for c in got.preferences.categories] == ["digest"]
    bob_view = await service.stub.GetPreferences(prefs_pb.GetPreferencesRequest(), metadata=BOB)
    assert list(bob_view.preferences.categories) == []


async def _has(service: Service, who: list[tuple[str, str]], nid: str) -> bool:
    return nid in {n.id for n in (await _inbox(service, who)).notifications}


async def test_quiet_hours_hold_email_but_not_the_inbox(service: Service) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=2)).strftime("%H:%M")
    quiet = prefs_pb.Preferences(quiet_hours=prefs_pb.QuietHours(start=start, end=end, time_zone="UTC"))
    await service.stub.UpdatePreferences(prefs_pb.UpdatePreferencesRequest(preferences=quiet), metadata=BOB)
    email = pb.SendRequest(
        idempotency_key=str(uuid.uuid4()),
        channel=pb.NOTIFICATION_CHANNEL_EMAIL,
        category="product",
        recipient=pb.Recipient(user_id=BOB_ID, email="bob@example.com"),
        content=pb.NotificationContent(subject="quiet", body="b"),
    )
    held = (await service.stub.Send(email, metadata=ADMIN)).notification
    assert held.status == pb.NOTIFICATION_STATUS_PENDING
    assert held.send_time.ToDatetime(UTC) > now + timedelta(hours=1)
    inbox = (await service.stub.Send(_note(BOB_ID, "quiet inbox"), metadata=ADMIN)).notification
    assert inbox.status == pb.NOTIFICATION_STATUS_DELIVERED
    urgent = pb.SendRequest()
    urgent.CopyFrom(email)
    urgent.idempotency_key = str(uuid.uuid4())
    urgent.priority = pb.NOTIFICATION_PRIORITY_HIGH
    now_sent = (await service.stub.Send(urgent, metadata=ADMIN)).notification
    assert now_sent.send_time.ToDatetime(UTC) < now + timedelta(minutes=5)
