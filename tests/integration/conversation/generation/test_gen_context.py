"""Context windows over long histories: the rolling summary, GetContextWindow, Summarize, GenerateTitle,
and Stop from another instance."""

from __future__ import annotations

import uuid
from typing import Any

from chatmesh.conversation.v1 import conversations_pb2, messages_pb2, resources_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from conversation.context.summary_prompt import TITLE_INSTRUCTIONS
from conversation.context.windows import DEFAULT_WINDOW
from conversation.store import messages as message_store
from mesh.config import Settings
from tests.fakes.orchestrator_fake import Script
from tests.integration.conversation.generation.gen_harness import (
    ALICE,
    TIMEOUT,
    Chat,
    close_chat,
    collect,
    kinds,
    open_chat,
)

SYSTEM = "You are a careful assistant for the Acme support desk."


def summarizing(chat: Chat) -> list[generation_pb2.GenerateRequest]:
    """Background requests answer with a summary naming how many there were so far."""
    asked: list[generation_pb2.GenerateRequest] = []

    def answer(request: generation_pb2.GenerateRequest) -> Script | None:
        if request.priority != generation_pb2.GENERATION_PRIORITY_BACKGROUND:
            return None
        asked.append(request)
        if request.settings.system_prompt == TITLE_INSTRUCTIONS:
            return Script(deltas=["Acme support"])
        return Script(deltas=[f"Summary number {len(asked)} of the earlier turns."])

    chat.fake.choose = answer
    return asked


async def long_conversation(chat: Chat, turns: int, *, model: str = "house-model") -> tuple[str, list[str]]:
    conversation = await chat.conversation(
        settings=resources_pb2.ConversationSettings(model=model, system_prompt=SYSTEM)
    )
    ids: list[str] = []
    parent: uuid.UUID | None = None
    async with chat.deps.sessions.begin() as session:
        for index in range(turns * 2):
            role = "user" if index % 2 == 0 else "assistant"
            text = f"turn {index // 2} {role}: " + " ".join(f"detail{index}x{w}" for w in range(30))
            row = await message_store.insert_message(
                session,
                tenant_id="t1",
                owner_id=conversation.owner_id,
                conversation_id=uuid.UUID(conversation.id),
                parent_id=parent,
                message=message_store.NewMessage(role=role, parts=[{"text": text}], pinned=index == 1),
            )
            parent = row.id
            ids.append(str(row.id))
    return conversation.id, ids


async def window(
    chat: Chat, conversation_id: str, **fields: Any
) -> conversations_pb2.GetContextWindowResponse:
    request = conversations_pb2.GetContextWindowRequest(conversation_id=conversation_id, **fields)
    return await chat.stub.GetContextWindow(request, metadata=ALICE, timeout=TIMEOUT)


async def test_500_turns_fit_the_window_with_the_system_prompt_latest_turns_and_a_summary(chat: Chat) -> None:
    asked = summarizing(chat)
    conversation_id, ids = await long_conversation(chat, 500)
    first = await window(chat, conversation_id)
    assert first.system_prompt == SYSTEM
    assert first.summary == "Summary number 1 of the earlier turns."
    assert first.token_count <= DEFAULT_WINDOW
    kept = [m.id for m in first.messages]
    assert kept[-4:] == ids[-4:]
    assert ids[1] in kept
    assert len(kept) < 200
    summary_request = asked[0]
    assert "turn 0 user" in summary_request.messages[0].content
    assert summary_request.settings.model == "house-model"

    again = await window(chat, conversation_id)
    assert again.summary == first.summary and len(asked) == 1

    conversation = await chat.stub.GetConversation(
        conversations_pb2.GetConversationRequest(conversation_id=conversation_id),
        metadata=ALICE,
        timeout=TIMEOUT,
    )
    assert conversation.conversation.summary == first.summary


async def test_the_next_turns_extend_the_stored_summary(chat: Chat) -> None:
    asked = summarizing(chat)
    conversation_id, _ = await long_conversation(chat, 120)
    await window(chat, conversation_id)
    for _ in range(12):
        send = messages_pb2.SendMessageRequest(
            conversation_id=conversation_id, content=" ".join(f"more{w}" for w in range(200))
        )
        events = await collect(chat.stub.SendMessage(send, metadata=ALICE, timeout=TIMEOUT))
        assert kinds(events)[-1] == "done"
    summaries = [r for r in asked if r.settings.system_prompt != TITLE_INSTRUCTIONS]
    assert 1 < len(summaries) < 12
    assert "Summary number 1 of the earlier turns." in summaries[1].messages[0].content
    turn = [r for r in chat.fake.requests if r.priority == generation_pb2.GENERATION_PRIORITY_INTERACTIVE][-1]
    assert turn.history_summary.startswith("Summary number")
    assert turn.messages[-1].content.startswith("more0")


async def test_summarize_and_generate_title_on_demand(chat: Chat) -> None:
    summarizing(chat)
    conversation_id, ids = await long_conversation(chat, 3)
    summary = await chat.stub.Summarize(
        conversations_pb2.SummarizeRequest(conversation_id=conversation_id), metadata=ALICE, timeout=TIMEOUT
    )
    assert summary.summary.startswith("Summary number") and summary.through_message_id == ids[-1]
    assert summary.token_count > 0
    title = await chat.stub.GenerateTitle(
        conversations_pb2.GenerateTitleRequest(conversation_id=conversation_id),
        metadata=ALICE,
        timeout=TIMEOUT,
    )
    assert title.title == "Acme support"
    got = await chat.stub.GetConversation(
        conversations_pb2.GetConversationRequest(conversation_id=conversation_id),
        metadata=ALICE,
        timeout=TIMEOUT,
    )
    assert got.conversation.title == "Acme support"


async def test_stop_reaches_the_instance_running_the_turn(chat: Chat, conv_settings: Settings) -> None:
    other = await open_chat(conv_settings)
    try:
        chat.fake.scripts.append(Script(deltas=[f"w{i} " for i in range(50)], delay=0.05, hold=True))
        conversation = await chat.conversation()
        request = messages_pb2.SendMessageRequest(conversation_id=conversation.id, content="go")
        call = chat.stub.SendMessage(request, metadata=ALICE, timeout=TIMEOUT)
        first = await collect(call, until=lambda e: e.WhichOneof("kind") == "delta")
        stop = messages_pb2.StopGenerationRequest(
            conversation_id=conversation.id, generation_id=first[0].generation_id
        )
        assert (await other.stub.StopGeneration(stop, metadata=ALICE, timeout=TIMEOUT)).stopped
        rest = await collect(call)
        assert rest[-1].done.finish_reason == resources_pb2.FINISH_REASON_CANCELLED
        assert [c.generation_id for c in chat.fake.cancels] == [first[0].generation_id]
    finally:
        await close_chat(other)
