"""conversation's gRPC servicer: one class assembled from per-area mixins.

Each mixin overrides the RPCs of one area (conversations, messages, sharing, export,
search, generation); whatever none of them overrides answers UNIMPLEMENTED through the
sanctioned stub base. Mixins reach their dependencies via
``self.deps``, which `conversation/assembly.py` builds.
"""

from __future__ import annotations

from chatmesh.conversation.v1 import conversation_pb2, conversation_pb2_grpc

from conversation.api.conversations import ConversationsApi
from conversation.api.export import ExportApi
from conversation.api.generation import GenerationApi
from conversation.api.messages import MessagesApi
from conversation.api.search import SearchApi
from conversation.api.sharing import SharingApi
from conversation.deps import ConversationDeps
from mesh.server import ServiceBinding, unimplemented

__all__ = ["SERVICE_NAME", "ConversationServicer", "binding"]

SERVICE_NAME: str = conversation_pb2.DESCRIPTOR.services_by_name["ConversationService"].full_name

_Unbuilt = unimplemented(conversation_pb2_grpc.ConversationServiceServicer, issue="no mixin serves it")


class ConversationServicer(
    ConversationsApi,
    MessagesApi,
    SharingApi,
    ExportApi,
    SearchApi,
    GenerationApi,
    _Unbuilt,  # type: ignore[misc,valid-type]
):
    def __init__(self, deps: ConversationDeps) -> None:
        self.deps = deps


def binding(deps: ConversationDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=conversation_pb2_grpc.add_ConversationServiceServicer_to_server,
        servicer=ConversationServicer(deps),
    )
