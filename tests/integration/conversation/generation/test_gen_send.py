"""SendMessage end to end against the fake orchestrator: ids first, deltas, the stored answer."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from chatmesh.conversation.v1 import conversations_pb2, messages_pb2, resources_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from tests.fakes.orchestrator_fake import Script
from tests.integration.conversation.generation.gen_harness import (
    ALICE,
    TIMEOUT,
    Chat,
    collect,
    eventually,
    kinds,
    text_of,
)


def interactive(chat: Chat) -> list[generation_pb2.GenerateRequest]:
    return [r for r in chat.fake.requests if r.priority == generation_pb2.GENERATION_PRIORITY_INTERACTIVE]


def send(chat: Chat, conversation_id: str, content: str = "Hi there", **fields: Any) -> Any:
    request = messages_pb2.SendMessageRequest(conversation_id=conversation_id, content=content, **fields)
    return chat.stub.SendMessage(request, metadata=ALICE, timeout=TIMEOUT)


async def test_send_streams_ids_first_then_deltas_and_stores_the_answer(chat: Chat) -> None:
    conversation = await chat.conversation(
        settings=resources_pb2.ConversationSettings(
            model="gpt-4o-mini", system_prompt="Be brief.", temperature=0.3
        )
    )
    events = await collect(send(chat, conversation.id))
    assert kinds(events) == ["started", "delta", "delta", "delta", "usage", "done"]
    started = events[0].started
    assert started.conversation_id == conversation.id and started.model == "gpt-4o-mini"
    assert started.parent_message_id == started.user_message_id
    generation_id = events[0].generation_id
    assert all(e.generation_id == generation_id for e in events)
    assert [e.event_id for e in events] == [f"{generation_id}:{n}" for n in range(1, 7)]
    assert text_of(events) == "Hello, world."
    done = events[-1].done
    assert done.finish_reason == resources_pb2.FINISH_REASON_STOP
    assert done.message.status == resources_pb2.MESSAGE_STATUS_COMPLETE
    assert done.message.parts[0].text == "Hello, world."
    assert done.message.usage.total_tokens == 15
    assert done.message.model == "fake-model"

    stored = await chat.message(conversation.id, started.assistant_message_id)
    assert (stored.status, stored.text, stored.generation_id) == ("complete", "Hello, world.", generation_id)
    assert stored.finish_reason == "stop"
    user = await chat.message(conversation.id, started.user_message_id)
    assert user.text == "Hi there" and user.role == "user"
    assert str(stored.parent_id) == started.user_message_id
    assert await chat.generation_status(generation_id) == "complete"
    assert await chat.outbox_types(conversation.id) == [
        "chatmesh.events.v1.ConversationCreated",
        "chatmesh.events.v1.MessageCreated",
        "chatmesh.events.v1.MessageCreated",
        "chatmesh.events.v1.GenerationCompleted",
    ]

    request = interactive(chat)[0]
    assert request.generation_id == generation_id
    assert request.priority == generation_pb2.GENERATION_PRIORITY_INTERACTIVE
    assert [(m.role, m.content) for m in request.messages] == [("user", "Hi there")]
    assert request.message_id == started.user_message_id
    assert request.settings.model == "gpt-4o-mini"
    assert request.settings.system_prompt == "Be brief."
    assert request.settings.parameters.temperature == pytest.approx(0.3)
    assert (request.tenant_id, request.conversation_id) == ("t1", conversation.id)
    assert chat.fake.metadata[0].get("authorization") == "Bearer alice"

    got = await chat.stub.GetConversation(
        conversations_pb2.GetConversationRequest(conversation_id=conversation.id),
        metadata=ALICE,
        timeout=TIMEOUT,
    )
    assert got.conversation.active_leaf_id == started.assistant_message_id


async def test_the_second_turn_carries_the_history(chat: Chat) -> None:
    conversation = await chat.conversation()
    await collect(send(chat, conversation.id, "first"))
    chat.fake.scripts.append(Script(deltas=["second answer"]))
    events = await collect(send(chat, conversation.id, "second"))
    assert text_of(events) == "second answer"
    history = [(m.role, m.content) for m in interactive(chat)[-1].messages]
    assert history == [("user", "first"), ("assistant", "Hello, world."), ("user", "second")]


async def test_a_repeated_request_id_does_not_send_twice(chat: Chat) -> None:
    conversation = await chat.conversation()
    first = await collect(send(chat, conversation.id, request_id="req-1"))
    again = await collect(send(chat, conversation.id, request_id="req-1"))
    assert again[0].generation_id == first[0].generation_id
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert len(interactive(chat)) == 1


async def test_regenerate_answers_the_same_question_as_a_sibling(chat: Chat) -> None:
    conversation = await chat.conversation()
    first = await collect(send(chat, conversation.id, "question"))
    answer_id = first[0].started.assistant_message_id
    chat.fake.scripts.append(Script(deltas=["another answer"]))
    request = messages_pb2.RegenerateRequest(conversation_id=conversation.id, message_id=answer_id)
    events = await collect(chat.stub.Regenerate(request, metadata=ALICE, timeout=TIMEOUT))
    started = events[0].started
    assert started.user_message_id == "" and started.parent_message_id == first[0].started.user_message_id
    assert text_of(events) == "another answer"
    question = await chat.message(conversation.id, first[0].started.user_message_id)
    assert [str(c) for c in question.child_ids] == [answer_id, started.assistant_message_id]
    assert [(m.role, m.content) for m in interactive(chat)[-1].messages] == [("user", "question")]


async def test_bad_requests_are_refused_before_anything_is_stored(chat: Chat) -> None:
    conversation = await chat.conversation()
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await collect(send(chat, conversation.id, ""))
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await collect(send(chat, "00000000-0000-0000-0000-000000000000"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as bad_resume:
        await collect(send(chat, conversation.id, after_event_id="nonsense"))
    assert bad_resume.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert interactive(chat) == []


async def test_the_first_exchange_gets_a_title_in_the_background(chat: Chat) -> None:
    def titles(request: generation_pb2.GenerateRequest) -> Script | None:
        if request.priority == generation_pb2.GENERATION_PRIORITY_BACKGROUND:
            return Script(deltas=['"Greetings', ' and hellos"'])
        return None

    chat.fake.choose = titles
    conversation = await chat.conversation()
    await collect(send(chat, conversation.id))

    async def titled() -> str:
        got = await chat.stub.GetConversation(
            conversations_pb2.GetConversationRequest(conversation_id=conversation.id),
            metadata=ALICE,
            timeout=TIMEOUT,
        )
        return str(got.conversation.title)

    assert await eventually(titled) == "Greetings and hellos"
    background = [
        r for r in chat.fake.requests if r.priority == generation_pb2.GENERATION_PRIORITY_BACKGROUND
    ]
    assert len(background) == 1 and "Hi there" in background[0].messages[0].content


async def test_concurrent_retries_store_one_turn(chat: Chat) -> None:
    chat.fake.default = Script(deltas=["only ", "once"], delay=0.05)
    conversation = await chat.conversation()
    streams = await asyncio.gather(
        *(collect(send(chat, conversation.id, request_id="same")) for _ in range(3))
    )
    done = {s[0].generation_id for s in streams if kinds(s)[-1] == "done"}
    assert len(done) == 1
    for stream in streams:
        if kinds(stream)[-1] == "error":
            assert stream[-1].error.status.code == grpc.StatusCode.ALREADY_EXISTS.value[0]
    (winner,) = done
    assert await chat.generation_status(winner) == "complete"
    listed = await chat.stub.ListMessages(
        messages_pb2.ListMessagesRequest(conversation_id=conversation.id), metadata=ALICE, timeout=TIMEOUT
    )
    assert [m.role for m in listed.messages] == [
        resources_pb2.MESSAGE_ROLE_USER,
        resources_pb2.MESSAGE_ROLE_ASSISTANT,
    ]
