"""ChatCompletionRequest → Anthropic Messages request body.

System and developer messages become the top-level ``system``; tool results (role "tool")
become ``tool_result`` blocks of a user turn; assistant tool calls become ``tool_use``
blocks and earlier reasoning a ``thinking`` block (with the signature Anthropic requires to
replay it). ``max_tokens`` is mandatory upstream, so a default applies when the caller sent none.
"""

from __future__ import annotations

import json
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from google.protobuf import json_format

__all__ = ["DEFAULT_MAX_TOKENS", "messages_body"]

DEFAULT_MAX_TOKENS = 4096


def _text(message: chat_pb2.ChatMessage) -> str:
    if message.content_parts:
        return "".join(part.text for part in message.content_parts if part.type == "text")
    return message.content


def _image(url: str) -> dict[str, Any]:
    if url.startswith("data:") and ";base64," in url:
        media_type, _, data = url.removeprefix("data:").partition(";base64,")
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _user_blocks(message: chat_pb2.ChatMessage) -> list[dict[str, Any]]:
    if not message.content_parts:
        return [{"type": "text", "text": message.content}]
    blocks: list[dict[str, Any]] = []
    for part in message.content_parts:
        if part.type == "image_url":
            blocks.append(_image(part.image_url.url))
        elif part.type == "text":
            blocks.append({"type": "text", "text": part.text})
    return blocks


def _assistant_blocks(message: chat_pb2.ChatMessage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if message.reasoning_content and message.reasoning_signature:
        blocks.append(
            {
                "type": "thinking",
                "thinking": message.reasoning_content,
                "signature": message.reasoning_signature,
            }
        )
    if text := _text(message):
        blocks.append({"type": "text", "text": text})
    for call in message.tool_calls:
        try:
            arguments = json.loads(call.function.arguments or "{}")
        except ValueError:
            arguments = {}
        blocks.append({"type": "tool_use", "id": call.id, "name": call.function.name, "input": arguments})
    return blocks


def _append(turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    """Consecutive turns of one role merge, as the Messages API expects alternating roles."""
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _tool_choice(choice: chat_pb2.ToolChoice, parallel: bool | None) -> dict[str, Any] | None:
    kinds = {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}
    body: dict[str, Any] | None
    if choice.type == "function" or choice.function.name:
        body = {"type": "tool", "name": choice.function.name}
    else:
        body = dict(kinds.get(choice.type, {"type": "auto"}))
    if parallel is False and body["type"] != "none":
        body["disable_parallel_tool_use"] = True
    return body


def _tool(function: chat_pb2.FunctionDefinition) -> dict[str, Any]:
    schema = (
        json_format.MessageToDict(function.parameters)
        if function.HasField("parameters")
        else {"type": "object"}
    )
    body: dict[str, Any] = {"name": function.name, "input_schema": schema}
    if function.description:
        body["description"] = function.description
    return body


def messages_body(request: inference_pb2.ChatCompletionRequest, model: str) -> dict[str, Any]:
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role in ("system", "developer"):
            system.append(_text(message))
        elif message.role == "assistant":
            _append(turns, "assistant", _assistant_blocks(message))
        elif message.role in ("tool", "function"):
            result = {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": _text(message)}
            _append(turns, "user", [result])
        else:
            _append(turns, "user", _user_blocks(message))
    max_tokens = (
        request.max_completion_tokens
        if request.HasField("max_completion_tokens")
        else (request.max_tokens if request.HasField("max_tokens") else DEFAULT_MAX_TOKENS)
    )
    body: dict[str, Any] = {"model": model, "messages": turns, "max_tokens": max_tokens}
    if system:
        body["system"] = "\n\n".join(system)
    for name in ("temperature", "top_p", "top_k"):
        if request.HasField(name):
            body[name] = getattr(request, name)
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    tools = [_tool(tool.function) for tool in request.tools] + [_tool(f) for f in request.functions]
    if tools:
        body["tools"] = tools
    parallel = request.parallel_tool_calls if request.HasField("parallel_tool_calls") else None
    if request.HasField("tool_choice"):
        body["tool_choice"] = _tool_choice(request.tool_choice, parallel)
    elif tools and parallel is False:
        body["tool_choice"] = {"type": "auto", "disable_parallel_tool_use": True}
    if request.user:
        body["metadata"] = {"user_id": request.user}
    if request.stream:
        body["stream"] = True
    if request.HasField("provider_options"):
        body.update(json_format.MessageToDict(request.provider_options))
    return body
