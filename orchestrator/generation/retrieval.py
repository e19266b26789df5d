"""Knowledge retrieval for a turn: knowledge's Search, turned into numbered citations.

A turn with knowledge bases attached must not answer without them: while knowledge cannot
search (its Search is UNIMPLEMENTED until its issue is built), the turn fails with
FAILED_PRECONDITION before anything is generated. Other failures keep their own status
(UNAVAILABLE stays retryable).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import grpc
from chatmesh.knowledge.v1 import search_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from mesh.errors import FailedPrecondition, error_from_rpc

__all__ = ["StubSource", "retrieve"]

SNIPPET_CHARS = 4000


class StubSource(Protocol):
    """Where stubs of other services come from (mesh.clients.ServiceClients, or a test's)."""

    def stub(self, service: str) -> Any: ...


def _not_available(reason: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"knowledge search is not available ({reason}); the turn needs its attached knowledge bases",
        reason="KNOWLEDGE_SEARCH_UNAVAILABLE",
    )


async def retrieve(
    stubs: StubSource | None, query: str, knowledge_base_ids: Sequence[str], top_k: int
) -> list[generation_pb2.Citation]:
    """Chunks for ``query`` as citations numbered from 1, best first."""
    if stubs is None:
        raise _not_available("no knowledge client configured")
    request = search_pb2.SearchRequest(
        query=query,
        knowledge_base_ids=list(knowledge_base_ids),
        top_k=top_k,
        mode=search_pb2.SEARCH_MODE_HYBRID,
    )
    try:
        response = await stubs.stub("knowledge").Search(request)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            raise _not_available("the knowledge service cannot search yet") from None
        raise error_from_rpc(exc) from None
    citations = []
    for index, result in enumerate(response.results[:top_k], start=1):
        chunk, source = result.chunk, result.source
        citations.append(
            generation_pb2.Citation(
                index=index,
                knowledge_base_id=source.knowledge_base_id or chunk.knowledge_base_id,
                document_id=source.document_id or chunk.document_id,
                chunk_id=chunk.id,
                title=source.title or source.filename,
                source_uri=source.source_uri,
                snippet=chunk.content[:SNIPPET_CHARS],
                score=result.score,
                page=source.page or chunk.page,
                start_offset=source.start_offset or chunk.start_offset,
                end_offset=source.end_offset or chunk.end_offset,
                heading=source.heading or chunk.heading,
            )
        )
    return citations
