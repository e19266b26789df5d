"""OpenAI request bodies → model_router requests.

ChatCompletionRequest uses OpenAI's own field names, so most members copy across; the work
is normalising OpenAI's short forms (content as a string, `stop` as a string, `tool_choice`
as a word) into the structured forms the proto holds, and keeping every member we do not map
(new OpenAI parameters, `extra_body` of the SDK) in `provider_options`, which model_router
merges into the upstream body as is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from google.protobuf import struct_pb2

from gateway.compat.errors import invalid_request
from gateway.compat.params import INT64_MAX, INT64_MIN, Fields, invalid_type, invalid_value, missing

PART_TYPES = ("text", "image_url", "input_audio", "file", "refusal")
ENCODING_FORMATS = ("float", "base64")

_NUMBERS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
_INTEGERS = ("max_tokens", "max_completion_tokens", "n", "top_logprobs", "top_k")
_BOOLEANS = ("parallel_tool_calls", "logprobs", "store")
_STRINGS = ("user", "reasoning_effort", "service_tier")
_CHAT_FIELDS = frozenset(
    {
        *_NUMBERS,
        *_INTEGERS,
        *_BOOLEANS,
        *_STRINGS,
        "model",
        "messages",
        "tools",
        "tool_choice",
        "functions",
        "function_call",
        "stop",
        "seed",
        "response_format",
        "stream",
        "stream_options",
        "logit_bias",
        "metadata",
        "modalities",
    }
)


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def chat_request(body: Any) -> inference_pb2.ChatCompletionRequest:
    """The ChatCompletionRequest for an OpenAI `POST /v1/chat/completions` body."""
    fields = Fields.root(body)
    request = inference_pb2.ChatCompletionRequest(model=fields.string("model", required=True))
    messages = fields.objects("messages", required=True)
    if not messages:
        raise invalid_request(
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            param="messages",
            code="empty_array",
        )
    request.messages.extend(chat_message(message) for message in messages)
    request.tools.extend(tool(item) for item in fields.objects("tools"))
    request.functions.extend(function_definition(item) for item in fields.objects("functions"))
    _copy_scalars(fields, request)
    if fields.has("tool_choice"):
        request.tool_choice.CopyFrom(tool_choice(fields, "tool_choice"))
    if fields.has("function_call"):
        request.function_call.CopyFrom(legacy_function_choice(fields))
    request.stop.extend(fields.strings("stop"))
    if (seed := fields.integer("seed", minimum=INT64_MIN, maximum=INT64_MAX)) is not None:
        request.seed = seed
    if (response_format := fields.object("response_format")) is not None:
        request.response_format.CopyFrom(_response_format(response_format))
    request.stream = bool(fields.boolean("stream"))
    if (options := fields.object("stream_options")) is not None:
        request.stream_options.include_usage = bool(options.boolean("include_usage"))
    for token, bias in (fields.mapping("logit_bias") or {}).items():
        if isinstance(bias, bool) or not isinstance(bias, int | float):
            raise invalid_type(f"logit_bias.{token}", "an integer", bias)
        request.logit_bias[token] = int(bias)
    request.metadata.update(fields.string_map("metadata"))
    request.modalities.extend(fields.strings("modalities"))
    extra = fields.unknown(_CHAT_FIELDS)
    if extra:
        request.provider_options.CopyFrom(struct(extra))
    return request


def _copy_scalars(fields: Fields, request: inference_pb2.ChatCompletionRequest) -> None:
    for name in _NUMBERS:
        if (number := fields.number(name)) is not None:
            setattr(request, name, number)
    for name in _INTEGERS:
        if (integer := fields.integer(name)) is not None:
            setattr(request, name, integer)
    for name in _BOOLEANS:
        if (flag := fields.boolean(name)) is not None:
            setattr(request, name, flag)
    for name in _STRINGS:
        if (text := fields.string(name)) is not None:
            setattr(request, name, text)


def chat_message(fields: Fields) -> chat_pb2.ChatMessage:
    message = chat_pb2.ChatMessage(
        role=fields.string("role", required=True),
        name=fields.string("name") or "",
        tool_call_id=fields.string("tool_call_id") or "",
        reasoning_content=fields.string("reasoning_content") or "",
        refusal=fields.string("refusal") or "",
    )
    content = fields.get("content")
    if isinstance(content, str):
        message.content = content
    elif isinstance(content, list):
        for index, item in enumerate(content):
            path = f"{fields.param('content')}[{index}]"
            if not isinstance(item, dict):
                raise invalid_type(path, "an object", item)
            part = Fields(item, path)
            if part.get("type") == "refusal":
                message.refusal += part.string("refusal", required=True)
            else:
                message.content_parts.append(content_part(part))
    elif content is not None:
        raise invalid_type(fields.param("content"), "one of a string or array of objects", content)
    message.tool_calls.extend(tool_call(item) for item in fields.objects("tool_calls"))
    if (call := fields.object("function_call")) is not None:
        message.function_call.CopyFrom(function_call(call))
    return message


def content_part(fields: Fields) -> chat_pb2.ContentPart:
    kind = fields.string("type", required=True)
    if kind == "text":
        return chat_pb2.ContentPart(type=kind, text=fields.string("text", required=True))
    if kind == "image_url":
        image = fields.get("image_url")
        if isinstance(image, str):
            return chat_pb2.ContentPart(type=kind, image_url=chat_pb2.ImageUrl(url=image))
        source = fields.object("image_url", required=True)
        url = chat_pb2.ImageUrl(url=source.string("url", required=True), detail=source.string("detail") or "")
        return chat_pb2.ContentPart(type=kind, image_url=url)
    if kind == "input_audio":
        audio = fields.object("input_audio", required=True)
        data = audio.string("data", required=True)
        sound = chat_pb2.InputAudio(data=data, format=audio.string("format") or "")
        return chat_pb2.ContentPart(type=kind, input_audio=sound)
    if kind == "file":
        file = fields.object("file", required=True)
        given = chat_pb2.FileInput(
            file_id=file.string("file_id") or "",
            file_data=file.string("file_data") or "",
            filename=file.string("filename") or "",
        )
        return chat_pb2.ContentPart(type=kind, file=given)
    raise invalid_value(fields.param("type"), kind, PART_TYPES)


def function_call(fields: Fields) -> chat_pb2.FunctionCall:
    """A function name with its arguments; arguments sent as an object are re-encoded as JSON text."""
    arguments = fields.get("arguments")
    if isinstance(arguments, dict | list):
        arguments = json.dumps(arguments, ensure_ascii=False)
    elif arguments is not None and not isinstance(arguments, str):
        raise invalid_type(fields.param("arguments"), "a string", arguments)
    return chat_pb2.FunctionCall(name=fields.string("name") or "", arguments=arguments or "")


def tool_call(fields: Fields) -> chat_pb2.ToolCall:
    call = chat_pb2.ToolCall(id=fields.string("id") or "", type=fields.string("type") or "function")
    if (function := fields.object("function")) is not None:
        call.function.CopyFrom(function_call(function))
    return call


def function_definition(fields: Fields) -> chat_pb2.FunctionDefinition:
    definition = chat_pb2.FunctionDefinition(
        name=fields.string("name", required=True),
        description=fields.string("description") or "",
        strict=bool(fields.boolean("strict")),
    )
    if (parameters := fields.mapping("parameters")) is not None:
        definition.parameters.CopyFrom(struct(parameters))
    return definition


def tool(fields: Fields) -> chat_pb2.Tool:
    kind = fields.string("type") or "function"
    function = fields.object("function", required=kind == "function")
    if function is None:
        raise invalid_value(fields.param("type"), kind, ("function",))
    return chat_pb2.Tool(type=kind, function=function_definition(function))


def tool_choice(fields: Fields, key: str) -> chat_pb2.ToolChoice:
    """`"auto"` becomes ``{type: "auto"}``; the object form keeps its type and function name."""
    value = fields.get(key)
    if isinstance(value, str):
        return chat_pb2.ToolChoice(type=value)
    choice = fields.object(key)
    if choice is None:
        raise invalid_type(fields.param(key), "a string or an object", value)
    result = chat_pb2.ToolChoice(type=choice.string("type", required=True))
    if (function := choice.object("function")) is not None:
        result.function.name = function.string("name", required=True)
    return result


def legacy_function_choice(fields: Fields) -> chat_pb2.ToolChoice:
    """`function_call: "auto"` or ``{"name": ...}`` (pre-tools API) in ToolChoice form."""
    value = fields.get("function_call")
    if isinstance(value, str):
        return chat_pb2.ToolChoice(type=value)
    choice = fields.object("function_call")
    if choice is None:
        raise invalid_type("function_call", "a string or an object", value)
    name = choice.string("name", required=True)
    return chat_pb2.ToolChoice(type="function", function=chat_pb2.FunctionName(name=name))


def _response_format(fields: Fields) -> chat_pb2.ResponseFormat:
    result = chat_pb2.ResponseFormat(type=fields.string("type", required=True))
    if (schema := fields.object("json_schema")) is not None:
        result.json_schema.name = schema.string("name") or ""
        result.json_schema.description = schema.string("description") or ""
        result.json_schema.strict = bool(schema.boolean("strict"))
        if (body := schema.mapping("schema")) is not None:
            result.json_schema.schema.CopyFrom(struct(body))
    return result


@dataclass(frozen=True, slots=True)
class EmbeddingsCall:
    """The RPC request plus what the response needs: how vectors are to be encoded."""

    request: inference_pb2.EmbedRequest
    encoding_format: str


def embed_request(body: Any) -> EmbeddingsCall:
    """The EmbedRequest for an OpenAI `POST /v1/embeddings` body."""
    fields = Fields.root(body)
    request = inference_pb2.EmbedRequest(model=fields.string("model", required=True))
    value = fields.get("input")
    if value is None:
        raise missing("input")
    if isinstance(value, list) and any(not isinstance(item, str) for item in value):
        raise invalid_request(
            "Invalid 'input': only text input is supported (a string or an array of strings), "
            "not token arrays.",
            param="input",
            code="invalid_type",
        )
    texts = fields.strings("input")
    if not texts:
        raise invalid_request(
            "Invalid 'input': empty array. Expected an array with minimum length 1.",
            param="input",
            code="empty_array",
        )
    request.input.extend(texts)
    encoding = fields.string("encoding_format") or "float"
    if encoding not in ENCODING_FORMATS:
        raise invalid_value("encoding_format", encoding, ENCODING_FORMATS)
    request.encoding_format = encoding
    if (dimensions := fields.integer("dimensions", minimum=1)) is not None:
        request.dimensions = dimensions
    request.user = fields.string("user") or ""
    request.input_type = fields.string("input_type") or ""
    return EmbeddingsCall(request, encoding)
