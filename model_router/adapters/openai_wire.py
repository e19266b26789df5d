"""ChatCompletionRequest → OpenAI's JSON body, shared by every adapter that speaks OpenAI's dialect.

The proto keeps OpenAI's field names, so most members copy across; the structured forms the
proto holds (tool_choice, content parts) go back to OpenAI's shapes, and the legacy
`functions` / `function_call` become `tools` / `tool_choice`.
"""

from __future__ import annotations

from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from google.protobuf import json_format

__all__ = ["chat_body", "message_json", "tool_choice_json", "tools_json"]

_OPTIONAL_SCALARS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "parallel_tool_calls",
    "logprobs",
    "top_logprobs",
    "store",
    "top_k",
)
_STRINGS = ("user", "reasoning_effort", "service_tier")


def part_json(part: chat_pb2.ContentPart) -> dict[str, Any]:
    kind = part.type or part.WhichOneof("part") or "text"
    if kind == "image_url":
        image: dict[str, Any] = {"url": part.image_url.url}
        if part.image_url.detail:
            image["detail"] = part.image_url.detail
        return {"type": "image_url", "image_url": image}
    if kind == "input_audio":
        return {
            "type": "input_audio",
            "input_audio": {"data": part.input_audio.data, "format": part.input_audio.format},
        }
    if kind == "file":
        file = {
            k: v
            for k, v in (
                ("file_id", part.file.file_id),
                ("file_data", part.file.file_data),
                ("filename", part.file.filename),
            )
            if v
        }
        return {"type": "file", "file": file}
    return {"type": kind, "text": part.text}


def message_json(message: chat_pb2.ChatMessage) -> dict[str, Any]:
    body: dict[str, Any] = {"role": message.role}
    if message.content_parts:
        body["content"] = [part_json(part) for part in message.content_parts]
    elif message.content or not (message.tool_calls or message.HasField("function_call")):
        body["content"] = message.content
    else:
        body["content"] = None
    if message.name:
        body["name"] = message.name
    if message.tool_calls:
        body["tool_calls"] = [
            {
                "id": c.id,
                "type": c.type or "function",
                "function": {"name": c.function.name, "arguments": c.function.arguments},
            }
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        body["tool_call_id"] = message.tool_call_id
    if message.HasField("function_call"):
        body["function_call"] = {
            "name": message.function_call.name,
            "arguments": message.function_call.arguments,
        }
    if message.refusal:
        body["refusal"] = message.refusal
    return body


def function_json(function: chat_pb2.FunctionDefinition) -> dict[str, Any]:
    body: dict[str, Any] = {"name": function.name}
    if function.description:
        body["description"] = function.description
    if function.HasField("parameters"):
        body["parameters"] = json_format.MessageToDict(function.parameters)
    if function.strict:
        body["strict"] = True
    return body


def tools_json(request: inference_pb2.ChatCompletionRequest) -> list[dict[str, Any]]:
    tools = [{"type": t.type or "function", "function": function_json(t.function)} for t in request.tools]
    tools.extend({"type": "function", "function": function_json(f)} for f in request.functions)
    return tools


def tool_choice_json(choice: chat_pb2.ToolChoice) -> Any:
    if choice.type == "function" or choice.function.name:
        return {"type": "function", "function": {"name": choice.function.name}}
    return choice.type


def chat_body(request: inference_pb2.ChatCompletionRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [message_json(m) for m in request.messages]}
    if tools := tools_json(request):
        body["tools"] = tools
    if request.HasField("tool_choice"):
        body["tool_choice"] = tool_choice_json(request.tool_choice)
    elif request.HasField("function_call"):
        body["tool_choice"] = tool_choice_json(request.function_call)
    for name in _OPTIONAL_SCALARS:
        if request.HasField(name):
            body[name] = getattr(request, name)
    for name in _STRINGS:
        if value := getattr(request, name):
            body[name] = value
    if request.stop:
        body["stop"] = list(request.stop)
    if request.HasField("response_format"):
        body["response_format"] = json_format.MessageToDict(
            request.response_format, preserving_proto_field_name=True
        )
    if request.logit_bias:
        body["logit_bias"] = dict(request.logit_bias)
    if request.metadata:
        body["metadata"] = dict(request.metadata)
    if request.modalities:
        body["modalities"] = list(request.modalities)
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    if request.HasField("provider_options"):
        body.update(json_format.MessageToDict(request.provider_options))
    return body
