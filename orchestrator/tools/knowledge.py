"""The knowledge_search built-in, and the Search call orchestrator makes to the knowledge service.

The knowledge bases a turn may search are the ones attached to it: the turn runner sets
them with :func:`attached_knowledge_bases` around its tool calls, and a model that names
no ids searches those. Until knowledge's Search is built it answers UNIMPLEMENTED, which
becomes FAILED_PRECONDITION "knowledge search is not available" (the turn must not
silently answer without retrieval).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import grpc
from chatmesh.knowledge.v1 import search_pb2

from mesh.errors import DomainError, FailedPrecondition, Unavailable, parse_rpc_error
from orchestrator.tools.errors import ToolError

__all__ = ["PARAMETERS", "KnowledgeSearch", "attached_knowledge_bases", "citation_of"]

NOT_AVAILABLE = "knowledge search is not available"
SNIPPET_CHARS = 4000
_ATTACHED: ContextVar[tuple[str, ...]] = ContextVar("orchestrator_attached_knowledge_bases", default=())

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "What to look for."},
        "knowledge_base_ids": {
            "type": "array",
            "items": {"type": "string", "maxLength": 64},
            "maxItems": 20,
            "description": "Knowledge bases to search (default: the ones attached to the conversation).",
        },
        "top_k": {
            "type": "integer",
            "minimum": 1,
            "maximum": 20,
            "description": "Results wanted (default 5).",
        },
    },
    "required": ["query"],
    "additionalProperties": False,
}


@contextlib.contextmanager
def attached_knowledge_bases(ids: Sequence[str]) -> Iterator[None]:
    """Within this block, knowledge_search without explicit ids searches ``ids``."""
    token = _ATTACHED.set(tuple(ids))
    try:
        yield
    finally:
        _ATTACHED.reset(token)


def citation_of(index: int, result: search_pb2.SearchResult) -> dict[str, Any]:
    """One numbered citation, keyed exactly like orchestrator.v1.Citation (``Citation(**c)`` works)."""
    source = result.source
    return {
        "index": index,
        "knowledge_base_id": source.knowledge_base_id or result.chunk.knowledge_base_id,
        "document_id": source.document_id or result.chunk.document_id,
        "chunk_id": result.chunk.id,
        "title": source.title or source.filename,
        "source_uri": source.source_uri,
        "snippet": result.chunk.content[:SNIPPET_CHARS],
        "score": round(float(result.score), 6),
        "page": source.page or result.chunk.page,
        "start_offset": source.start_offset or result.chunk.start_offset,
        "end_offset": source.end_offset or result.chunk.end_offset,
        "heading": source.heading or result.chunk.heading,
    }


def _block(index: int, result: search_pb2.SearchResult) -> str:
    page = result.source.page or result.chunk.page
    where = f", page {page}" if page else ""
    title = result.source.title or result.source.filename or result.chunk.document_id
    return f"[{index}] {title}{where}\n{result.chunk.content[:SNIPPET_CHARS]}"


class KnowledgeSearch:
    """Calls knowledge's Search through a stub obtained lazily (the service may start later)."""

    def __init__(self, stub: Callable[[], Any] | None) -> None:
        self._stub = stub

    async def search(
        self, query: str, knowledge_base_ids: Sequence[str], top_k: int
    ) -> list[search_pb2.SearchResult]:
        """The best chunks, best first; FailedPrecondition when search is not available."""
        if self._stub is None:
            raise FailedPrecondition(
                f"{NOT_AVAILABLE} (no knowledge service configured)", reason="KNOWLEDGE_UNAVAILABLE"
            )
        request = search_pb2.SearchRequest(
            query=query, knowledge_base_ids=list(knowledge_base_ids), top_k=top_k
        )
        try:
            response = await self._stub().Search(request)
        except grpc.aio.AioRpcError as exc:
            code, message, _ = parse_rpc_error(exc)
            if code == grpc.StatusCode.UNIMPLEMENTED:
                raise FailedPrecondition(NOT_AVAILABLE, reason="KNOWLEDGE_UNAVAILABLE") from None
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise Unavailable(f"{NOT_AVAILABLE} right now: {message}") from None
            raise FailedPrecondition(
                f"knowledge search failed: {message}", reason="KNOWLEDGE_SEARCH_FAILED"
            ) from None
        return list(response.results[:top_k])

    async def run(self, arguments: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        ids = list(arguments.get("knowledge_base_ids") or _ATTACHED.get())
        if not ids:
            raise ToolError("no knowledge base is attached to this conversation")
        try:
            results = await self.search(str(arguments["query"]), ids, int(arguments.get("top_k") or 5))
        except DomainError as exc:
            raise ToolError(f"{exc.code.name}: {exc.message}") from None
        if not results:
            return "No matching passages were found.", []
        numbered = list(enumerate(results, start=1))
        return "\n\n".join(_block(i, r) for i, r in numbered), [citation_of(i, r) for i, r in numbered]
