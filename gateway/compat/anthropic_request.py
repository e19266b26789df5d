"""Anthropic Messages request bodies → model_router's (OpenAI-shaped) ChatCompletionRequest.

The two formats differ in structure more than in meaning: Anthropic keeps the system
prompt outside the messages, puts tool calls and tool results in content blocks, and gives
images as a source object. Tool results become `tool` messages placed before the rest of
the user turn, which is where OpenAI-shaped upstreams require them. Members this gateway does
not map (`thinking`, `container`, new parameters) travel in `provider_options` unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from gateway.compat.errors import invalid_request
from gateway.compat.openai_request import struct
from gateway.compat.params import Fields, invalid_type, invalid_value

ROLES = ("user", "assistant")
USER_BLOCKS = ("text", "image", "document", "tool_result")
ASSISTANT_BLOCKS = ("text", "tool_use", "thinking", "redacted_thinking")
TOOL_CHOICES = ("auto", "any", "tool", "none")
_TOOL_CHOICE_TYPES = {"auto": "auto", "any": "required", "tool": "function", "none": "none"}
_FIELDS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "metadata",
        "stop_sequences",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "tools",
        "tool_choice",
        "service_tier",
    }
)


def messages_request(body: Any) -> inference_pb2.ChatCompletionRequest:
    """The ChatCompletionRequest for an Anthropic `POST /v1/messages` body."""
    fields = Fields.root(body)
    request = inference_pb2.ChatCompletionRequest(
        model=fields.string("model", required=True),
        max_tokens=fields.integer("max_tokens", required=True, minimum=1),
    )
    request.messages.extend(conversation(fields))
    request.tools.extend(tool(item) for item in fields.objects("tools"))
    if (choice := fields.object("tool_choice")) is not None:
        _apply_tool_choice(choice, request)
    request.stop.extend(fields.strings("stop_sequences"))
    for name in ("temperature", "top_p"):
        if (number := fields.number(name)) is not None:
            setattr(request, name, number)
    if (top_k := fields.integer("top_k", minimum=0)) is not None:
        request.top_k = top_k
    if (metadata := fields.object("metadata")) is not None:
        request.user = metadata.string("user_id") or ""
    request.service_tier = fields.string("service_tier") or ""
    request.stream = bool(fields.boolean("stream"))
    if request.stream:
        # message_delta reports usage, so the stream must end with it whatever the client asked.
        request.stream_options.include_usage = True
    extra = fields.unknown(_FIELDS)
    if extra:
        request.provider_options.CopyFrom(struct(extra))
    return request


def count_tokens_request(body: Any) -> inference_pb2.CountTokensRequest:
    """`POST /v1/messages/count_tokens`: the same conversation and tools, no sampling parameters."""
    fields = Fields.root(body)
    request = inference_pb2.CountTokensRequest(model=fields.string("model", required=True))
    request.messages.extend(conversation(fields))
    request.tools.extend(tool(item) for item in fields.objects("tools"))
    return request


def conversation(fields: Fields) -> list[chat_pb2.ChatMessage]:
    messages = system_messages(fields)
    turns = fields.objects("messages", required=True)
    if not turns:
        raise invalid_request("messages: at least one message is required", param="messages")
    for turn in turns:
        messages.extend(turn_messages(turn))
    return messages


def system_messages(fields: Fields) -> list[chat_pb2.ChatMessage]:
    value = fields.get("system")
    if value is None:
        return []
    if isinstance(value, str):
        return [chat_pb2.ChatMessage(role="system", content=value)] if value else []
    if not isinstance(value, list):
        raise invalid_type("system", "a string or an array of text blocks", value)
    texts = [_text_block(block) for block in fields.objects("system")]
    return [chat_pb2.ChatMessage(role="system", content="\n\n".join(texts))] if texts else []


def _text_block(block: Fields) -> str:
    kind = block.string("type", required=True)
    if kind != "text":
        raise invalid_value(block.param("type"), kind, ("text",))
    return block.string("text", required=True)


def turn_messages(turn: Fields) -> list[chat_pb2.ChatMessage]:
    role = turn.string("role", required=True)
    if role not in ROLES:
        raise invalid_value(turn.param("role"), role, ROLES)
    content = turn.get("content")
    if isinstance(content, str):
        return [chat_pb2.ChatMessage(role=role, content=content)]
    if not isinstance(content, list):
        raise invalid_type(turn.param("content"), "a string or an array of content blocks", content)
    blocks = turn.objects("content")
    return [assistant_message(blocks)] if role == "assistant" else user_messages(blocks)


def _with_parts(message: chat_pb2.ChatMessage, parts: list[chat_pb2.ContentPart]) -> chat_pb2.ChatMessage:
    """Plain `content` for a single text part (what every upstream accepts), parts otherwise."""
    if len(parts) == 1 and parts[0].type == "text":
        message.content = parts[0].text
    else:
        message.content_parts.extend(parts)
    return message


def assistant_message(blocks: list[Fields]) -> chat_pb2.ChatMessage:
    message = chat_pb2.ChatMessage(role="assistant")
    parts: list[chat_pb2.ContentPart] = []
    for block in blocks:
        kind = block.string("type", required=True)
        if kind == "text":
            parts.append(chat_pb2.ContentPart(type="text", text=block.string("text", required=True)))
        elif kind == "tool_use":
            arguments = json.dumps(block.mapping("input") or {}, ensure_ascii=False)
            function = chat_pb2.FunctionCall(name=block.string("name", required=True), arguments=arguments)
            message.tool_calls.append(
                chat_pb2.ToolCall(id=block.string("id", required=True), type="function", function=function)
            )
        elif kind == "thinking":
            message.reasoning_content += block.string("thinking") or ""
            message.reasoning_signature = block.string("signature") or message.reasoning_signature
        elif kind != "redacted_thinking":
            raise invalid_value(block.param("type"), kind, ASSISTANT_BLOCKS)
    return _with_parts(message, parts)


def user_messages(blocks: list[Fields]) -> list[chat_pb2.ChatMessage]:
    results: list[chat_pb2.ChatMessage] = []
    parts: list[chat_pb2.ContentPart] = []
    for block in blocks:
        kind = block.string("type", required=True)
        if kind == "tool_result":
            results.append(tool_result(block))
        elif kind in ("text", "image", "document"):
            parts.append(content_part(block, kind))
        else:
            raise invalid_value(block.param("type"), kind, USER_BLOCKS)
    if parts:
        results.append(_with_parts(chat_pb2.ChatMessage(role="user"), parts))
    return results


def tool_result(block: Fields) -> chat_pb2.ChatMessage:
    message = chat_pb2.ChatMessage(role="tool", tool_call_id=block.string("tool_use_id", required=True))
    content = block.get("content")
    if content is None or isinstance(content, str):
        message.content = content or ""
        return message
    if not isinstance(content, list):
        raise invalid_type(block.param("content"), "a string or an array of content blocks", content)
    parts = []
    for item in block.objects("content"):
        kind = item.string("type", required=True)
        if kind not in ("text", "image"):
            raise invalid_value(item.param("type"), kind, ("text", "image"))
        parts.append(content_part(item, kind))
    return _with_parts(message, parts)


def content_part(block: Fields, kind: str) -> chat_pb2.ContentPart:
    if kind == "text":
        return chat_pb2.ContentPart(type="text", text=block.string("text", required=True))
    source = block.object("source", required=True)
    source_type = source.string("type", required=True)
    if kind == "image":
        return chat_pb2.ContentPart(type="image_url", image_url=chat_pb2.ImageUrl(url=_source_url(source)))
    if source_type == "text":
        return chat_pb2.ContentPart(type="text", text=source.string("data", required=True))
    document = chat_pb2.FileInput(file_data=_source_url(source), filename=block.string("title") or "")
    return chat_pb2.ContentPart(type="file", file=document)


def _source_url(source: Fields) -> str:
    """A base64 source as a data: URL (what OpenAI-shaped image and file parts carry), or its URL."""
    source_type = source.string("type", required=True)
    if source_type == "base64":
        media_type = source.string("media_type", required=True)
        return f"data:{media_type};base64,{source.string('data', required=True)}"
    if source_type == "url":
        return source.string("url", required=True)
    raise invalid_value(source.param("type"), source_type, ("base64", "url"))


def tool(fields: Fields) -> chat_pb2.Tool:
    """A client tool (name, description, input_schema) as a function; server tools have no mapping."""
    schema = fields.mapping("input_schema")
    if schema is None:
        kind = fields.string("type") or "custom"
        if kind != "custom":
            message = f"{fields.param('type')}: server tool '{kind}' is not supported by this gateway"
            raise invalid_request(message, param=fields.param("type"))
        schema = fields.mapping("input_schema", required=True)
    definition = chat_pb2.FunctionDefinition(
        name=fields.string("name", required=True),
        description=fields.string("description") or "",
        parameters=struct(schema),
        strict=bool(fields.boolean("strict")),
    )
    return chat_pb2.Tool(type="function", function=definition)


def _apply_tool_choice(choice: Fields, request: inference_pb2.ChatCompletionRequest) -> None:
    kind = choice.string("type", required=True)
    if kind not in _TOOL_CHOICE_TYPES:
        raise invalid_value(choice.param("type"), kind, TOOL_CHOICES)
    request.tool_choice.type = _TOOL_CHOICE_TYPES[kind]
    if kind == "tool":
        request.tool_choice.function.name = choice.string("name", required=True)
    if choice.boolean("disable_parallel_tool_use"):
        request.parallel_tool_calls = False
