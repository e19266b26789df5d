"""The real `anthropic` SDK against the gateway's `/v1/messages`, backed by a test ModelRouterService."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anthropic
import pytest
from anthropic import Anthropic, AsyncAnthropic

from tests.integration.gateway.compat.compat_support import API_KEY, COMPLETION_ID
from tests.integration.gateway.compat.conftest import Gateway

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[AsyncAnthropic]:
    async with AsyncAnthropic(base_url=gateway.url, api_key=API_KEY, max_retries=0) as client:
        yield client


async def test_create_with_the_sync_client(gateway: Gateway) -> None:
    def ask() -> anthropic.types.Message:
        with Anthropic(base_url=gateway.url, api_key=API_KEY, max_retries=0) as client:
            return client.messages.create(
                model="claude-sonnet-4",
                max_tokens=256,
                system="Be brief.",
                messages=[{"role": "user", "content": "Hi"}],
                stop_sequences=["END"],
                metadata={"user_id": "end-user-9"},
                extra_body={"temperature": 0.5, "top_k": 40},
            )

    message = await asyncio.to_thread(ask)
    assert message.id == f"msg_{COMPLETION_ID}"
    assert (message.type, message.role, message.model) == ("message", "assistant", "claude-sonnet-4")
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Hello, world!"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (10, 5)
    assert message.usage.cache_read_input_tokens == 2

    [request] = gateway.router.requests
    assert [(m.role, m.content) for m in request.messages] == [("system", "Be brief."), ("user", "Hi")]
    assert request.max_tokens == 256 and list(request.stop) == ["END"]
    assert request.temperature == 0.5 and request.top_k == 40 and request.user == "end-user-9"
    assert gateway.router.metadata[0]["authorization"] == f"Bearer {API_KEY}"
    assert gateway.identity.seen == [(API_KEY, "claude-sonnet-4")]


async def test_stream_text_with_the_helper(client: AsyncAnthropic) -> None:
    async with client.messages.stream(
        model="claude-sonnet-4", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        texts = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert "".join(texts) == "Hello, world!"
    assert final.content[0].text == "Hello, world!"  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (10, 5)


async def test_stream_tool_use_reassembles_the_input(client: AsyncAnthropic, gateway: Gateway) -> None:
    async with client.messages.stream(
        model="claude-sonnet-4",
        max_tokens=64,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True},
    ) as stream:
        events = [event.type async for event in stream]
        final = await stream.get_final_message()
    assert events[0] == "message_start"
    assert events[-1] == "message_stop"
    [block] = final.content
    assert block.type == "tool_use"
    assert (block.id, block.name, block.input) == ("call_1", "get_weather", {"city": "Paris"})
    assert final.stop_reason == "tool_use"

    request = gateway.router.requests[0]
    assert request.stream and request.stream_options.include_usage
    tool = request.tools[0]
    assert (tool.type, tool.function.name) == ("function", "get_weather")
    assert tool.function.parameters["properties"]["city"]["type"] == "string"
    assert (request.tool_choice.type, request.tool_choice.function.name) == ("function", "get_weather")
    assert request.HasField("parallel_tool_calls") and not request.parallel_tool_calls


async def test_raw_stream_events_with_thinking(client: AsyncAnthropic) -> None:
    stream = await client.messages.create(
        model="claude-sonnet-4",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    events = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds[:3] == ["message_start", "content_block_start", "content_block_delta"]
    assert kinds[-2:] == ["message_delta", "message_stop"]
    starts = [event.content_block.type for event in events if event.type == "content_block_start"]
    assert starts == ["thinking", "text"]
    deltas = [event.delta.type for event in events if event.type == "content_block_delta"]
    assert deltas == [
        "thinking_delta",
        "thinking_delta",
        "signature_delta",
        "text_delta",
        "text_delta",
        "text_delta",
    ]
    stops = [event.index for event in events if event.type == "content_block_stop"]
    assert stops == [0, 1]


async def test_tool_result_turn_maps_onto_tool_messages(client: AsyncAnthropic, gateway: Gateway) -> None:
    await client.messages.create(
        model="claude-sonnet-4",
        max_tokens=64,
        system=[{"type": "text", "text": "You know the weather."}],
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Weather here?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                    {"type": "text", "text": "Thanks"},
                ],
            },
        ],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
    )
    messages = gateway.router.requests[0].messages
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool", "user"]
    assert messages[0].content == "You know the weather."
    text, image = messages[1].content_parts
    assert text.text == "Weather here?"
    assert image.image_url.url == "data:image/png;base64,iVBORw0KGgo="
    assert messages[2].content == "Checking."
    assert messages[2].tool_calls[0].function.arguments == '{"city": "Paris"}'
    assert (messages[3].tool_call_id, messages[3].content) == ("toolu_1", "sunny")
    assert messages[4].content == "Thanks"


@pytest.mark.parametrize(
    ("model", "error_type", "status", "kind"),
    [
        ("missing-model", anthropic.NotFoundError, 404, "not_found_error"),
        ("busy-model", anthropic.RateLimitError, 429, "rate_limit_error"),
        ("long-model", anthropic.BadRequestError, 400, "invalid_request_error"),
        ("down-model", anthropic.OverloadedError, 529, "overloaded_error"),
        ("revoked-model", anthropic.AuthenticationError, 401, "authentication_error"),
    ],
)
async def test_upstream_errors_become_the_sdk_exceptions(
    client: AsyncAnthropic, model: str, error_type: type[anthropic.APIStatusError], status: int, kind: str
) -> None:
    for stream in (False, True):
        with pytest.raises(error_type) as caught:
            await client.messages.create(
                model=model, max_tokens=8, messages=[{"role": "user", "content": "Hi"}], stream=stream
            )
        assert caught.value.status_code == status
        assert caught.value.type == kind


async def test_missing_max_tokens_is_an_invalid_request(client: AsyncAnthropic, gateway: Gateway) -> None:
    body = {"model": "claude-sonnet-4", "messages": [{"role": "user", "content": "Hi"}]}
    with pytest.raises(anthropic.BadRequestError) as caught:
        await client.post("/v1/messages", cast_to=anthropic.types.Message, body=body)
    assert caught.value.type == "invalid_request_error"
    assert "max_tokens" in (caught.value.api_message or "")
    assert gateway.router.requests == []


async def test_wrong_key_is_an_authentication_error(gateway: Gateway) -> None:
    async with AsyncAnthropic(base_url=gateway.url, api_key="sk-nope", max_retries=0) as wrong:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            await wrong.messages.create(model="m", max_tokens=8, messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.type == "authentication_error"


async def test_a_failure_mid_stream_raises_in_the_sdk(client: AsyncAnthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with client.messages.stream(
            model="flaky-model", max_tokens=8, messages=[{"role": "user", "content": "Hi"}]
        ) as stream:
            async for _ in stream:
                pass
    assert "upstream connection reset" in str(caught.value)


async def test_count_tokens_and_models_in_anthropic_shapes(client: AsyncAnthropic) -> None:
    counted = await client.messages.count_tokens(
        model="claude-sonnet-4", messages=[{"role": "user", "content": "Hi"}], system="Be brief."
    )
    assert counted.input_tokens == 14
    page = await client.models.list()
    assert [model.id for model in page.data] == ["claude-sonnet-4", "gpt-4o-mini", "text-embedding-3-small"]
    assert page.data[0].type == "model"
    assert page.data[0].created_at.year == 2023
