"""analytics's gRPC servicer: protobuf in, domain calls, protobuf out.

Every RPC answers UNIMPLEMENTED until its issue is planned and built; the binding is what
`analytics/__main__.py` hands to mesh.server.
"""

from __future__ import annotations

from chatmesh.analytics.v1 import analytics_pb2, analytics_pb2_grpc

from mesh.server import ServiceBinding, unimplemented

SERVICE_NAME: str = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name

Servicer = unimplemented(analytics_pb2_grpc.AnalyticsServiceServicer, issue="not yet planned")


def binding() -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server,
        servicer=Servicer(),
    )
