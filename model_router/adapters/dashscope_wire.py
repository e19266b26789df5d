"""ChatCompletionRequest → Alibaba DashScope's native generation body (not its OpenAI mode).

DashScope wraps the conversation as ``{"model", "input": {"messages"}, "parameters": {...}}``;
``result_format="message"`` asks for OpenAI-like messages in ``output.choices`` and
``incremental_output`` makes a stream send only new text (DashScope's default is the whole
text so far). Text models take string contents; vision models use the multimodal endpoint,
where every content is a list of ``{"text": ...}`` / ``{"image": url}`` items.
"""

from __future__ import annotations

from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from google.protobuf import json_format

from model_router.adapters.openai_wire import function_json, tool_choice_json

__all__ = ["embed_body", "generation_body", "is_multimodal"]

_PARAMETERS = (
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "presence_penalty",
    "n",
    "parallel_tool_calls",
    "logprobs",
    "top_logprobs",
)


def is_multimodal(request: inference_pb2.ChatCompletionRequest) -> bool:
    return any(
        part.type in ("image_url", "input_audio") or part.WhichOneof("part") in ("image_url", "input_audio")
        for message in request.messages
        for part in message.content_parts
    )


def _text(message: chat_pb2.ChatMessage) -> str:
    if message.content_parts:
        return "".join(part.text for part in message.content_parts if part.type == "text")
    return message.content


def _items(message: chat_pb2.ChatMessage) -> list[dict[str, Any]]:
    if not message.content_parts:
        return [{"text": message.content}]
    items: list[dict[str, Any]] = []
    for part in message.content_parts:
        kind = part.type or part.WhichOneof("part") or "text"
        if kind == "image_url":
            items.append({"image": part.image_url.url})
        elif kind == "input_audio":
            items.append({"audio": part.input_audio.data})
        elif kind == "text":
            items.append({"text": part.text})
    return items


def _message(message: chat_pb2.ChatMessage, multimodal: bool) -> dict[str, Any]:
    role = "system" if message.role == "developer" else message.role
    body: dict[str, Any] = {"role": role, "content": _items(message) if multimodal else _text(message)}
    if message.tool_calls:
        body["tool_calls"] = [
            {
                "id": call.id,
                "type": call.type or "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for call in message.tool_calls
        ]
    if message.reasoning_content and role == "assistant":
        body["reasoning_content"] = message.reasoning_content
    if message.tool_call_id:
        body["tool_call_id"] = message.tool_call_id
    if message.name:
        body["name"] = message.name
    return body


def generation_body(request: inference_pb2.ChatCompletionRequest, model: str) -> dict[str, Any]:
    multimodal = is_multimodal(request)
    parameters: dict[str, Any] = {"result_format": "message"}
    for name in _PARAMETERS:
        if request.HasField(name):
            parameters[name] = getattr(request, name)
    if request.HasField("max_completion_tokens"):
        parameters["max_tokens"] = request.max_completion_tokens
    elif request.HasField("max_tokens"):
        parameters["max_tokens"] = request.max_tokens
    if request.stop:
        parameters["stop"] = list(request.stop)
    tools = [{"type": "function", "function": function_json(t.function)} for t in request.tools]
    tools.extend({"type": "function", "function": function_json(f)} for f in request.functions)
    if tools:
        parameters["tools"] = tools
    if request.HasField("tool_choice"):
        parameters["tool_choice"] = tool_choice_json(request.tool_choice)
    if request.HasField("response_format") and request.response_format.type in ("json_object", "json_schema"):
        parameters["response_format"] = {"type": "json_object"}
    if request.stream:
        parameters["incremental_output"] = True
    if request.HasField("provider_options"):
        parameters.update(json_format.MessageToDict(request.provider_options))
    return {
        "model": model,
        "input": {"messages": [_message(m, multimodal) for m in request.messages]},
        "parameters": parameters,
    }


def embed_body(request: inference_pb2.EmbedRequest, model: str) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    if request.HasField("dimensions"):
        parameters["dimension"] = request.dimensions
    if request.input_type in ("query", "document"):
        parameters["text_type"] = request.input_type
    body: dict[str, Any] = {"model": model, "input": {"texts": list(request.input)}}
    if parameters:
        body["parameters"] = parameters
    return body
