"""Orchestrator events folded into the answer and translated into conversation events."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from chatmesh.conversation.v1 import resources_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from conversation.context.fitting import PathMessage
from conversation.context.summary_prompt import clean_title, transcript
from conversation.generation.answer import Answer
from conversation.generation.event_log import event_id, parse_event_id
from conversation.generation.request import chat_message
from conversation.store.rows import MessageRow
from mesh.errors import InvalidArgument


def test_text_and_reasoning_deltas_become_content_deltas() -> None:
    answer = Answer()
    assert (
        answer.apply(generation_pb2.GenerateResponse(started=generation_pb2.GenerationStarted(model="m1")))
        is None
    )
    event = answer.apply(generation_pb2.GenerateResponse(text_delta=generation_pb2.TextDelta(text="Hel")))
    assert event is not None and event.delta.text == "Hel"
    event = answer.apply(
        generation_pb2.GenerateResponse(reasoning_delta=generation_pb2.ReasoningDelta(text="hm"))
    )
    assert event is not None and event.delta.reasoning == "hm"
    answer.apply(generation_pb2.GenerateResponse(text_delta=generation_pb2.TextDelta(text="lo")))
    assert answer.content == "Hello" and answer.model == "m1" and answer.changed


def test_tool_calls_build_up_and_finish() -> None:
    answer = Answer()
    answer.apply(
        generation_pb2.GenerateResponse(
            tool_call_started=generation_pb2.ToolCallStarted(tool_call_id="c1", tool_name="calculator")
        )
    )
    answer.apply(
        generation_pb2.GenerateResponse(
            tool_call_arguments_delta=generation_pb2.ToolCallArgumentsDelta(
                tool_call_id="c1", arguments='{"e":'
            )
        )
    )
    event = answer.apply(
        generation_pb2.GenerateResponse(
            tool_call_result=generation_pb2.ToolCallResult(
                tool_call_id="c1",
                tool_name="calculator",
                arguments='{"e":"2+2"}',
                result="4",
                status=generation_pb2.TOOL_CALL_STATUS_SUCCEEDED,
            )
        )
    )
    assert event is not None
    call = event.tool_call.tool_call
    assert (call.name, call.arguments_json, call.result_json) == ("calculator", '{"e":"2+2"}', "4")
    assert call.status == resources_pb2.TOOL_CALL_STATUS_SUCCEEDED
    assert list(answer.tool_calls) == ["c1"]


def test_completed_overrides_with_the_authoritative_content_and_usage() -> None:
    answer = Answer()
    answer.apply(generation_pb2.GenerateResponse(text_delta=generation_pb2.TextDelta(text="partial")))
    answer.apply(
        generation_pb2.GenerateResponse(
            completed=generation_pb2.GenerationCompleted(
                content="full answer",
                model="m2",
                usage=generation_pb2.GenerationUsage(prompt_tokens=5, completion_tokens=2, total_tokens=7),
                citations=[generation_pb2.Citation(index=1, title="Doc", source_uri="u")],
            )
        )
    )
    assert answer.content == "full answer" and answer.model == "m2"
    assert answer.usage.total_tokens == 7
    assert [(c.index, c.uri) for c in answer.citations] == [(1, "u")]


def test_event_ids_name_their_generation() -> None:
    value = event_id("0b6f9a38-1111-4a44-9c1e-7d5b2f0e0c11", 42)
    assert parse_event_id(value) == ("0b6f9a38-1111-4a44-9c1e-7d5b2f0e0c11", 42)
    for bad in ("", "42", "abc:", "gen:x"):
        with pytest.raises(InvalidArgument):
            parse_event_id(bad)


def test_titles_are_cleaned_and_transcripts_trimmed() -> None:
    assert clean_title('"Trip to Kyoto."\nmore') == "Trip to Kyoto"
    assert clean_title("「京都旅行」。") == "京都旅行"
    long = PathMessage("a", "user", "x" * 10_000, False, 1)
    assert len(transcript([long], limit=1_000)) < 1_100


def test_history_messages_carry_images_given_by_url() -> None:
    row = MessageRow(
        id=uuid.uuid4(),
        seq=1,
        conversation_id=uuid.uuid4(),
        tenant_id="t1",
        parent_id=None,
        role="user",
        parts=[{"text": "What is this?"}, {"image": {"url": "https://img.example/cat.png", "detail": "low"}}],
        attachments=[],
        status="complete",
        generation_id="",
        model="",
        finish_reason="",
        usage={},
        tool_calls=[],
        citations=[],
        token_count=0,
        pinned=False,
        request_id=None,
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )
    message = chat_message(row)
    assert [p.type for p in message.content_parts] == ["text", "image_url"]
    assert message.content_parts[1].image_url.url == "https://img.example/cat.png"
    plain = chat_message(replace(row, parts=[{"text": "hi"}]))
    assert (plain.content, list(plain.content_parts)) == ("hi", [])
