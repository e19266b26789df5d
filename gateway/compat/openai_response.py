"""model_router responses → OpenAI's response objects, member for member.

Written by hand rather than with json_format: OpenAI's shapes differ from proto3 JSON in
ways clients rely on — `index: 0` and `created` as a JSON integer are always present,
absent optionals are ``null`` (`finish_reason`, `logprobs`), and a message carries
`content: null` when it only calls tools.
"""

from __future__ import annotations

import base64
import struct
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage_json(usage: chat_pb2.Usage) -> dict[str, Any]:
    prompt = usage.prompt_tokens_details
    completion = usage.completion_tokens_details
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": prompt.cached_tokens, "audio_tokens": prompt.audio_tokens},
        "completion_tokens_details": {
            "reasoning_tokens": completion.reasoning_tokens,
            "audio_tokens": completion.audio_tokens,
            "accepted_prediction_tokens": completion.accepted_prediction_tokens,
            "rejected_prediction_tokens": completion.rejected_prediction_tokens,
        },
    }


def _logprob_entries(entries: Iterable[chat_pb2.TokenLogprob]) -> list[dict[str, Any]]:
    return [
        {
            "token": entry.token,
            "logprob": entry.logprob,
            "bytes": list(entry.bytes),
            "top_logprobs": [
                {"token": top.token, "logprob": top.logprob, "bytes": list(top.bytes)}
                for top in entry.top_logprobs
            ],
        }
        for entry in entries
    ]


def logprobs_json(choice: chat_pb2.ChatChoice) -> dict[str, Any] | None:
    if not choice.HasField("logprobs"):
        return None
    logprobs = choice.logprobs
    return {"content": _logprob_entries(logprobs.content), "refusal": _logprob_entries(logprobs.refusal)}


def tool_call_json(call: chat_pb2.ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": call.type or "function",
        "function": {"name": call.function.name, "arguments": call.function.arguments},
    }


def message_text(message: chat_pb2.ChatMessage) -> str:
    """The message's text: its plain content, or its text parts joined."""
    if message.content_parts:
        return "".join(part.text for part in message.content_parts if part.type == "text")
    return message.content


def message_json(message: chat_pb2.ChatMessage) -> dict[str, Any]:
    text = message_text(message)
    body: dict[str, Any] = {
        "role": message.role or "assistant",
        "content": text if text or not message.tool_calls else None,
        "refusal": message.refusal or None,
    }
    if message.tool_calls:
        body["tool_calls"] = [tool_call_json(call) for call in message.tool_calls]
    if message.HasField("function_call"):
        legacy = message.function_call
        body["function_call"] = {"name": legacy.name, "arguments": legacy.arguments}
    if message.reasoning_content:
        body["reasoning_content"] = message.reasoning_content
    return body


def completion_json(responses: Sequence[inference_pb2.ChatCompletionResponse], model: str) -> dict[str, Any]:
    """One `chat.completion` from the RPC's answer to a stream=false request.

    That answer is a single response; should a server split it (choices, then usage), the
    parts are merged rather than the later ones dropped.
    """
    first = responses[0] if responses else inference_pb2.ChatCompletionResponse()
    choices = [choice for response in responses for choice in response.choices]
    usage = next((r.usage for r in reversed(responses) if r.HasField("usage")), None)
    body: dict[str, Any] = {
        "id": first.id or completion_id(),
        "object": "chat.completion",
        "created": first.created or int(time.time()),
        "model": first.model or model,
        "choices": [
            {
                "index": choice.index,
                "message": message_json(choice.message),
                "logprobs": logprobs_json(choice),
                "finish_reason": choice.finish_reason or None,
            }
            for choice in choices
        ],
        "system_fingerprint": first.system_fingerprint or None,
        "service_tier": first.service_tier or None,
    }
    if usage is not None:
        body["usage"] = usage_json(usage)
    return body


def tool_call_delta_json(call: chat_pb2.ToolCallDelta) -> dict[str, Any]:
    body: dict[str, Any] = {"index": call.index}
    if call.id:
        body["id"] = call.id
    if call.type:
        body["type"] = call.type
    if call.HasField("function"):
        function: dict[str, Any] = {}
        if call.function.name:
            function["name"] = call.function.name
        function["arguments"] = call.function.arguments
        body["function"] = function
    return body


def delta_json(delta: chat_pb2.ChatDelta) -> dict[str, Any]:
    """A stream delta with only what it carries; the first (role) chunk also has `content: ""`."""
    body: dict[str, Any] = {}
    if delta.role:
        body["role"] = delta.role
    if delta.content or (delta.role and not delta.tool_calls):
        body["content"] = delta.content
    if delta.reasoning_content:
        body["reasoning_content"] = delta.reasoning_content
    if delta.refusal:
        body["refusal"] = delta.refusal
    if delta.tool_calls:
        body["tool_calls"] = [tool_call_delta_json(call) for call in delta.tool_calls]
    return body


class ChunkHeader:
    """`id`, `created` and `model` are the same on every chunk of a stream, as OpenAI promises."""

    def __init__(self, model: str) -> None:
        self.id = ""
        self.created = 0
        self.model = model
        self.system_fingerprint: str | None = None

    def observe(self, response: inference_pb2.ChatCompletionResponse) -> None:
        if not self.id:
            self.id = response.id or completion_id()
            self.created = response.created or int(time.time())
            self.model = response.model or self.model
        if response.system_fingerprint:
            self.system_fingerprint = response.system_fingerprint

    def chunk(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "choices": choices,
        }


def choices_json(response: inference_pb2.ChatCompletionResponse) -> list[dict[str, Any]]:
    return [
        {
            "index": choice.index,
            "delta": delta_json(choice.delta),
            "logprobs": logprobs_json(choice),
            "finish_reason": choice.finish_reason or None,
        }
        for choice in response.choices
    ]


def float32_json(value: float) -> float:
    """The shortest decimal that reads back as the same float32 (0.0023064255, not 0.00230642547830939)."""
    packed = struct.pack("<f", value)
    for digits in range(6, 9):
        candidate = float(format(value, f".{digits}g"))
        if struct.pack("<f", candidate) == packed:
            return candidate
    return float(format(value, ".9g"))


def embedding_vector(values: Sequence[float], encoding_format: str) -> list[float] | str:
    """Floats, or base64 of little-endian float32 bytes as OpenAI sends them."""
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")
    return [float32_json(value) for value in values]


def embeddings_json(
    response: inference_pb2.EmbedResponse, encoding_format: str, model: str
) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {
                "object": "embedding",
                "index": item.index,
                "embedding": embedding_vector(item.embedding, encoding_format),
            }
            for item in response.data
        ],
        "model": response.model or model,
        "usage": {
            "prompt_tokens": response.usage.prompt_tokens,
            "total_tokens": response.usage.total_tokens or response.usage.prompt_tokens,
        },
    }


def model_json(model: chat_pb2.Model) -> dict[str, Any]:
    return {"id": model.id, "object": "model", "created": model.created, "owned_by": model.owned_by}


def models_json(models: Iterable[chat_pb2.Model]) -> dict[str, Any]:
    return {"object": "list", "data": [model_json(model) for model in models]}
