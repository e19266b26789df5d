"""knowledge's gRPC servicer: protobuf in, domain calls, protobuf out.

Every RPC answers UNIMPLEMENTED until its issue is planned and built; the binding is what
`knowledge/__main__.py` hands to mesh.server.
"""

from __future__ import annotations

from chatmesh.knowledge.v1 import knowledge_pb2, knowledge_pb2_grpc

from mesh.server import ServiceBinding, unimplemented

SERVICE_NAME: str = knowledge_pb2.DESCRIPTOR.services_by_name["KnowledgeService"].full_name

Servicer = unimplemented(knowledge_pb2_grpc.KnowledgeServiceServicer, issue="not yet planned")


def binding() -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=knowledge_pb2_grpc.add_KnowledgeServiceServicer_to_server,
        servicer=Servicer(),
    )
