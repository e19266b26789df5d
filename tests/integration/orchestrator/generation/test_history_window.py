"""Context from other services: conversation's window when no messages are sent; knowledge's chunks."""

from __future__ import annotations

from typing import Any

from chatmesh.conversation.v1 import conversation_pb2, conversation_pb2_grpc, conversations_pb2, resources_pb2
from chatmesh.knowledge.v1 import knowledge_pb2, knowledge_pb2_grpc, search_pb2
from chatmesh.knowledge.v1 import resources_pb2 as resources_kb
from chatmesh.orchestrator.v1 import generation_pb2

from mesh.config import Settings
from mesh.server import ServiceBinding
from tests.fakes.llm_upstream import FakeReply
from tests.integration.orchestrator.generation.orch_gen_harness import orchestrator_mesh, request


def _message(role: int, text: str) -> resources_pb2.Message:
    return resources_pb2.Message(role=role, parts=[resources_pb2.ContentPart(text=text)])  # type: ignore[arg-type]


class WindowConversation(conversation_pb2_grpc.ConversationServiceServicer):
    def __init__(self) -> None:
        self.asked: list[conversations_pb2.GetContextWindowRequest] = []

    async def GetContextWindow(
        self, request: conversations_pb2.GetContextWindowRequest, context: Any
    ) -> conversations_pb2.GetContextWindowResponse:
        self.asked.append(request)
        return conversations_pb2.GetContextWindowResponse(
            system_prompt="You are terse. Today is {{date}}.",
            summary="Earlier they greeted each other.",
            messages=[
                _message(resources_pb2.MESSAGE_ROLE_USER, "Hi"),
                _message(resources_pb2.MESSAGE_ROLE_ASSISTANT, "Hello!"),
                _message(resources_pb2.MESSAGE_ROLE_TOOL, "ignored tool output"),
                _message(resources_pb2.MESSAGE_ROLE_USER, "Name a colour."),
            ],
        )


async def test_window_from_conversation_is_the_prompt(settings: Settings, migrated_database: str) -> None:
    conversation = WindowConversation()
    binding = ServiceBinding(
        conversation_pb2.DESCRIPTOR.services_by_name["ConversationService"].full_name,
        conversation_pb2_grpc.add_ConversationServiceServicer_to_server,
        conversation,
    )
    async with orchestrator_mesh(settings, extra=[binding]) as mesh:
        mesh.upstream.reply = FakeReply(pieces=("Blue.",))
        req = request("gen-window-1")
        del req.messages[:]
        events = [event async for event in mesh.stub.Generate(req)]
    assert events[-1].completed.content == "Blue."
    [asked] = conversation.asked
    assert (asked.conversation_id, asked.leaf_message_id, asked.model) == ("conv-1", "msg-1", "gpt-4o-mini")
    sent = mesh.upstream.requests[-1].body["messages"]
    assert [m["role"] for m in sent] == ["system", "system", "user", "assistant", "user"]
    assert sent[0]["content"].startswith("You are terse. Today is 2")
    assert sent[1]["content"].endswith("Earlier they greeted each other.")
    assert sent[-1]["content"] == "Name a colour."
    assert events[0].started.model == "gpt-4o-mini"
    assert generation_pb2.FINISH_REASON_STOP == events[-1].completed.finish_reason


class SearchingKnowledge(knowledge_pb2_grpc.KnowledgeServiceServicer):
    def __init__(self) -> None:
        self.asked: list[search_pb2.SearchRequest] = []

    async def Search(self, request: search_pb2.SearchRequest, context: Any) -> search_pb2.SearchResponse:
        self.asked.append(request)
        return search_pb2.SearchResponse(
            results=[
                search_pb2.SearchResult(
                    chunk=resources_kb.Chunk(id=f"ch-{i}", document_id="doc-1", content=text),
                    score=0.9 - i / 10,
                    source=search_pb2.SourceReference(
                        knowledge_base_id="kb-1", document_id="doc-1", title="Guide"
                    ),
                )
                for i, text in enumerate(("Reset with the red button.", "Hold it for 5 s."))
            ]
        )


async def test_retrieved_chunks_are_numbered_sources_and_citations(
    settings: Settings, migrated_database: str
) -> None:
    knowledge = SearchingKnowledge()
    binding = ServiceBinding(
        knowledge_pb2.DESCRIPTOR.services_by_name["KnowledgeService"].full_name,
        knowledge_pb2_grpc.add_KnowledgeServiceServicer_to_server,
        knowledge,
    )
    async with orchestrator_mesh(settings, extra=[binding]) as mesh:
        mesh.upstream.reply = FakeReply(pieces=("Press the red button [1].",))
        req = request("gen-kb-1", "How do I reset it?", knowledge_base_ids=["kb-1"], retrieval_top_k=2)
        events = [event async for event in mesh.stub.Generate(req)]
    [asked] = knowledge.asked
    assert (asked.query, list(asked.knowledge_base_ids), asked.top_k) == ("How do I reset it?", ["kb-1"], 2)
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds.index("citations") < kinds.index("text_delta")
    citations = events[-1].completed.citations
    assert [(c.index, c.chunk_id, c.title) for c in citations] == [(1, "ch-0", "Guide"), (2, "ch-1", "Guide")]
    sources = mesh.upstream.requests[-1].body["messages"][-2]
    assert sources["role"] == "system"
    assert "[1] Guide\nReset with the red button." in sources["content"]
    assert "[2] Guide\nHold it for 5 s." in sources["content"]
