"""ChatCompletionRequest → Gemini ``generateContent`` request body (and the embeddings batch body).

Gemini's conversation is ``contents`` of ``{"role": "user"|"model", "parts": [...]}``; system
and developer messages go to ``systemInstruction``. An assistant's tool calls become
``functionCall`` parts of a model turn, and a tool result (role "tool") a ``functionResponse``
part of a user turn — Gemini matches results to calls by function *name*, so the name is
looked up from the assistant turn that made the call. Images become ``inlineData`` when sent
as data URLs and ``fileData`` otherwise. Earlier thinking text is not sent back (Gemini does
not take it as input), but its signature (kept on ``reasoning_signature``) goes back on the
model turn's first function call (or first part), as Gemini requires to continue after a call.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from google.protobuf import json_format

__all__ = ["embed_body", "generate_body", "image_part"]

_CONFIG_FIELDS = (
    ("temperature", "temperature"),
    ("top_p", "topP"),
    ("top_k", "topK"),
    ("n", "candidateCount"),
    ("presence_penalty", "presencePenalty"),
    ("frequency_penalty", "frequencyPenalty"),
    ("seed", "seed"),
)
_TASK_TYPES = {"query": "RETRIEVAL_QUERY", "document": "RETRIEVAL_DOCUMENT"}
# JSON Schema keys Gemini's OpenAPI-subset schema rejects.
_UNSUPPORTED_SCHEMA_KEYS = frozenset({"$schema", "additionalProperties", "strict", "$id", "examples"})


def _text(message: chat_pb2.ChatMessage) -> str:
    if message.content_parts:
        return "".join(part.text for part in message.content_parts if part.type == "text")
    return message.content


def image_part(url: str) -> dict[str, Any]:
    """A data URL travels inline; anything else is a file Gemini fetches itself."""
    if url.startswith("data:") and ";base64," in url:
        mime, _, data = url.removeprefix("data:").partition(";base64,")
        return {"inlineData": {"mimeType": mime or "application/octet-stream", "data": data}}
    mime = mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _user_parts(message: chat_pb2.ChatMessage) -> list[dict[str, Any]]:
    if not message.content_parts:
        return [{"text": message.content}]
    parts: list[dict[str, Any]] = []
    for part in message.content_parts:
        kind = part.type or part.WhichOneof("part") or "text"
        if kind == "image_url":
            parts.append(image_part(part.image_url.url))
        elif kind == "input_audio":
            audio_mime = f"audio/{part.input_audio.format or 'wav'}"
            parts.append({"inlineData": {"mimeType": audio_mime, "data": part.input_audio.data}})
        elif kind == "file" and part.file.file_data:
            parts.append(image_part(part.file.file_data))
        elif kind == "text":
            parts.append({"text": part.text})
    return parts


def _arguments(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def _model_parts(message: chat_pb2.ChatMessage) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if text := _text(message):
        parts.append({"text": text})
    for call in message.tool_calls:
        parts.append(
            {"functionCall": {"name": call.function.name, "args": _arguments(call.function.arguments)}}
        )
    if not parts:
        parts.append({"text": ""})
    if message.reasoning_signature:
        target = next((p for p in parts if "functionCall" in p), parts[0])
        target["thoughtSignature"] = message.reasoning_signature
    return parts


def _tool_result(message: chat_pb2.ChatMessage, names: dict[str, str]) -> dict[str, Any]:
    text = _text(message)
    try:
        result = json.loads(text)
    except ValueError:
        result = text
    response = result if isinstance(result, dict) else {"result": result}
    name = message.name or names.get(message.tool_call_id, "") or message.tool_call_id
    return {"functionResponse": {"name": name, "response": response}}


def _append(contents: list[dict[str, Any]], role: str, parts: list[dict[str, Any]]) -> None:
    """Consecutive turns of one role merge: parallel tool results belong in one user turn."""
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def _schema(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _schema(v) for k, v in value.items() if k not in _UNSUPPORTED_SCHEMA_KEYS}
    if isinstance(value, list):
        return [_schema(v) for v in value]
    return value


def _declaration(function: chat_pb2.FunctionDefinition) -> dict[str, Any]:
    body: dict[str, Any] = {"name": function.name}
    if function.description:
        body["description"] = function.description
    if function.HasField("parameters"):
        body["parameters"] = _schema(json_format.MessageToDict(function.parameters))
    return body


def _tool_config(choice: chat_pb2.ToolChoice) -> dict[str, Any]:
    if choice.type == "function" or choice.function.name:
        config = {"mode": "ANY", "allowedFunctionNames": [choice.function.name]}
    else:
        config = {"mode": {"required": "ANY", "none": "NONE"}.get(choice.type, "AUTO")}
    return {"functionCallingConfig": config}


def _generation_config(request: inference_pb2.ChatCompletionRequest) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for ours, theirs in _CONFIG_FIELDS:
        if request.HasField(ours):
            config[theirs] = getattr(request, ours)
    if request.HasField("max_completion_tokens"):
        config["maxOutputTokens"] = request.max_completion_tokens
    elif request.HasField("max_tokens"):
        config["maxOutputTokens"] = request.max_tokens
    if request.stop:
        config["stopSequences"] = list(request.stop)
    if request.HasField("response_format"):
        kind = request.response_format.type
        if kind in ("json_object", "json_schema"):
            config["responseMimeType"] = "application/json"
        if kind == "json_schema" and request.response_format.json_schema.HasField("schema"):
            schema = json_format.MessageToDict(request.response_format.json_schema.schema)
            config["responseSchema"] = _schema(schema)
    return config


def generate_body(request: inference_pb2.ChatCompletionRequest) -> dict[str, Any]:
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for message in request.messages:
        if message.role in ("system", "developer"):
            system.append(_text(message))
        elif message.role == "assistant":
            names.update({call.id: call.function.name for call in message.tool_calls})
            _append(contents, "model", _model_parts(message))
        elif message.role in ("tool", "function"):
            _append(contents, "user", [_tool_result(message, names)])
        else:
            _append(contents, "user", _user_parts(message))
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    declarations = [_declaration(t.function) for t in request.tools] + [
        _declaration(f) for f in request.functions
    ]
    if declarations:
        body["tools"] = [{"functionDeclarations": declarations}]
    if request.HasField("tool_choice"):
        body["toolConfig"] = _tool_config(request.tool_choice)
    if config := _generation_config(request):
        body["generationConfig"] = config
    if request.HasField("provider_options"):
        body.update(json_format.MessageToDict(request.provider_options))
    return body


def embed_body(request: inference_pb2.EmbedRequest, model: str) -> dict[str, Any]:
    def one(text: str) -> dict[str, Any]:
        item: dict[str, Any] = {"model": f"models/{model}", "content": {"parts": [{"text": text}]}}
        if request.HasField("dimensions"):
            item["outputDimensionality"] = request.dimensions
        if task := _TASK_TYPES.get(request.input_type):
            item["taskType"] = task
        return item

    return {"requests": [one(text) for text in request.input]}
