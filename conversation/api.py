"""conversation's gRPC servicer: protobuf in, domain calls, protobuf out.

Every RPC answers UNIMPLEMENTED until issue 6 builds it; the binding is what
`conversation/__main__.py` hands to mesh.server.
"""

from __future__ import annotations

from chatmesh.conversation.v1 import conversation_pb2, conversation_pb2_grpc

from mesh.server import ServiceBinding, unimplemented

SERVICE_NAME: str = conversation_pb2.DESCRIPTOR.services_by_name["ConversationService"].full_name

Servicer = unimplemented(conversation_pb2_grpc.ConversationServiceServicer, issue="issue 6")


def binding() -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=conversation_pb2_grpc.add_ConversationServiceServicer_to_server,
        servicer=Servicer(),
    )
