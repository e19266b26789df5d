"""The native DashScope adapter against a fake speaking DashScope's wire format."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters import Target, UpstreamError, adapter_for
from model_router.adapters.dashscope import DashScopeAdapter
from model_router.adapters.transport import post_json
from tests.fakes.llm_dashscope import Failure, FakeDashScope
from tests.integration.model_router.providers.provider_support import (
    PIXEL,
    TOOL_REPLY,
    WEATHER,
    answer,
    chat,
    reassemble,
    streamed,
)

MODEL = "qwen-plus"


@pytest.fixture
async def dashscope() -> AsyncIterator[FakeDashScope]:
    fake = FakeDashScope()
    async with fake.running():
        yield fake


def target(fake: FakeDashScope, model: str = MODEL) -> Target:
    return Target(fake.base_url, "sk-dashscope", model)


def adapter() -> DashScopeAdapter:
    found = adapter_for("dashscope")
    assert isinstance(found, DashScopeAdapter)
    return found


def test_qwen_stays_openai_compatible() -> None:
    assert adapter_for("qwen") is adapter_for("openai")


async def test_chat_request_shape_and_json_answer(dashscope: FakeDashScope, http: httpx.AsyncClient) -> None:
    request = chat(MODEL, temperature=0.3, max_completion_tokens=100, stop=["END"])
    result = await answer(http, adapter(), request, target(dashscope))
    sent = dashscope.requests[-1]
    assert sent.path == "/api/v1/services/aigc/text-generation/generation"
    assert sent.headers["authorization"] == "Bearer sk-dashscope"
    assert "x-dashscope-sse" not in sent.headers
    assert sent.body == {
        "model": MODEL,
        "input": {"messages": [{"role": "user", "content": "Say hello"}]},
        "parameters": {"result_format": "message", "temperature": 0.3, "max_tokens": 100, "stop": ["END"]},
    }
    choice = result.choices[0]
    assert (choice.message.content, choice.finish_reason) == ("Hello from the fake.", "stop")
    assert result.id
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (
        5,
        5,
        10,
    )


async def test_stream_is_incremental_with_tools(dashscope: FakeDashScope, http: httpx.AsyncClient) -> None:
    dashscope.reply = TOOL_REPLY
    request = chat(MODEL, stream=True, tools=[WEATHER], tool_choice=chat_pb2.ToolChoice(type="auto"))
    responses, usage = await streamed(http, adapter(), request, target(dashscope))
    sent = dashscope.requests[-1]
    assert sent.headers["x-dashscope-sse"] == "enable"
    assert sent.body["parameters"]["incremental_output"] is True
    assert sent.body["parameters"]["tool_choice"] == "auto"
    assert sent.body["parameters"]["tools"][0]["function"]["name"] == "get_weather"
    whole = reassemble(responses)
    assert whole.message.content == "Let me check both."
    assert whole.message.reasoning_content == "The user wants weather."
    assert whole.finish_reason == "tool_calls"
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in whole.message.tool_calls] == [
        ("call_0", "get_weather", {"city": "Paris", "unit": "celsius"}),
        ("call_1", "get_time", {"timezone": "Europe/Paris", "format": "24h"}),
    ]
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (5, TOOL_REPLY.completion_tokens)
    assert usage.prompt_tokens_details.cached_tokens == 2
    assert usage.completion_tokens_details.reasoning_tokens == 2


async def test_vision_goes_to_the_multimodal_endpoint(
    dashscope: FakeDashScope, http: httpx.AsyncClient
) -> None:
    request = inference_pb2.ChatCompletionRequest(
        model="qwen-vl-max",
        messages=[
            chat_pb2.ChatMessage(role="system", content="Describe images."),
            chat_pb2.ChatMessage(
                role="user",
                content_parts=[
                    chat_pb2.ContentPart(type="image_url", image_url=chat_pb2.ImageUrl(url=PIXEL)),
                    chat_pb2.ContentPart(type="text", text="What is this?"),
                ],
            ),
        ],
    )
    result = await answer(http, adapter(), request, target(dashscope, "qwen-vl-max"))
    sent = dashscope.requests[-1]
    assert sent.path == "/api/v1/services/aigc/multimodal-generation/generation"
    assert sent.body["input"]["messages"] == [
        {"role": "system", "content": [{"text": "Describe images."}]},
        {"role": "user", "content": [{"image": PIXEL}, {"text": "What is this?"}]},
    ]
    assert result.choices[0].message.content == "Hello from the fake."


async def test_tool_result_turns(dashscope: FakeDashScope, http: httpx.AsyncClient) -> None:
    call = chat_pb2.ToolCall(
        id="call_9",
        type="function",
        function=chat_pb2.FunctionCall(name="get_weather", arguments='{"city":"Paris"}'),
    )
    request = inference_pb2.ChatCompletionRequest(
        model=MODEL,
        messages=[
            chat_pb2.ChatMessage(role="user", content="Weather?"),
            chat_pb2.ChatMessage(role="assistant", tool_calls=[call]),
            chat_pb2.ChatMessage(role="tool", tool_call_id="call_9", content="18C"),
        ],
    )
    await answer(http, adapter(), request, target(dashscope))
    messages = dashscope.requests[-1].body["input"]["messages"]
    assert messages[1]["tool_calls"] == [
        {
            "id": "call_9",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        }
    ]
    assert messages[2] == {"role": "tool", "content": "18C", "tool_call_id": "call_9"}


async def test_embeddings(dashscope: FakeDashScope, http: httpx.AsyncClient) -> None:
    request = inference_pb2.EmbedRequest(
        model="text-embedding-v3", input=["one two", "three"], dimensions=4, input_type="document"
    )
    gateway = adapter()
    sent = gateway.embed_request(request, target(dashscope, "text-embedding-v3"))
    result = gateway.embed_response(await post_json(http, gateway, sent, 10.0))
    assert dashscope.requests[-1].path == "/api/v1/services/embeddings/text-embedding/text-embedding"
    assert dashscope.requests[-1].body == {
        "model": "text-embedding-v3",
        "input": {"texts": ["one two", "three"]},
        "parameters": {"dimension": 4, "text_type": "document"},
    }
    assert [item.index for item in result.data] == [0, 1]
    assert all(len(item.embedding) == 4 for item in result.data)
    assert result.usage.prompt_tokens == 3


@pytest.mark.parametrize(
    ("failure", "retryable", "key_fault"),
    [
        (Failure(status=500, message="An internal error has occured."), True, False),
        (Failure(status=429, message="Requests rate limit exceeded."), True, False),
        (Failure(status=400, message="Range of input length should be [1, 30720]"), False, False),
        (Failure(status=403, message="Access denied."), False, True),
    ],
)
async def test_errors_are_classified(
    dashscope: FakeDashScope, http: httpx.AsyncClient, failure: Failure, retryable: bool, key_fault: bool
) -> None:
    dashscope.fail(failure)
    with pytest.raises(UpstreamError) as caught:
        await answer(http, adapter(), chat(MODEL), target(dashscope))
    error = caught.value
    assert (error.status, error.retryable, error.key_fault) == (failure.status, retryable, key_fault)
    assert error.message == failure.message


async def test_invalid_key_and_arrearage_are_the_keys_fault(
    dashscope: FakeDashScope, http: httpx.AsyncClient
) -> None:
    dashscope.valid_keys = frozenset({"sk-other"})
    with pytest.raises(UpstreamError) as caught:
        await answer(http, adapter(), chat(MODEL), target(dashscope))
    assert (caught.value.status, caught.value.key_fault, caught.value.reason) == (401, True, "InvalidApiKey")
    body = json.dumps({"code": "Arrearage", "message": "Access denied, account overdue.", "request_id": "r"})
    overdue = adapter().error(400, body.encode(), None)
    assert (overdue.key_fault, overdue.retryable, overdue.reason) == (True, False, "quota")


async def test_error_event_mid_stream(dashscope: FakeDashScope, http: httpx.AsyncClient) -> None:
    dashscope.error_event_after = 2
    with pytest.raises(UpstreamError) as caught:
        await streamed(http, adapter(), chat(MODEL, stream=True), target(dashscope))
    assert caught.value.retryable and caught.value.reason == "InternalError"
