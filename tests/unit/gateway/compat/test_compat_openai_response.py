"""model_router responses → OpenAI's response objects: exact members, nulls and encodings."""

from __future__ import annotations

import base64
import struct

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from gateway.compat.openai_response import (
    ChunkHeader,
    choices_json,
    completion_json,
    delta_json,
    embedding_vector,
    embeddings_json,
    float32_json,
    models_json,
)

USAGE = chat_pb2.Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7)


def answer(
    message: chat_pb2.ChatMessage, finish: str = "stop", **fields: object
) -> inference_pb2.ChatCompletionResponse:
    choice = chat_pb2.ChatChoice(index=0, message=message, finish_reason=finish)
    return inference_pb2.ChatCompletionResponse(id="c1", created=5, model="m", choices=[choice], **fields)  # type: ignore[arg-type]


def test_completion_has_every_openai_member() -> None:
    body = completion_json(
        [answer(chat_pb2.ChatMessage(role="assistant", content="Hi"), usage=USAGE)], "asked"
    )
    assert body == {
        "id": "c1",
        "object": "chat.completion",
        "created": 5,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "system_fingerprint": None,
        "service_tier": None,
        "usage": {
            "prompt_tokens": 3,
            "completion_tokens": 4,
            "total_tokens": 7,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    }


def test_tool_only_message_has_null_content_and_reasoning_is_kept() -> None:
    call = chat_pb2.ToolCall(
        id="t", type="function", function=chat_pb2.FunctionCall(name="f", arguments="{}")
    )
    message = chat_pb2.ChatMessage(role="assistant", tool_calls=[call], reasoning_content="hmm")
    body = completion_json([answer(message, "tool_calls")], "m")["choices"][0]["message"]
    assert body["content"] is None
    assert body["tool_calls"] == [
        {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    assert body["reasoning_content"] == "hmm"


def test_split_answer_is_merged_and_missing_ids_are_filled() -> None:
    parts = [
        inference_pb2.ChatCompletionResponse(
            choices=[
                chat_pb2.ChatChoice(
                    message=chat_pb2.ChatMessage(
                        content_parts=[
                            chat_pb2.ContentPart(type="text", text="a"),
                            chat_pb2.ContentPart(type="text", text="b"),
                        ]
                    )
                )
            ]
        ),
        inference_pb2.ChatCompletionResponse(usage=USAGE),
    ]
    body = completion_json(parts, "asked")
    assert body["id"].startswith("chatcmpl-") and isinstance(body["created"], int) and body["created"] > 0
    assert body["model"] == "asked"
    assert body["choices"][0]["message"]["content"] == "ab"
    assert body["choices"][0]["finish_reason"] is None
    assert body["usage"]["total_tokens"] == 7


def test_deltas_carry_only_what_they_have() -> None:
    assert delta_json(chat_pb2.ChatDelta(role="assistant")) == {"role": "assistant", "content": ""}
    assert delta_json(chat_pb2.ChatDelta(content="x")) == {"content": "x"}
    assert delta_json(chat_pb2.ChatDelta()) == {}
    first = chat_pb2.ToolCallDelta(index=0, id="t", type="function", function=chat_pb2.FunctionCall(name="f"))
    later = chat_pb2.ToolCallDelta(index=1, function=chat_pb2.FunctionCall(arguments='{"a"'))
    assert delta_json(chat_pb2.ChatDelta(role="assistant", tool_calls=[first, later])) == {
        "role": "assistant",
        "tool_calls": [
            {"index": 0, "id": "t", "type": "function", "function": {"name": "f", "arguments": ""}},
            {"index": 1, "function": {"arguments": '{"a"'}},
        ],
    }


def test_chunk_header_is_stable_across_the_stream() -> None:
    header = ChunkHeader("asked")
    first = inference_pb2.ChatCompletionResponse(id="c9", created=11, model="real")
    header.observe(first)
    header.observe(inference_pb2.ChatCompletionResponse(id="other", created=12, system_fingerprint="fp"))
    choice = chat_pb2.ChatChoice(index=0, delta=chat_pb2.ChatDelta(content="x"), finish_reason="length")
    chunk = header.chunk(choices_json(inference_pb2.ChatCompletionResponse(choices=[choice])))
    assert chunk == {
        "id": "c9",
        "object": "chat.completion.chunk",
        "created": 11,
        "model": "real",
        "system_fingerprint": "fp",
        "choices": [{"index": 0, "delta": {"content": "x"}, "logprobs": None, "finish_reason": "length"}],
    }


def test_logprobs_when_present() -> None:
    top = chat_pb2.TopLogprob(token="a", logprob=-0.5, bytes=[97])
    logprobs = chat_pb2.ChoiceLogprobs(
        content=[chat_pb2.TokenLogprob(token="a", logprob=-0.1, bytes=[97], top_logprobs=[top])]
    )
    choice = chat_pb2.ChatChoice(index=0, delta=chat_pb2.ChatDelta(content="a"), logprobs=logprobs)
    [body] = choices_json(inference_pb2.ChatCompletionResponse(choices=[choice]))
    assert body["logprobs"] == {
        "content": [
            {
                "token": "a",
                "logprob": -0.1,
                "bytes": [97],
                "top_logprobs": [{"token": "a", "logprob": -0.5, "bytes": [97]}],
            }
        ],
        "refusal": [],
    }


def test_float32_values_print_short_and_exact() -> None:
    for value in (0.1, 1 / 3, -2.5e-7, 123456.789, 0.0):
        as_float32 = struct.unpack("<f", struct.pack("<f", value))[0]
        printed = float32_json(as_float32)
        assert struct.pack("<f", printed) == struct.pack("<f", as_float32)
        assert len(repr(printed)) <= 15
    assert float32_json(struct.unpack("<f", struct.pack("<f", 0.1))[0]) == 0.1


def test_base64_is_little_endian_float32() -> None:
    encoded = embedding_vector([1.0, -2.0, 0.5], "base64")
    assert isinstance(encoded, str)
    assert struct.unpack("<3f", base64.b64decode(encoded)) == (1.0, -2.0, 0.5)
    assert base64.b64decode(encoded)[:4] == b"\x00\x00\x80\x3f"


def test_embeddings_and_models_shapes() -> None:
    response = inference_pb2.EmbedResponse(
        data=[chat_pb2.Embedding(index=0, embedding=[0.5])], usage=chat_pb2.Usage(prompt_tokens=2)
    )
    assert embeddings_json(response, "float", "e") == {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
        "model": "e",
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
    }
    model = chat_pb2.Model(id="m", object="model", created=9, owned_by="openai", alias=True)
    assert models_json([model]) == {
        "object": "list",
        "data": [{"id": "m", "object": "model", "created": 9, "owned_by": "openai"}],
    }
