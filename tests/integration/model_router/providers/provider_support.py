"""Shared steps of the provider adapter tests: run an adapter against a fake, reassemble a stream."""

from __future__ import annotations

from typing import Any

import httpx
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters import Adapter, Target
from model_router.adapters.transport import post_json, post_stream
from tests.fakes.llm_upstream import FakeReply, FakeToolCall

TOOL_REPLY = FakeReply(
    pieces=("Let me ", "check ", "both."),
    tool_calls=(
        FakeToolCall("call_0", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
        FakeToolCall("call_1", "get_time", '{"timezone": "Europe/Paris", "format": "24h"}'),
    ),
    thinking=("The user ", "wants weather."),
    signature="sig-abc",
    cached_tokens=2,
)
WEATHER = chat_pb2.Tool(
    type="function",
    function=chat_pb2.FunctionDefinition(name="get_weather", description="Weather for a city"),
)
PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def chat(model: str, *, stream: bool = False, **fields: Any) -> inference_pb2.ChatCompletionRequest:
    return inference_pb2.ChatCompletionRequest(
        model=model,
        messages=[chat_pb2.ChatMessage(role="user", content="Say hello")],
        stream=stream,
        **fields,
    )


async def answer(
    http: httpx.AsyncClient, adapter: Adapter, request: inference_pb2.ChatCompletionRequest, where: Target
) -> inference_pb2.ChatCompletionResponse:
    return adapter.chat_response(await post_json(http, adapter, adapter.chat_request(request, where), 10.0))


async def streamed(
    http: httpx.AsyncClient, adapter: Adapter, request: inference_pb2.ChatCompletionRequest, where: Target
) -> tuple[list[inference_pb2.ChatCompletionResponse], chat_pb2.Usage | None]:
    parser = adapter.stream_parser()
    responses: list[inference_pb2.ChatCompletionResponse] = []
    async for event in post_stream(http, adapter, adapter.chat_request(request, where), 10.0):
        responses.extend(parser.feed(event))
    assert parser.done
    return responses, parser.usage


def reassemble(responses: list[inference_pb2.ChatCompletionResponse]) -> chat_pb2.ChatChoice:
    """A stream's deltas folded into the message a JSON answer would hold (choice 0)."""
    message = chat_pb2.ChatMessage()
    finish = ""
    calls: dict[int, chat_pb2.ToolCall] = {}
    for response in responses:
        for choice in response.choices:
            delta = choice.delta
            message.role = delta.role or message.role
            message.content += delta.content
            message.reasoning_content += delta.reasoning_content
            message.reasoning_signature += delta.reasoning_signature
            finish = choice.finish_reason or finish
            for fragment in delta.tool_calls:
                call = calls.setdefault(fragment.index, chat_pb2.ToolCall())
                call.id = fragment.id or call.id
                call.type = fragment.type or call.type
                call.function.name = fragment.function.name or call.function.name
                call.function.arguments += fragment.function.arguments
    message.tool_calls.extend(calls[i] for i in sorted(calls))
    return chat_pb2.ChatChoice(index=0, message=message, finish_reason=finish)


def stream_usage(responses: list[inference_pb2.ChatCompletionResponse]) -> chat_pb2.Usage | None:
    """The usage the relay's caller sees: the last response that carries one."""
    found = [r.usage for r in responses if r.HasField("usage")]
    return found[-1] if found else None
