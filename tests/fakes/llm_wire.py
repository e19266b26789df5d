"""The wire shapes of OpenAI's and Anthropic's APIs, as the fake LLM upstream sends them.

Kept apart from the server so the bodies read like the providers' documentation: OpenAI's
`chat.completion` / `chat.completion.chunk` (with `usage: null` on every chunk and a final
usage-only chunk with empty `choices` when `stream_options.include_usage` is set, then
``data: [DONE]``), and Anthropic's Messages events (`message_start`, per-block
`content_block_start` / `content_block_delta` / `content_block_stop` with `text_delta`,
`thinking_delta`, `signature_delta` and `input_json_delta`, `ping`, `message_delta` with
the output usage, `message_stop`).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

FINGERPRINT = "fp_fake0001"


@dataclass(frozen=True)
class FakeToolCall:
    id: str
    name: str
    arguments: str  # JSON text, streamed in fragments


@dataclass(frozen=True)
class FakeReply:
    """What the fake model answers; `pieces` are the stream's content fragments."""

    pieces: tuple[str, ...] = ("Hello", " from", " the", " fake", ".")
    tool_calls: tuple[FakeToolCall, ...] = ()
    thinking: tuple[str, ...] = ()
    signature: str = "sig-fake-1"
    cached_tokens: int = 0

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def completion_tokens(self) -> int:
        return (
            len(self.pieces)
            + len(self.thinking)
            + sum(1 + len(call.arguments) // 8 for call in self.tool_calls)
        )


def count_prompt_tokens(messages: Any) -> int:
    """A stand-in tokenizer: whitespace-separated words plus 3 per message, as the real ones add overhead."""
    total = 0
    for message in messages or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        total += 3 + len(str(content or "").split())
    return total


def fragments(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


# ---- OpenAI ----


def openai_usage(prompt: int, reply: FakeReply) -> dict[str, Any]:
    completion = reply.completion_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": len(reply.thinking),
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def openai_completion(
    completion_id: str, created: int, model: str, prompt: int, reply: FakeReply
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.text if reply.pieces else None,
        "refusal": None,
        "annotations": [],
    }
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in reply.tool_calls
        ]
    if reply.thinking:
        message["reasoning_content"] = "".join(reply.thinking)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": openai_usage(prompt, reply),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


def openai_chunks(
    completion_id: str, created: int, model: str, prompt: int, reply: FakeReply, include_usage: bool
) -> Iterator[dict[str, Any]]:
    """Every `chat.completion.chunk` of one streamed answer, in order."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            body["usage"] = None
        return body

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in reply.thinking:
        yield chunk({"reasoning_content": piece})
    for piece in reply.pieces:
        yield chunk({"content": piece})
    for index, call in enumerate(reply.tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ]
            }
        )
        for part in fragments(call.arguments):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    if include_usage:
        yield {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
            "choices": [],
            "usage": openai_usage(prompt, reply),
        }


def openai_error(status: int, message: str) -> dict[str, Any]:
    kinds = {
        400: ("invalid_request_error", None),
        401: ("invalid_request_error", "invalid_api_key"),
        403: ("invalid_request_error", "unsupported_country_region_territory"),
        429: ("requests", "rate_limit_exceeded"),
    }
    kind, code = kinds.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def embedding(text: str, dimensions: int) -> list[float]:
    """A deterministic unit-ish vector per text, so tests can compare them."""
    digest = hashlib.sha256(text.encode()).digest() * (1 + dimensions * 4 // 32)
    raw = struct.unpack(f"<{dimensions}i", digest[: dimensions * 4])
    return [value / 2**31 for value in raw]


def openai_embeddings(model: str, inputs: list[str], dimensions: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": embedding(text, dimensions)}
            for i, text in enumerate(inputs)
        ],
        "model": model,
        "usage": {
            "prompt_tokens": sum(len(t.split()) for t in inputs),
            "total_tokens": sum(len(t.split()) for t in inputs),
        },
    }


# ---- Anthropic ----


def anthropic_usage(prompt: int, output: int, reply: FakeReply) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": reply.cached_tokens,
        "output_tokens": output,
    }


def anthropic_message(message_id: str, model: str, prompt: int, reply: FakeReply) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.thinking:
        content.append(
            {"type": "thinking", "thinking": "".join(reply.thinking), "signature": reply.signature}
        )
    if reply.pieces:
        content.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        content.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": json.loads(call.arguments)}
        )
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
        "stop_sequence": None,
        "usage": anthropic_usage(prompt, reply.completion_tokens, reply),
    }


def anthropic_events(
    message_id: str, model: str, prompt: int, reply: FakeReply
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs of one streamed Messages answer, in order."""
    start = anthropic_message(message_id, model, prompt, reply)
    start.update(content=[], stop_reason=None, usage=anthropic_usage(prompt, 1, reply))
    yield "message_start", {"type": "message_start", "message": start}
    index = 0
    if reply.thinking:
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
        )
        for piece in reply.thinking:
            delta = {"type": "thinking_delta", "thinking": piece}
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        delta = {"type": "signature_delta", "signature": reply.signature}
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
        index += 1
    if reply.pieces:
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            },
        )
        yield "ping", {"type": "ping"}
        for piece in reply.pieces:
            delta = {"type": "text_delta", "text": piece}
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
        index += 1
    for call in reply.tool_calls:
        block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": block}
        for part in fragments(call.arguments):
            delta = {"type": "input_json_delta", "partial_json": part}
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
        index += 1
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use" if reply.tool_calls else "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": reply.completion_tokens},
        },
    )
    yield "message_stop", {"type": "message_stop"}


def anthropic_error(status: int, message: str) -> dict[str, Any]:
    kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    }
    return {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": message}}
