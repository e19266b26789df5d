"""The real `openai` SDK against the gateway's OpenAI-compatible API, backed by a test ModelRouterService."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from tests.integration.gateway.compat.compat_support import (
    API_KEY,
    COMPLETION_ID,
    CREATED,
    LIMITED_KEY,
    USAGE,
    USER_TOKEN,
    vector,
)
from tests.integration.gateway.compat.conftest import Gateway

HI: Any = [{"role": "user", "content": "Hi"}]
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def sync_client(gateway: Gateway, api_key: str = API_KEY) -> OpenAI:
    return OpenAI(base_url=f"{gateway.url}/v1", api_key=api_key, max_retries=0)


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key=API_KEY, max_retries=0) as client:
        yield client


async def test_chat_completion_with_the_sync_client(gateway: Gateway) -> None:
    def ask() -> openai.types.chat.ChatCompletion:
        with sync_client(gateway) as client:
            return client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
                temperature=0,
                max_tokens=64,
                stop="END",
                seed=7,
            )

    completion = await asyncio.to_thread(ask)
    assert completion.id == COMPLETION_ID
    assert completion.object == "chat.completion"
    assert completion.created == CREATED
    assert completion.model == "gpt-4o-mini"
    assert completion.system_fingerprint == "fp_test"
    [choice] = completion.choices
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == "Hello, world!"
    assert choice.message.tool_calls is None
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (12, 5)
    assert completion.usage.total_tokens == 17
    details = completion.usage.prompt_tokens_details, completion.usage.completion_tokens_details
    assert details[0] is not None and details[0].cached_tokens == 2
    assert details[1] is not None and details[1].reasoning_tokens == 1

    [request] = gateway.router.requests
    assert [m.role for m in request.messages] == ["system", "user"]
    assert request.messages[1].content == "Hi"
    assert request.HasField("temperature") and request.temperature == 0
    assert request.max_tokens == 64 and list(request.stop) == ["END"] and request.seed == 7
    assert not request.stream
    assert request.routing.source == "gateway"
    assert gateway.router.metadata[0]["authorization"] == f"Bearer {API_KEY}"


async def test_stream_with_include_usage_ends_with_a_usage_chunk(
    client: AsyncOpenAI, gateway: Gateway
) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert {chunk.id for chunk in chunks} == {COMPLETION_ID}
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert {chunk.created for chunk in chunks} == {CREATED}
    *content, usage_chunk = chunks
    assert content[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in content) == "Hello, world!"
    assert content[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in content)
    assert all(c.choices[0].index == 0 for c in content)
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None and usage_chunk.usage.total_tokens == USAGE.total_tokens
    assert gateway.router.requests[0].stream_options.include_usage


async def test_stream_without_include_usage_sends_no_usage(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    assert all(chunk.choices for chunk in chunks)
    assert all(chunk.usage is None for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_tool_call_non_streamed(client: AsyncOpenAI, gateway: Gateway) -> None:
    completion = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=False,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls or []
    assert (call.id, call.type) == ("call_1", "function")
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert call.function.arguments == '{"city": "Paris"}'  # type: ignore[union-attr]

    request = gateway.router.requests[0]
    tool = request.tools[0]
    assert tool.type == "function" and tool.function.name == "get_weather" and tool.function.strict
    assert tool.function.parameters["properties"]["city"]["type"] == "string"
    assert list(tool.function.parameters["required"]) == ["city"]
    assert request.tool_choice.type == "function" and request.tool_choice.function.name == "get_weather"
    assert request.HasField("parallel_tool_calls") and not request.parallel_tool_calls


async def test_tool_call_stream_reassembles_with_the_sdk_helper(
    client: AsyncOpenAI, gateway: Gateway
) -> None:
    async with client.chat.completions.stream(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    ) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.id == "call_1"
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert call.function.arguments == '{"city": "Paris"}'  # type: ignore[union-attr]
    assert gateway.router.requests[0].tool_choice.type == "required"


async def test_follow_up_turn_with_tool_result_and_vision_parts(
    client: AsyncOpenAI, gateway: Gateway
) -> None:
    await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
        tools=[WEATHER_TOOL],
        extra_body={"enable_thinking": True, "top_k": 5},
    )
    request = gateway.router.requests[0]
    text, image = request.messages[0].content_parts
    assert (text.type, text.text) == ("text", "What is this?")
    assert (image.type, image.image_url.url, image.image_url.detail) == (
        "image_url",
        "data:image/png;base64,iVBORw0KGgo=",
        "low",
    )
    assert request.messages[1].tool_calls[0].function.name == "get_weather"
    assert (request.messages[2].role, request.messages[2].tool_call_id) == ("tool", "call_1")
    assert request.top_k == 5
    assert dict(request.provider_options) == {"enable_thinking": True}


async def test_embeddings_as_floats(client: AsyncOpenAI, gateway: Gateway) -> None:
    response = await client.embeddings.create(
        model="text-embedding-3-small", input=["one two", "three"], encoding_format="float", dimensions=4
    )
    assert response.object == "list"
    assert response.model == "text-embedding-3-small"
    assert [item.index for item in response.data] == [0, 1]
    for item in response.data:
        assert item.object == "embedding"
        assert item.embedding == pytest.approx(vector(item.index, 4), rel=1e-6)
    assert (response.usage.prompt_tokens, response.usage.total_tokens) == (3, 3)
    request = gateway.router.requests[0]
    assert list(request.input) == ["one two", "three"] and request.dimensions == 4
    assert request.encoding_format == "float"


async def test_embeddings_default_to_base64_on_the_wire_and_decode_exactly(
    client: AsyncOpenAI, gateway: Gateway
) -> None:
    response = await client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert gateway.router.requests[0].encoding_format == "base64"
    [item] = response.data
    expected = vector(0, 8)
    assert len(item.embedding) == 8
    assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(item.embedding, expected, strict=True))


async def test_models_list_follows_every_page(client: AsyncOpenAI) -> None:
    page = await client.models.list()
    assert [model.id for model in page.data] == ["claude-sonnet-4", "gpt-4o-mini", "text-embedding-3-small"]
    first = page.data[1]
    assert (first.object, first.created, first.owned_by) == ("model", CREATED, "openai")


async def test_models_retrieve(client: AsyncOpenAI) -> None:
    model = await client.models.retrieve("gpt-4o-mini")
    assert (model.id, model.object, model.owned_by) == ("gpt-4o-mini", "model", "openai")
    with pytest.raises(openai.NotFoundError) as caught:
        await client.models.retrieve("nope")
    assert caught.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("model", "error_type", "status", "code"),
    [
        ("missing-model", openai.NotFoundError, 404, "model_not_found"),
        ("busy-model", openai.RateLimitError, 429, "rate_limit_exceeded"),
        ("quota-model", openai.RateLimitError, 429, "insufficient_quota"),
        ("long-model", openai.BadRequestError, 400, "context_length_exceeded"),
        ("down-model", openai.InternalServerError, 503, None),
        ("revoked-model", openai.AuthenticationError, 401, "invalid_api_key"),
    ],
)
async def test_upstream_errors_become_the_sdk_exceptions(
    client: AsyncOpenAI, model: str, error_type: type[openai.APIStatusError], status: int, code: str | None
) -> None:
    for stream in (False, True):
        with pytest.raises(error_type) as caught:
            await client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "Hi"}], stream=stream
            )
        assert caught.value.status_code == status
        assert caught.value.code == code
        assert isinstance(caught.value.body, dict) and caught.value.body["message"]


async def test_rate_limit_carries_retry_after(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="busy-model", messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.type == "requests"


async def test_bad_request_names_the_parameter(client: AsyncOpenAI, gateway: Gateway) -> None:
    video: Any = [{"role": "user", "content": [{"type": "video", "video": "x"}]}]
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gpt-4o-mini", messages=video)
    assert caught.value.param == "messages[0].content[0].type"
    assert caught.value.code == "invalid_value"
    assert gateway.router.requests == []


async def test_wrong_or_missing_key_is_401(gateway: Gateway) -> None:
    async with AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key="sk-wrong", max_retries=0) as wrong:
        with pytest.raises(openai.AuthenticationError) as caught:
            await wrong.models.list()
    assert caught.value.code == "invalid_api_key"
    assert gateway.identity.seen == [("sk-wrong", "")]
    assert gateway.router.requests == []


async def test_bearer_jwt_callers_and_key_model_restrictions(gateway: Gateway) -> None:
    """EdgeAuthenticator gets the body's model: identity refuses a key that model is not allowed for."""
    async with AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key=USER_TOKEN, max_retries=0) as user:
        completion = await user.chat.completions.create(model="claude-sonnet-4", messages=HI)
    assert completion.choices[0].message.content == "Hello, world!"
    assert gateway.router.metadata[0]["authorization"] == f"Bearer {USER_TOKEN}"
    async with AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key=LIMITED_KEY, max_retries=0) as limited:
        allowed = await limited.chat.completions.create(model="gpt-4o-mini", messages=HI)
        with pytest.raises(openai.PermissionDeniedError) as caught:
            await limited.chat.completions.create(model="claude-sonnet-4", messages=HI)
    assert allowed.model == "gpt-4o-mini"
    assert "may not use claude-sonnet-4" in caught.value.message
    assert gateway.identity.seen == [(LIMITED_KEY, "gpt-4o-mini"), (LIMITED_KEY, "claude-sonnet-4")]
    assert len(gateway.router.requests) == 2


async def test_a_failure_mid_stream_raises_in_the_sdk(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="flaky-model", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    received = []
    with pytest.raises(openai.APIError, match="upstream connection reset"):
        async for chunk in stream:
            received.append(chunk)
    assert received and received[0].choices[0].delta.role == "assistant"
