"""model_router's gRPC servicer: protobuf in, domain calls, protobuf out.

Every RPC answers UNIMPLEMENTED until issue 5 builds it; the binding is what
`model_router/__main__.py` hands to mesh.server.
"""

from __future__ import annotations

from chatmesh.model_router.v1 import model_router_pb2, model_router_pb2_grpc

from mesh.server import ServiceBinding, unimplemented

SERVICE_NAME: str = model_router_pb2.DESCRIPTOR.services_by_name["ModelRouterService"].full_name

Servicer = unimplemented(model_router_pb2_grpc.ModelRouterServiceServicer, issue="issue 5")


def binding() -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server,
        servicer=Servicer(),
    )
