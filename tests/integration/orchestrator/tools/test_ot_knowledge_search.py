"""knowledge_search against in-process knowledge servers: one not built yet, one answering."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio
from chatmesh.knowledge.v1 import knowledge_pb2_grpc, resources_pb2, search_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from mesh import unbuilt
from mesh.errors import FailedPrecondition
from orchestrator.config import OrchestratorSettings
from orchestrator.tools.builtins import builtin_tools
from orchestrator.tools.knowledge import KnowledgeSearch, attached_knowledge_bases
from orchestrator.tools.registry import ToolRegistry


class _Knowledge(knowledge_pb2_grpc.KnowledgeServiceServicer):
    def __init__(self) -> None:
        self.requests: list[search_pb2.SearchRequest] = []

    async def Search(self, request: search_pb2.SearchRequest, context: Any) -> search_pb2.SearchResponse:
        self.requests.append(request)
        chunk = resources_pb2.Chunk(
            id="c1", document_id="d1", knowledge_base_id="kb1", content="Paris is in France."
        )
        source = search_pb2.SourceReference(knowledge_base_id="kb1", document_id="d1", title="Atlas", page=3)
        return search_pb2.SearchResponse(
            results=[search_pb2.SearchResult(chunk=chunk, score=0.9, source=source)]
        )


async def _serve(servicer: Any, add: Any) -> tuple[grpc.aio.Server, grpc.aio.Channel]:
    server = grpc.aio.server()
    add(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, grpc.aio.insecure_channel(f"127.0.0.1:{port}")


@pytest_asyncio.fixture(loop_scope="session")
async def knowledge() -> AsyncIterator[tuple[_Knowledge, Any]]:
    servicer = _Knowledge()
    server, channel = await _serve(servicer, knowledge_pb2_grpc.add_KnowledgeServiceServicer_to_server)
    yield servicer, knowledge_pb2_grpc.KnowledgeServiceStub(channel)
    await channel.close(None)
    await server.stop(None)


@pytest_asyncio.fixture(loop_scope="session")
async def unbuilt_knowledge() -> AsyncIterator[Any]:
    binding = unbuilt.binding("knowledge", "KnowledgeService", issue="issue 7")
    server, channel = await _serve(binding.servicer, binding.add_to_server)
    yield knowledge_pb2_grpc.KnowledgeServiceStub(channel)
    await channel.close(None)
    await server.stop(None)


async def test_unbuilt_knowledge_is_a_failed_precondition(unbuilt_knowledge: Any) -> None:
    with pytest.raises(FailedPrecondition, match="knowledge search is not available"):
        await KnowledgeSearch(lambda: unbuilt_knowledge).search("q", ["kb1"], 5)
    registry = ToolRegistry(builtin_tools(OrchestratorSettings(), lambda: unbuilt_knowledge))
    with attached_knowledge_bases(["kb1"]):
        outcome = await registry.call("t1", "knowledge_search", json.dumps({"query": "q"}), timeout=10)
    assert (outcome.status, outcome.error) == (
        "failed",
        "FAILED_PRECONDITION: knowledge search is not available",
    )


async def test_results_come_back_with_citations(knowledge: tuple[_Knowledge, Any]) -> None:
    servicer, stub = knowledge
    registry = ToolRegistry(builtin_tools(OrchestratorSettings(), lambda: stub))
    with attached_knowledge_bases(["kb1", "kb2"]):
        outcome = await registry.call(
            "t1", "knowledge_search", json.dumps({"query": "capital", "top_k": 3}), timeout=10
        )
    assert outcome.status == "succeeded"
    assert outcome.output == "[1] Atlas, page 3\nParis is in France."
    assert outcome.citations == [
        {
            "index": 1,
            "knowledge_base_id": "kb1",
            "document_id": "d1",
            "chunk_id": "c1",
            "title": "Atlas",
            "source_uri": "",
            "snippet": "Paris is in France.",
            "score": pytest.approx(0.9),
            "page": 3,
            "start_offset": 0,
            "end_offset": 0,
            "heading": "",
        }
    ]
    assert generation_pb2.Citation(**outcome.citations[0]).title == "Atlas"
    request = servicer.requests[-1]
    assert (request.query, list(request.knowledge_base_ids), request.top_k) == ("capital", ["kb1", "kb2"], 3)
