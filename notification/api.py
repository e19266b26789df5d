"""notification's gRPC servicer: protobuf in, domain calls, protobuf out.

Every RPC answers UNIMPLEMENTED until its issue is planned and built; the binding is what
`notification/__main__.py` hands to mesh.server.
"""

from __future__ import annotations

from chatmesh.notification.v1 import notification_pb2, notification_pb2_grpc

from mesh.server import ServiceBinding, unimplemented

SERVICE_NAME: str = notification_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name

Servicer = unimplemented(notification_pb2_grpc.NotificationServiceServicer, issue="not yet planned")


def binding() -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=notification_pb2_grpc.add_NotificationServiceServicer_to_server,
        servicer=Servicer(),
    )
