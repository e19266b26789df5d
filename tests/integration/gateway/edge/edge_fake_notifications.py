"""A small in-memory NotificationService for the OpenAPI conformance run.

Enough behaviour to exercise every JSON mapping of its messages (Struct, enums, Timestamps,
repeated and nested messages, FieldMask) and the error paths (NotFound, InvalidArgument),
without the real service's storage. Subscribe yields two events and ends, so generated
requests to the stream never hang.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from chatmesh.notification.v1 import notification_pb2_grpc, notifications_pb2, preferences_pb2
from google.protobuf import timestamp_pb2

from mesh.errors import FieldViolation, InvalidArgument, NotFound

MAX_PAGE_SIZE = 100


def _notification(notification_id: str) -> notifications_pb2.Notification:
    note = notifications_pb2.Notification(
        id=notification_id,
        tenant_id="t1",
        category="security",
        subject="New sign-in",
        body="A new device signed in.",
        priority=notifications_pb2.NOTIFICATION_PRIORITY_HIGH,
        attempts=1,
    )
    note.data.update({"device": "phone", "count": 2, "tags": ["a", None]})
    note.create_time.CopyFrom(timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=5_000))
    return note


class FakeNotificationService(notification_pb2_grpc.NotificationServiceServicer):
    async def GetNotification(
        self, request: notifications_pb2.GetNotificationRequest, context: grpc.aio.ServicerContext
    ) -> notifications_pb2.GetNotificationResponse:
        if not request.notification_id or request.notification_id.startswith("missing"):
            raise NotFound(f"notification {request.notification_id!r} not found")
        return notifications_pb2.GetNotificationResponse(notification=_notification(request.notification_id))

    async def ListNotifications(
        self, request: notifications_pb2.ListNotificationsRequest, context: grpc.aio.ServicerContext
    ) -> notifications_pb2.ListNotificationsResponse:
        if request.page_size < 0:
            raise InvalidArgument("bad page size", [FieldViolation("page_size", "must not be negative")])
        count = min(request.page_size or 3, MAX_PAGE_SIZE, 5)
        return notifications_pb2.ListNotificationsResponse(
            notifications=[_notification(f"n{i}") for i in range(count)],
            next_page_token="next",
            unread_count=4,
        )

    async def MarkRead(
        self, request: notifications_pb2.MarkReadRequest, context: grpc.aio.ServicerContext
    ) -> notifications_pb2.MarkReadResponse:
        return notifications_pb2.MarkReadResponse(updated_count=len(request.notification_ids), unread_count=1)

    async def DeleteNotification(
        self, request: notifications_pb2.DeleteNotificationRequest, context: grpc.aio.ServicerContext
    ) -> notifications_pb2.DeleteNotificationResponse:
        if request.notification_id.startswith("missing"):
            raise NotFound("no such notification")
        return notifications_pb2.DeleteNotificationResponse()

    async def GetPreferences(
        self, request: preferences_pb2.GetPreferencesRequest, context: grpc.aio.ServicerContext
    ) -> preferences_pb2.GetPreferencesResponse:
        preferences = preferences_pb2.Preferences(user_id=request.user_id or "u1")
        return preferences_pb2.GetPreferencesResponse(preferences=preferences)

    async def UpdatePreferences(
        self, request: preferences_pb2.UpdatePreferencesRequest, context: grpc.aio.ServicerContext
    ) -> preferences_pb2.UpdatePreferencesResponse:
        return preferences_pb2.UpdatePreferencesResponse(preferences=request.preferences)

    async def Subscribe(
        self, request: notifications_pb2.SubscribeRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[notifications_pb2.SubscribeResponse]:
        yield notifications_pb2.SubscribeResponse(event_id="e1", notification=_notification("n1"))
        state = notifications_pb2.InboxState(unread_count=2, read_notification_ids=["n1"])
        yield notifications_pb2.SubscribeResponse(event_id="e2", inbox_state=state)
