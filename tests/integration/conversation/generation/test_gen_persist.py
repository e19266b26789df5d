"""The answer is saved while it streams, and turns lost with their instance are closed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from chatmesh.conversation.v1 import messages_pb2
from google.rpc import code_pb2

from conversation.config import ConversationConfig
from conversation.generation.service import Generations
from mesh.config import Settings
from tests.fakes.orchestrator_fake import Script
from tests.integration.conversation.generation.gen_harness import (
    ALICE,
    TIMEOUT,
    Chat,
    close_chat,
    collect,
    eventually,
    open_chat,
)


@pytest_asyncio.fixture
async def quick_saves(conv_settings: Settings) -> AsyncIterator[Chat]:
    running = await open_chat(conv_settings, config=ConversationConfig(generation_save_seconds=0.05))
    try:
        yield running
    finally:
        await close_chat(running)


async def start_held_turn(chat: Chat) -> tuple[str, messages_pb2.GenerationEvent]:
    chat.fake.scripts.append(Script(deltas=["saved ", "while ", "streaming"], delay=0.1, hold=True))
    conversation = await chat.conversation()
    request = messages_pb2.SendMessageRequest(conversation_id=conversation.id, content="go")
    call = chat.stub.SendMessage(request, metadata=ALICE, timeout=TIMEOUT)
    events = await collect(
        call, until=lambda e: e.WhichOneof("kind") == "delta" and e.delta.text == "streaming"
    )
    call.cancel()
    return conversation.id, events[0]


async def stop(chat: Chat, conversation_id: str, generation_id: str) -> None:
    request = messages_pb2.StopGenerationRequest(conversation_id=conversation_id, generation_id=generation_id)
    await chat.stub.StopGeneration(request, metadata=ALICE, timeout=TIMEOUT)


async def test_a_streaming_answer_is_readable_before_it_ends(quick_saves: Chat) -> None:
    chat = quick_saves
    conversation_id, started = await start_held_turn(chat)
    message_id = started.started.assistant_message_id

    async def saved() -> bool:
        row = await chat.message(conversation_id, message_id)
        return row.status == "streaming" and row.text == "saved while streaming"

    assert await eventually(saved)
    await stop(chat, conversation_id, started.generation_id)


async def test_a_turn_lost_with_its_instance_is_closed(chat: Chat) -> None:
    conversation_id, started = await start_held_turn(chat)
    generations = chat.deps.generations
    assert isinstance(generations, Generations) and chat.deps.redis is not None
    # As if its process died: nobody refreshes the turn's heartbeat and the key expires.
    generations.heartbeats.remove(started.generation_id)
    await chat.deps.redis.delete(generations.heartbeats.key(started.generation_id))
    assert await generations.recover_lost(lost_after_seconds=0) == 1
    assert await generations.recover_lost(lost_after_seconds=0) == 0  # closed once
    assert await chat.generation_status(started.generation_id) in ("incomplete", "failed")
    row = await chat.message(conversation_id, started.started.assistant_message_id)
    assert row.status in ("incomplete", "failed") and row.finish_reason == "error"
    # A reader that comes back finds the turn ended with an error event, not streaming forever.
    events = [event async for event in generations.events.read(started.generation_id)]
    assert events[-1].error.status.code == code_pb2.UNAVAILABLE
    assert "kept" in events[-1].error.status.message
    await stop(chat, conversation_id, started.generation_id)


async def test_a_running_turn_keeps_its_heartbeat_and_is_not_closed(chat: Chat) -> None:
    conversation_id, started = await start_held_turn(chat)
    generations = chat.deps.generations
    assert isinstance(generations, Generations)
    await generations.heartbeats.beat()
    assert await generations.recover_lost(lost_after_seconds=0) == 0
    assert await chat.generation_status(started.generation_id) == "running"
    await stop(chat, conversation_id, started.generation_id)
