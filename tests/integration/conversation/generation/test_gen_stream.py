"""Stop, resume, failures and isolation of running generations."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from chatmesh.conversation.v1 import conversations_pb2, messages_pb2, resources_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from tests.fakes.orchestrator_fake import Script
from tests.integration.conversation.conv_harness import BOB
from tests.integration.conversation.generation.gen_harness import (
    ALICE,
    TIMEOUT,
    Chat,
    collect,
    eventually,
    kinds,
    text_of,
)

SLOW = [f"w{i} " for i in range(40)]


def send(chat: Chat, conversation_id: str, who: list[tuple[str, str]] = ALICE, **fields: Any) -> Any:
    request = messages_pb2.SendMessageRequest(
        conversation_id=conversation_id, content="Tell me more", **fields
    )
    return chat.stub.SendMessage(request, metadata=who, timeout=TIMEOUT)


def deltas(n: int):  # type: ignore[no-untyped-def]
    seen = 0

    def enough(event: messages_pb2.GenerationEvent) -> bool:
        nonlocal seen
        seen += event.WhichOneof("kind") == "delta"
        return seen >= n

    return enough


async def test_stop_mid_stream_keeps_what_was_shown_and_cancels_the_orchestrator(chat: Chat) -> None:
    chat.fake.scripts.append(Script(deltas=SLOW, delay=0.05, hold=True))
    conversation = await chat.conversation()
    call = send(chat, conversation.id)
    shown = await collect(call, until=deltas(3))
    generation_id = shown[0].generation_id
    stop = messages_pb2.StopGenerationRequest(conversation_id=conversation.id, generation_id=generation_id)
    assert (await chat.stub.StopGeneration(stop, metadata=ALICE, timeout=TIMEOUT)).stopped
    rest = await collect(call)
    events = shown + rest
    assert kinds(events)[-1] == "done"
    done = events[-1].done
    assert done.finish_reason == resources_pb2.FINISH_REASON_CANCELLED
    assert done.message.status == resources_pb2.MESSAGE_STATUS_INCOMPLETE
    streamed = text_of(events)
    assert streamed.startswith("w0 w1 w2 ") and streamed != "".join(SLOW)
    stored = await chat.message(conversation.id, shown[0].started.assistant_message_id)
    assert (stored.status, stored.text, stored.finish_reason) == ("incomplete", streamed, "cancelled")
    assert [c.generation_id for c in chat.fake.cancels] == [generation_id]
    assert await eventually(lambda: _true(chat.fake.stream_cancelled(generation_id)))
    assert await chat.generation_status(generation_id) == "incomplete"
    assert not (await chat.stub.StopGeneration(stop, metadata=ALICE, timeout=TIMEOUT)).stopped


async def _true(value: bool) -> bool:
    return value


async def test_resume_after_an_event_id_gets_exactly_the_rest(chat: Chat) -> None:
    chat.fake.scripts.append(Script(deltas=SLOW[:12], delay=0.03))
    conversation = await chat.conversation()
    call = send(chat, conversation.id)
    first = await collect(call, until=deltas(4))
    call.cancel()
    last_seen = first[-1].event_id
    generation_id = first[0].generation_id
    resume = messages_pb2.ResumeGenerationRequest(
        conversation_id=conversation.id, generation_id=generation_id, after_event_id=last_seen
    )
    rest = await collect(chat.stub.ResumeGeneration(resume, metadata=ALICE, timeout=TIMEOUT))
    ids = [e.event_id for e in first + rest]
    assert ids == [f"{generation_id}:{n}" for n in range(1, len(ids) + 1)]
    assert text_of(first + rest) == "".join(SLOW[:12])
    assert kinds(rest)[-1] == "done"

    again = await collect(send(chat, conversation.id, after_event_id=last_seen))
    assert [e.event_id for e in again] == [e.event_id for e in rest]
    whole = messages_pb2.ResumeGenerationRequest(conversation_id=conversation.id, generation_id=generation_id)
    replay = await collect(chat.stub.ResumeGeneration(whole, metadata=ALICE, timeout=TIMEOUT))
    assert [e.event_id for e in replay] == ids


async def test_a_caller_that_goes_away_does_not_stop_the_answer(chat: Chat) -> None:
    chat.fake.scripts.append(Script(deltas=SLOW[:10], delay=0.03))
    conversation = await chat.conversation()
    call = send(chat, conversation.id)
    first = await collect(call, until=deltas(1))
    call.cancel()
    generation_id = first[0].generation_id

    async def finished() -> bool:
        return await chat.generation_status(generation_id) not in ("running", "unstored")

    await eventually(finished)
    stored = await chat.message(conversation.id, first[0].started.assistant_message_id)
    assert (stored.status, stored.text) == ("complete", "".join(SLOW[:10]))
    assert chat.fake.cancels == []


async def test_the_stored_outcome_answers_once_the_event_log_is_gone(chat: Chat) -> None:
    conversation = await chat.conversation()
    events = await collect(send(chat, conversation.id))
    generation_id = events[0].generation_id
    assert chat.deps.redis is not None
    await chat.deps.redis.delete(f"conversation:generation:{generation_id}:events")
    resume = messages_pb2.ResumeGenerationRequest(
        conversation_id=conversation.id, generation_id=generation_id, after_event_id=events[2].event_id
    )
    late = await collect(chat.stub.ResumeGeneration(resume, metadata=ALICE, timeout=TIMEOUT))
    assert kinds(late) == ["done"]
    assert late[0].done.message.parts[0].text == "Hello, world."


async def test_failure_mid_stream_stores_the_partial_answer(chat: Chat) -> None:
    chat.fake.scripts.append(Script(deltas=["one ", "two ", "three"], fail_after=2))
    conversation = await chat.conversation()
    events = await collect(send(chat, conversation.id))
    assert kinds(events) == ["started", "delta", "delta", "error"]
    failed = events[-1].error
    assert failed.status.code == grpc.StatusCode.UNAVAILABLE.value[0]
    assert failed.partial_message.status == resources_pb2.MESSAGE_STATUS_INCOMPLETE
    assert failed.partial_message.parts[0].text == "one two "
    stored = await chat.message(conversation.id, events[0].started.assistant_message_id)
    assert (stored.status, stored.text, stored.finish_reason) == ("incomplete", "one two ", "error")
    assert await chat.generation_status(events[0].generation_id) == "incomplete"


async def test_an_orchestrator_that_refuses_leaves_a_failed_message(chat: Chat) -> None:
    chat.fake.scripts.append(Script(abort=grpc.StatusCode.FAILED_PRECONDITION))
    conversation = await chat.conversation()
    events = await collect(send(chat, conversation.id))
    assert kinds(events) == ["started", "error"]
    assert events[-1].error.status.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    stored = await chat.message(conversation.id, events[0].started.assistant_message_id)
    assert stored.status == "failed" and stored.text == ""


async def test_two_callers_each_get_only_their_own_answer(chat: Chat) -> None:
    def by_user(request: generation_pb2.GenerateRequest) -> Script | None:
        if request.priority == generation_pb2.GENERATION_PRIORITY_BACKGROUND:
            return Script(deltas=["title"])
        word = "alice " if request.user_id.startswith("1111") else "bob "
        return Script(deltas=[word] * 8, delay=0.01)

    chat.fake.choose = by_user
    mine = await chat.conversation(ALICE)
    theirs = await chat.conversation(BOB)
    alice_events, bob_events = await asyncio.gather(
        collect(send(chat, mine.id, ALICE)), collect(send(chat, theirs.id, BOB))
    )
    assert text_of(alice_events) == "alice " * 8
    assert text_of(bob_events) == "bob " * 8
    assert alice_events[0].generation_id != bob_events[0].generation_id

    peek = messages_pb2.ResumeGenerationRequest(
        conversation_id=mine.id, generation_id=alice_events[0].generation_id
    )
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await collect(chat.stub.ResumeGeneration(peek, metadata=BOB, timeout=TIMEOUT))
    assert denied.value.code() == grpc.StatusCode.NOT_FOUND
    stop = messages_pb2.StopGenerationRequest(
        conversation_id=mine.id, generation_id=alice_events[0].generation_id
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await chat.stub.StopGeneration(stop, metadata=BOB, timeout=TIMEOUT)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


async def test_deleting_the_conversation_stops_its_running_turn(chat: Chat) -> None:
    chat.fake.scripts.append(Script(deltas=SLOW, delay=0.05, hold=True))
    conversation = await chat.conversation()
    call = send(chat, conversation.id)
    shown = await collect(call, until=deltas(2))
    generation_id = shown[0].generation_id
    delete = conversations_pb2.DeleteConversationRequest(conversation_id=conversation.id)
    await chat.stub.DeleteConversation(delete, metadata=ALICE, timeout=TIMEOUT)
    rest = await collect(call)
    assert kinds(rest)[-1] == "done"
    assert rest[-1].done.finish_reason == resources_pb2.FINISH_REASON_CANCELLED
    assert [c.generation_id for c in chat.fake.cancels] == [generation_id]
    assert await chat.generation_status(generation_id) == "incomplete"
