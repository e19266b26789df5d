"""notification's gRPC servicer: one class assembled from per-area mixins."""

from __future__ import annotations

from chatmesh.notification.v1 import notification_pb2, notification_pb2_grpc

from mesh.server import ServiceBinding, unimplemented
from notification.api.inbox import InboxApi
from notification.api.preferences import PreferencesApi
from notification.api.sending import SendingApi
from notification.api.stats import StatsApi
from notification.api.templates import TemplatesApi
from notification.deps import NotificationDeps

__all__ = ["SERVICE_NAME", "NotificationServicer", "binding"]

SERVICE_NAME: str = notification_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name

_Unbuilt = unimplemented(notification_pb2_grpc.NotificationServiceServicer, issue="no mixin serves it")


class NotificationServicer(
    SendingApi,
    InboxApi,
    TemplatesApi,
    PreferencesApi,
    StatsApi,
    _Unbuilt,  # type: ignore[misc,valid-type]
):
    def __init__(self, deps: NotificationDeps) -> None:
        self.deps = deps


def binding(deps: NotificationDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=notification_pb2_grpc.add_NotificationServiceServicer_to_server,
        servicer=NotificationServicer(deps),
    )
