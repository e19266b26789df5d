"""Anthropic Messages ↔ model_router: request mapping, the Message object, and the stream's event sequence."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from google.protobuf.json_format import MessageToDict

from gateway.compat.anthropic_request import count_tokens_request, messages_request
from gateway.compat.anthropic_response import MessageStream, message_json, models_json, stop_reason
from gateway.compat.errors import ProblemError

HI = [{"role": "user", "content": "Hi"}]


def events(frames: list[bytes]) -> list[dict[str, Any]]:
    """Decode frames, checking each one's `event:` name equals its data's type."""
    decoded = []
    for frame in frames:
        event_line, data_line, *rest = frame.decode().split("\n")
        assert rest == ["", ""]
        data = json.loads(data_line.removeprefix("data: "))
        assert event_line == f"event: {data['type']}"
        decoded.append(data)
    return decoded


def chunk(
    *, usage: chat_pb2.Usage | None = None, finish: str = "", **delta: Any
) -> inference_pb2.ChatCompletionResponse:
    response = inference_pb2.ChatCompletionResponse(id="c1", model="m")
    if delta or finish:
        response.choices.append(
            chat_pb2.ChatChoice(index=0, delta=chat_pb2.ChatDelta(**delta), finish_reason=finish)
        )
    if usage is not None:
        response.usage.CopyFrom(usage)
    return response


def tool_delta(index: int, arguments: str, call_id: str = "", name: str = "") -> chat_pb2.ToolCallDelta:
    return chat_pb2.ToolCallDelta(
        index=index, id=call_id, function=chat_pb2.FunctionCall(name=name, arguments=arguments)
    )


def test_request_maps_system_sampling_and_unknown_members() -> None:
    body = {
        "model": "claude",
        "max_tokens": 100,
        "system": [
            {"type": "text", "text": "A"},
            {"type": "text", "text": "B", "cache_control": {"type": "ephemeral"}},
        ],
        "messages": HI,
        "stop_sequences": ["X"],
        "temperature": 0,
        "top_p": 0.9,
        "top_k": 3,
        "metadata": {"user_id": "u"},
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "service_tier": "auto",
    }
    request = messages_request(body)
    assert [(m.role, m.content) for m in request.messages] == [("system", "A\n\nB"), ("user", "Hi")]
    assert request.max_tokens == 100 and list(request.stop) == ["X"]
    assert request.HasField("temperature") and request.temperature == 0
    assert (request.top_p, request.top_k, request.user, request.service_tier) == (0.9, 3, "u", "auto")
    assert MessageToDict(request.provider_options) == {"thinking": {"type": "enabled", "budget_tokens": 2048}}
    assert not request.stream and not request.HasField("stream_options")


def test_stream_always_asks_for_usage() -> None:
    request = messages_request({"model": "m", "max_tokens": 1, "messages": HI, "stream": True})
    assert request.stream and request.stream_options.include_usage


def test_blocks_map_onto_messages_with_tool_results_first() -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "url", "url": "https://x/a.png"}},
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBER"},
                    "title": "a.pdf",
                },
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "redacted_thinking", "data": "zzz"},
                {"type": "tool_use", "id": "t1", "name": "f", "input": {"q": "é"}},
                {"type": "tool_use", "id": "t2", "name": "g", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "and?"},
                {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "r1"}]},
                {"type": "tool_result", "tool_use_id": "t2", "is_error": True},
            ],
        },
    ]
    request = messages_request({"model": "m", "max_tokens": 1, "messages": messages})
    roles = [m.role for m in request.messages]
    assert roles == ["user", "assistant", "tool", "tool", "user"]
    image, pdf, text = request.messages[0].content_parts
    assert image.image_url.url == "https://x/a.png"
    assert (pdf.type, pdf.file.file_data, pdf.file.filename) == (
        "file",
        "data:application/pdf;base64,JVBER",
        "a.pdf",
    )
    assert text.text == "plain"
    assistant = request.messages[1]
    assert (assistant.reasoning_content, assistant.reasoning_signature) == ("hmm", "sig")
    assert [(c.id, c.function.name, c.function.arguments) for c in assistant.tool_calls] == [
        ("t1", "f", '{"q": "é"}'),
        ("t2", "g", "{}"),
    ]
    assert (request.messages[2].tool_call_id, request.messages[2].content) == ("t1", "r1")
    assert (request.messages[3].tool_call_id, request.messages[3].content) == ("t2", "")
    assert request.messages[4].content == "and?"


def test_tools_and_tool_choice() -> None:
    tools = [{"name": "f", "description": "d", "input_schema": {"type": "object", "properties": {}}}]
    for given, expected in (
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
    ):
        request = messages_request(
            {"model": "m", "max_tokens": 1, "messages": HI, "tools": tools, "tool_choice": given}
        )
        assert request.tool_choice.type == expected
        assert not request.HasField("parallel_tool_calls")
    named = messages_request(
        {
            "model": "m",
            "max_tokens": 1,
            "messages": HI,
            "tools": tools,
            "tool_choice": {"type": "tool", "name": "f"},
        }
    )
    assert (named.tool_choice.type, named.tool_choice.function.name) == ("function", "f")
    function = named.tools[0].function
    assert (named.tools[0].type, function.name, function.description) == ("function", "f", "d")
    assert MessageToDict(function.parameters) == {"type": "object", "properties": {}}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "m", "messages": HI}, "max_tokens"),
        ({"max_tokens": 1, "messages": HI}, "model"),
        ({"model": "m", "max_tokens": 0, "messages": HI}, "max_tokens"),
        ({"model": "m", "max_tokens": 1, "messages": []}, "messages"),
        (
            {"model": "m", "max_tokens": 1, "messages": [{"role": "system", "content": "x"}]},
            "messages[0].role",
        ),
        (
            {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": 1}]},
            "messages[0].content",
        ),
        ({"model": "m", "max_tokens": 1, "messages": HI, "system": [{"type": "image"}]}, "system[0].type"),
        (
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [{"role": "user", "content": [{"type": "tool_use"}]}],
            },
            "messages[0].content[0].type",
        ),
        (
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}],
                    }
                ],
            },
            "messages[0].content[0].source.type",
        ),
        (
            {
                "model": "m",
                "max_tokens": 1,
                "messages": HI,
                "tools": [{"type": "web_search_20250305", "name": "w"}],
            },
            "tools[0].type",
        ),
        (
            {"model": "m", "max_tokens": 1, "messages": HI, "tool_choice": {"type": "maybe"}},
            "tool_choice.type",
        ),
    ],
)
def test_bad_requests_name_the_parameter(body: dict[str, Any], param: str) -> None:
    with pytest.raises(ProblemError) as caught:
        messages_request(body)
    assert caught.value.problem.kind == "invalid_request"
    assert caught.value.problem.param == param


def test_count_tokens_request_needs_no_max_tokens() -> None:
    request = count_tokens_request({"model": "m", "messages": HI, "system": "S"})
    assert [m.role for m in request.messages] == ["system", "user"]


@pytest.mark.parametrize(
    ("finish", "expected"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
        ("stop_sequence", "stop_sequence"),
        ("pause_turn", "pause_turn"),
        ("", None),
    ],
)
def test_stop_reasons(finish: str, expected: str | None) -> None:
    assert stop_reason(finish) == expected


def test_message_object() -> None:
    call = chat_pb2.ToolCall(id="t", function=chat_pb2.FunctionCall(name="f", arguments='{"a": 1}'))
    broken = chat_pb2.ToolCall(function=chat_pb2.FunctionCall(name="g", arguments="{oops"))
    message = chat_pb2.ChatMessage(
        role="assistant",
        content="ok",
        tool_calls=[call, broken],
        reasoning_content="r",
        reasoning_signature="s",
    )
    usage = chat_pb2.Usage(
        prompt_tokens=10,
        completion_tokens=3,
        prompt_tokens_details=chat_pb2.PromptTokensDetails(cached_tokens=4),
    )
    response = inference_pb2.ChatCompletionResponse(
        id="c1",
        model="m",
        choices=[chat_pb2.ChatChoice(message=message, finish_reason="tool_calls")],
        usage=usage,
    )
    body = message_json([response], "asked")
    assert body["id"] == "msg_c1" and body["type"] == "message" and body["role"] == "assistant"
    assert body["content"][0] == {"type": "thinking", "thinking": "r", "signature": "s"}
    assert body["content"][1] == {"type": "text", "text": "ok"}
    assert body["content"][2] == {"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}}
    assert body["content"][3]["input"] == {} and body["content"][3]["id"].startswith("toolu_")
    assert body["stop_reason"] == "tool_use" and body["stop_sequence"] is None
    assert body["usage"] == {
        "input_tokens": 6,
        "output_tokens": 3,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 4,
    }


def test_stream_text_then_tools_opens_and_closes_blocks_in_order() -> None:
    stream = MessageStream("asked")
    frames: list[bytes] = []
    frames += stream.feed(inference_pb2.ChatCompletionResponse(id="c1"))
    assert frames == [] and not stream.started
    frames += stream.feed(chunk(role="assistant"))
    frames += stream.feed(chunk(content="Let me check."))
    frames += stream.feed(chunk(tool_calls=[tool_delta(0, "", "call_a", "f")]))
    frames += stream.feed(chunk(tool_calls=[tool_delta(0, '{"x":')]))
    frames += stream.feed(chunk(tool_calls=[tool_delta(0, "1}")]))
    frames += stream.feed(chunk(tool_calls=[tool_delta(1, "{}", "call_b", "g")]))
    frames += stream.feed(chunk(finish="tool_calls"))
    frames += stream.feed(chunk(usage=chat_pb2.Usage(prompt_tokens=9, completion_tokens=7)))
    frames += stream.finish()
    decoded = events(frames)
    assert [(e["type"], e.get("index")) for e in decoded] == [
        ("message_start", None),
        ("content_block_start", 0),
        ("ping", None),
        ("content_block_delta", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_delta", 1),
        ("content_block_delta", 1),
        ("content_block_stop", 1),
        ("content_block_start", 2),
        ("content_block_delta", 2),
        ("content_block_stop", 2),
        ("message_delta", None),
        ("message_stop", None),
    ]
    assert decoded[0]["message"]["id"] == "msg_c1" and decoded[0]["message"]["model"] == "m"
    assert decoded[5]["content_block"] == {"type": "tool_use", "id": "call_a", "name": "f", "input": {}}
    assert [decoded[i]["delta"]["partial_json"] for i in (6, 7)] == ['{"x":', "1}"]
    assert decoded[9]["content_block"]["name"] == "g"
    assert decoded[12]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert decoded[12]["usage"]["input_tokens"] == 9 and decoded[12]["usage"]["output_tokens"] == 7


def test_stream_thinking_then_text() -> None:
    stream = MessageStream("m")
    frames = stream.feed(chunk(role="assistant", reasoning_content="hm"))
    frames += stream.feed(chunk(reasoning_signature="sig"))
    frames += stream.feed(chunk(content="Yes", finish="stop"))
    frames += stream.finish()
    decoded = events(frames)
    deltas = [e["delta"] for e in decoded if e["type"] == "content_block_delta"]
    assert deltas == [
        {"type": "thinking_delta", "thinking": "hm"},
        {"type": "signature_delta", "signature": "sig"},
        {"type": "text_delta", "text": "Yes"},
    ]
    starts = [e["content_block"] for e in decoded if e["type"] == "content_block_start"]
    assert starts == [{"type": "thinking", "thinking": "", "signature": ""}, {"type": "text", "text": ""}]


def test_an_empty_stream_is_still_a_whole_message() -> None:
    decoded = events(MessageStream("asked").finish())
    assert [e["type"] for e in decoded] == ["message_start", "message_delta", "message_stop"]
    assert decoded[0]["message"]["model"] == "asked"
    assert decoded[1]["delta"]["stop_reason"] == "end_turn"


def test_anthropic_models_list() -> None:
    body = models_json([chat_pb2.Model(id="a", created=0), chat_pb2.Model(id="b", created=86400)])
    assert body["data"][1] == {
        "type": "model",
        "id": "b",
        "display_name": "b",
        "created_at": "1970-01-02T00:00:00Z",
    }
    assert (body["has_more"], body["first_id"], body["last_id"]) == (False, "a", "b")
