"""knowledge's gRPC servicer: one class assembled from per-area mixins (knowledge bases,
uploads, documents, jobs, search). Mixins reach their dependencies via ``self.deps``."""

from __future__ import annotations

from chatmesh.knowledge.v1 import knowledge_pb2, knowledge_pb2_grpc

from knowledge.api.documents import DocumentsApi
from knowledge.api.jobs import JobsApi
from knowledge.api.knowledge_bases import KnowledgeBasesApi
from knowledge.api.search import SearchApi
from knowledge.api.uploads import UploadsApi
from knowledge.deps import KnowledgeDeps
from knowledge.search.service import Searcher
from mesh.server import ServiceBinding, unimplemented

__all__ = ["SERVICE_NAME", "KnowledgeServicer", "binding"]

SERVICE_NAME: str = knowledge_pb2.DESCRIPTOR.services_by_name["KnowledgeService"].full_name

_Unbuilt = unimplemented(knowledge_pb2_grpc.KnowledgeServiceServicer, issue="no mixin serves it")


class KnowledgeServicer(
    KnowledgeBasesApi,
    UploadsApi,
    DocumentsApi,
    JobsApi,
    SearchApi,
    _Unbuilt,  # type: ignore[misc,valid-type]
):
    def __init__(self, deps: KnowledgeDeps) -> None:
        self.deps = deps
        self.searcher = Searcher(deps)
        self._indexed_dims: set[int] = set()


def binding(deps: KnowledgeDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=knowledge_pb2_grpc.add_KnowledgeServiceServicer_to_server,
        servicer=KnowledgeServicer(deps),
    )
