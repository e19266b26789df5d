"""orchestrator's gRPC servicer: protobuf in, domain calls, protobuf out.

Every RPC answers UNIMPLEMENTED until issue 6 builds it; the binding is what
`orchestrator/__main__.py` hands to mesh.server.
"""

from __future__ import annotations

from chatmesh.orchestrator.v1 import orchestrator_pb2, orchestrator_pb2_grpc

from mesh.server import ServiceBinding, unimplemented

SERVICE_NAME: str = orchestrator_pb2.DESCRIPTOR.services_by_name["OrchestratorService"].full_name

Servicer = unimplemented(orchestrator_pb2_grpc.OrchestratorServiceServicer, issue="issue 6")


def binding() -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=orchestrator_pb2_grpc.add_OrchestratorServiceServicer_to_server,
        servicer=Servicer(),
    )
