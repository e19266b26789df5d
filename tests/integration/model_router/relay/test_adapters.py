"""Each adapter against the fake upstream in its provider's wire format: chat, streams, tools, errors."""

from __future__ import annotations

import json

import httpx
import pytest
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters import Adapter, Target, UpstreamError, adapter_for
from model_router.adapters.transport import post_json, post_stream
from tests.fakes.llm_upstream import Failure, FakeLLMUpstream, FakeReply, FakeToolCall
from tests.integration.model_router.relay.relay_support import chat

TOOL_REPLY = FakeReply(
    pieces=("Let me check.",),
    tool_calls=(FakeToolCall("call_1", "get_weather", '{"city": "Paris", "unit": "celsius"}'),),
    thinking=("The user ", "wants weather."),
    signature="sig-abc",
)
WEATHER = chat_pb2.Tool(type="function", function=chat_pb2.FunctionDefinition(name="get_weather"))


def target(upstream: FakeLLMUpstream, model: str = "gpt-4o-mini", **options: str) -> Target:
    base = upstream.base_url if "azure_api_version" in options else f"{upstream.base_url}/v1"
    return Target(base, "sk-upstream", model, dict(options))


async def streamed(
    http: httpx.AsyncClient, adapter: Adapter, request: inference_pb2.ChatCompletionRequest, where: Target
) -> tuple[list[inference_pb2.ChatCompletionResponse], chat_pb2.Usage | None]:
    parser = adapter.stream_parser()
    responses = []
    async for event in post_stream(http, adapter, adapter.chat_request(request, where), 10.0):
        responses.extend(parser.feed(event))
    assert parser.done
    return responses, parser.usage


def reassemble(responses: list[inference_pb2.ChatCompletionResponse]) -> dict[str, object]:
    text, thinking, signature, finish = "", "", "", ""
    calls: dict[int, dict[str, str]] = {}
    for response in responses:
        for choice in response.choices:
            delta = choice.delta
            text += delta.content
            thinking += delta.reasoning_content
            signature += delta.reasoning_signature
            finish = choice.finish_reason or finish
            for fragment in delta.tool_calls:
                call = calls.setdefault(fragment.index, {"id": "", "name": "", "arguments": ""})
                call["id"] = fragment.id or call["id"]
                call["name"] = fragment.function.name or call["name"]
                call["arguments"] += fragment.function.arguments
    return {"text": text, "thinking": thinking, "signature": signature, "finish": finish, "calls": calls}


async def test_openai_chat_json(upstream: FakeLLMUpstream, http: httpx.AsyncClient) -> None:
    adapter = adapter_for("openai")
    assert adapter is not None
    request = chat(temperature=0.0, max_tokens=32, stop=["END"])
    body = await post_json(http, adapter, adapter.chat_request(request, target(upstream, "gpt-4o")), 10.0)
    answer = adapter.chat_response(body)
    sent = upstream.requests[-1]
    assert sent.headers["authorization"] == "Bearer sk-upstream"
    assert sent.body["model"] == "gpt-4o"
    assert (sent.body["temperature"], sent.body["max_tokens"], sent.body["stop"]) == (0.0, 32, ["END"])
    assert "top_p" not in sent.body
    assert answer.choices[0].message.content == "Hello from the fake."
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage.prompt_tokens == 5 and answer.usage.completion_tokens == 5


