"""The Gemini adapter against a fake speaking Gemini's wire format: chat, stream, tools, vision, errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters import SseEvent, Target, UpstreamError, adapter_for
from model_router.adapters.gemini import GeminiAdapter, GeminiStreamParser
from model_router.adapters.transport import post_json
from tests.fakes.llm_gemini import Failure, FakeGemini
from tests.integration.model_router.providers.provider_support import (
    PIXEL,
    TOOL_REPLY,
    WEATHER,
    answer,
    chat,
    reassemble,
    streamed,
)

MODEL = "gemini-2.5-flash"


@pytest.fixture
async def gemini() -> AsyncIterator[FakeGemini]:
    fake = FakeGemini()
    async with fake.running():
        yield fake


def target(fake: FakeGemini, model: str = MODEL) -> Target:
    return Target(fake.base_url, "AIza-upstream", model)


def adapter() -> GeminiAdapter:
    found = adapter_for("gemini")
    assert isinstance(found, GeminiAdapter)
    return found


async def test_chat_request_shape_and_json_answer(gemini: FakeGemini, http: httpx.AsyncClient) -> None:
    request = inference_pb2.ChatCompletionRequest(
        model=MODEL,
        messages=[
            chat_pb2.ChatMessage(role="system", content="Be brief."),
            chat_pb2.ChatMessage(role="user", content="Say hello"),
        ],
        temperature=0.2,
        max_tokens=64,
        stop=["END"],
    )
    result = await answer(http, adapter(), request, target(gemini))
    sent = gemini.requests[-1]
    assert sent.path == f"/v1beta/models/{MODEL}:generateContent"
    assert sent.headers["x-goog-api-key"] == "AIza-upstream"
    assert sent.body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent.body["contents"] == [{"role": "user", "parts": [{"text": "Say hello"}]}]
    assert sent.body["generationConfig"] == {
        "temperature": 0.2,
        "maxOutputTokens": 64,
        "stopSequences": ["END"],
    }
    choice = result.choices[0]
    assert (choice.message.role, choice.message.content, choice.finish_reason) == (
        "assistant",
        "Hello from the fake.",
        "stop",
    )
    assert result.model == MODEL
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (10, 5)


async def test_stream_uses_sse_and_reassembles_tools(gemini: FakeGemini, http: httpx.AsyncClient) -> None:
    gemini.reply = TOOL_REPLY
    request = chat(MODEL, stream=True, tools=[WEATHER])
    responses, usage = await streamed(http, adapter(), request, target(gemini))
    sent = gemini.requests[-1]
    assert sent.path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert sent.body["tools"] == [
        {"functionDeclarations": [{"name": "get_weather", "description": "Weather for a city"}]}
    ]
    assert len(responses) > 5
    whole = reassemble(responses)
    assert whole.message.content == "Let me check both."
    assert whole.message.reasoning_content == "The user wants weather."
    assert whole.message.reasoning_signature == "sig-abc"
    assert whole.finish_reason == "tool_calls"
    assert [(c.id, c.function.name) for c in whole.message.tool_calls] == [
        ("call_0", "get_weather"),
        ("call_1", "get_time"),
    ]
    assert json.loads(whole.message.tool_calls[1].function.arguments) == {
        "timezone": "Europe/Paris",
        "format": "24h",
    }
    assert usage is not None
    assert usage.completion_tokens == TOOL_REPLY.completion_tokens
    assert usage.completion_tokens_details.reasoning_tokens == 2
    assert usage.prompt_tokens_details.cached_tokens == 2


async def test_tool_turns_and_vision_parts(gemini: FakeGemini, http: httpx.AsyncClient) -> None:
    call = chat_pb2.ToolCall(
        id="call_0",
        type="function",
        function=chat_pb2.FunctionCall(name="get_weather", arguments='{"city":"Paris"}'),
    )
    request = inference_pb2.ChatCompletionRequest(
        model=MODEL,
        messages=[
            chat_pb2.ChatMessage(
                role="user",
                content_parts=[
                    chat_pb2.ContentPart(type="text", text="What is this and the weather?"),
                    chat_pb2.ContentPart(type="image_url", image_url=chat_pb2.ImageUrl(url=PIXEL)),
                    chat_pb2.ContentPart(
                        type="image_url", image_url=chat_pb2.ImageUrl(url="https://example.com/cat.png")
                    ),
                ],
            ),
            chat_pb2.ChatMessage(role="assistant", tool_calls=[call], reasoning_signature="sig-1"),
            chat_pb2.ChatMessage(role="tool", tool_call_id="call_0", content='{"temp": 18}'),
        ],
        tools=[WEATHER],
        tool_choice=chat_pb2.ToolChoice(type="function", function=chat_pb2.FunctionName(name="get_weather")),
    )
    await answer(http, adapter(), request, target(gemini))
    contents = gemini.requests[-1].body["contents"]
    image, remote = contents[0]["parts"][1], contents[0]["parts"][2]
    assert image == {"inlineData": {"mimeType": "image/png", "data": PIXEL.split(",", 1)[1]}}
    assert remote == {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/cat.png"}}
    assert contents[1] == {
        "role": "model",
        "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "sig-1"}
        ],
    }
    assert contents[2] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 18}}}],
    }
    assert gemini.requests[-1].body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
    }


async def test_embeddings_batch(gemini: FakeGemini, http: httpx.AsyncClient) -> None:
    request = inference_pb2.EmbedRequest(
        model="text-embedding-004", input=["one two", "three"], dimensions=4, input_type="query"
    )
    gateway = adapter()
    sent = gateway.embed_request(request, target(gemini, "text-embedding-004"))
    result = gateway.embed_response(await post_json(http, gateway, sent, 10.0))
    body = gemini.requests[-1].body
    assert gemini.requests[-1].path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    assert body["requests"][0] == {
        "model": "models/text-embedding-004",
        "content": {"parts": [{"text": "one two"}]},
        "outputDimensionality": 4,
        "taskType": "RETRIEVAL_QUERY",
    }
    assert [item.index for item in result.data] == [0, 1]
    assert all(len(item.embedding) == 4 for item in result.data)
    assert result.data[0].embedding != result.data[1].embedding


@pytest.mark.parametrize(
    ("failure", "retryable", "key_fault"),
    [
        (Failure(status=500, message="Internal error encountered."), True, False),
        (Failure(status=503, message="The model is overloaded."), True, False),
        (Failure(status=429, message="Resource has been exhausted (e.g. check quota)."), True, True),
        (Failure(status=400, message="Invalid JSON payload received."), False, False),
        (Failure(status=403, message="Permission denied."), False, True),
    ],
)
async def test_errors_are_classified(
    gemini: FakeGemini, http: httpx.AsyncClient, failure: Failure, retryable: bool, key_fault: bool
) -> None:
    gemini.fail(failure)
    with pytest.raises(UpstreamError) as caught:
        await answer(http, adapter(), chat(MODEL), target(gemini))
    error = caught.value
    assert (error.status, error.retryable, error.key_fault) == (failure.status, retryable, key_fault)
    assert error.message == failure.message


async def test_invalid_key_is_the_keys_fault(gemini: FakeGemini, http: httpx.AsyncClient) -> None:
    gemini.valid_keys = frozenset({"AIza-other"})
    with pytest.raises(UpstreamError) as caught:
        await answer(http, adapter(), chat(MODEL), target(gemini))
    assert (caught.value.status, caught.value.key_fault, caught.value.retryable) == (400, True, False)
    assert caught.value.reason == "API_KEY_INVALID"


async def test_stream_refused_before_first_event(gemini: FakeGemini, http: httpx.AsyncClient) -> None:
    gemini.fail(Failure(status=503, message="overloaded"))
    with pytest.raises(UpstreamError) as caught:
        await streamed(http, adapter(), chat(MODEL, stream=True), target(gemini))
    assert caught.value.retryable


def test_safety_block_and_max_tokens_finish() -> None:
    parser = GeminiStreamParser()
    blocked = parser.feed(SseEvent("message", json.dumps({"promptFeedback": {"blockReason": "SAFETY"}})))
    assert blocked[0].choices[0].finish_reason == "content_filter" and parser.done
    body = {
        "candidates": [
            {"content": {"parts": [{"text": "cut"}], "role": "model"}, "finishReason": "MAX_TOKENS"}
        ],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 9, "totalTokenCount": 12},
    }
    result = adapter().chat_response(body)
    assert result.choices[0].finish_reason == "length"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (
        3,
        9,
        12,
    )
