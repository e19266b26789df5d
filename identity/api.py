"""identity's gRPC servicer: protobuf in, domain calls, protobuf out.

Every RPC answers UNIMPLEMENTED until issue 3 builds it; the binding is what
`identity/__main__.py` hands to mesh.server.
"""

from __future__ import annotations

from chatmesh.identity.v1 import identity_pb2, identity_pb2_grpc

from mesh.server import ServiceBinding, unimplemented

SERVICE_NAME: str = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name

Servicer = unimplemented(identity_pb2_grpc.IdentityServiceServicer, issue="issue 3")


def binding() -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        servicer=Servicer(),
    )