async def test_openai_stream_reassembles_tools_and_asks_for_usage(
    upstream: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    upstream.reply = TOOL_REPLY
    adapter = adapter_for("openai")
    assert adapter is not None
    responses, usage = await streamed(http, adapter, chat(stream=True, tools=[WEATHER]), target(upstream))
    assert upstream.requests[-1].body["stream_options"] == {"include_usage": True}
    whole = reassemble(responses)
    assert whole["text"] == "Let me check."
    assert whole["thinking"] == "The user wants weather."
    assert whole["finish"] == "tool_calls"
    assert whole["calls"] == {
        0: {"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris", "unit": "celsius"}'}
    }
    assert usage is not None and usage.completion_tokens == TOOL_REPLY.completion_tokens
    assert usage.completion_tokens_details.reasoning_tokens == 2


async def test_azure_path_and_header(upstream: FakeLLMUpstream, http: httpx.AsyncClient) -> None:
    adapter = adapter_for("azure")
    assert adapter is not None
    where = target(upstream, "my-deployment", azure_api_version="2024-10-21")
    answer = adapter.chat_response(await post_json(http, adapter, adapter.chat_request(chat(), where), 10.0))
    sent = upstream.requests[-1]
    assert sent.path == "/openai/deployments/my-deployment/chat/completions"
    assert sent.headers["api-key"] == "sk-upstream"
    assert answer.choices[0].message.content == "Hello from the fake."


async def test_openai_embeddings(upstream: FakeLLMUpstream, http: httpx.AsyncClient) -> None:
    adapter = adapter_for("openai")
    assert adapter is not None
    request = inference_pb2.EmbedRequest(
        model="text-embedding-3-small", input=["one two", "three"], dimensions=4
    )
    sent = adapter.embed_request(request, target(upstream, "text-embedding-3-small"))
    answer = adapter.embed_response(await post_json(http, adapter, sent, 10.0))
    assert [item.index for item in answer.data] == [0, 1]
    assert all(len(item.embedding) == 4 for item in answer.data)
    assert answer.usage.prompt_tokens == 3


@pytest.mark.parametrize(
    ("failure", "retryable", "key_fault", "retry_after"),
    [
        (Failure(status=500), True, False, None),
        (Failure(status=429, message="Rate limit reached", retry_after=3), True, False, 3.0),
        (Failure(status=429, message="You exceeded your current quota"), True, True, None),
        (Failure(status=400, message="bad request"), False, False, None),
    ],
)
async def test_openai_errors_are_classified(
    upstream: FakeLLMUpstream,
    http: httpx.AsyncClient,
    failure: Failure,
    retryable: bool,
    key_fault: bool,
    retry_after: float | None,
) -> None:
    adapter = adapter_for("openai")
    assert adapter is not None
    upstream.fail(failure)
    with pytest.raises(UpstreamError) as caught:
        await post_json(http, adapter, adapter.chat_request(chat(), target(upstream)), 10.0)
    error = caught.value
    assert (error.status, error.retryable, error.key_fault, error.retry_after) == (
        failure.status,
        retryable,
        key_fault,
        retry_after,
    )
    assert error.message == failure.message


async def test_wrong_key_is_a_key_fault(upstream: FakeLLMUpstream, http: httpx.AsyncClient) -> None:
    upstream.valid_keys = frozenset({"sk-other"})
    adapter = adapter_for("anthropic")
    assert adapter is not None
    with pytest.raises(UpstreamError) as caught:
        await post_json(http, adapter, adapter.chat_request(chat("claude-sonnet-4"), target(upstream)), 10.0)
    assert (caught.value.status, caught.value.key_fault) == (401, True)
    assert caught.value.message == "invalid x-api-key"


async def test_anthropic_request_and_json_answer(upstream: FakeLLMUpstream, http: httpx.AsyncClient) -> None:
    upstream.reply = TOOL_REPLY
    adapter = adapter_for("anthropic")
    assert adapter is not None
    request = inference_pb2.ChatCompletionRequest(
        model="claude-sonnet-4",
        messages=[
            chat_pb2.ChatMessage(role="system", content="Be brief."),
            chat_pb2.ChatMessage(role="user", content="Weather in Paris?"),
        ],
        tools=[WEATHER],
        tool_choice=chat_pb2.ToolChoice(type="required"),
    )
    body = await post_json(
        http, adapter, adapter.chat_request(request, target(upstream, "claude-sonnet-4")), 10.0
    )
    sent = upstream.requests[-1]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-upstream"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["system"] == "Be brief."
    assert sent.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}
    ]
    assert sent.body["max_tokens"] == 4096
    assert sent.body["tool_choice"] == {"type": "any"}
    assert sent.body["tools"][0]["name"] == "get_weather"
    message = adapter.chat_response(body).choices[0]
    assert message.finish_reason == "tool_calls"
    assert message.message.content == "Let me check."
    assert message.message.reasoning_content == "The user wants weather."
    assert message.message.reasoning_signature == "sig-abc"
    assert json.loads(message.message.tool_calls[0].function.arguments) == {
        "city": "Paris",
        "unit": "celsius",
    }


async def test_anthropic_stream_with_thinking_and_tool_use(
    upstream: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    upstream.reply = TOOL_REPLY
    adapter = adapter_for("anthropic")
    assert adapter is not None
    request = chat("claude-sonnet-4", stream=True, tools=[WEATHER])
    responses, usage = await streamed(http, adapter, request, target(upstream, "claude-sonnet-4"))
    whole = reassemble(responses)
    assert whole == {
        "text": "Let me check.",
        "thinking": "The user wants weather.",
        "signature": "sig-abc",
        "finish": "tool_calls",
        "calls": {
            0: {"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris", "unit": "celsius"}'}
        },
    }
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (5, TOOL_REPLY.completion_tokens)


async def test_anthropic_tool_result_turns(upstream: FakeLLMUpstream, http: httpx.AsyncClient) -> None:
    adapter = adapter_for("anthropic")
    assert adapter is not None
    call = chat_pb2.ToolCall(
        id="toolu_1",
        type="function",
        function=chat_pb2.FunctionCall(name="get_weather", arguments='{"city":"Paris"}'),
    )
    request = inference_pb2.ChatCompletionRequest(
        model="claude-sonnet-4",
        messages=[
            chat_pb2.ChatMessage(role="user", content="Weather?"),
            chat_pb2.ChatMessage(role="assistant", tool_calls=[call]),
            chat_pb2.ChatMessage(role="tool", tool_call_id="toolu_1", content="18C"),
        ],
    )
    await post_json(http, adapter, adapter.chat_request(request, target(upstream)), 10.0)
    turns = upstream.requests[-1].body["messages"]
    assert turns[1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
    }
    assert turns[2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"}],
    }
