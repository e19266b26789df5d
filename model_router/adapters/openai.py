"""The OpenAI-compatible adapter: OpenAI itself, Azure OpenAI's deployment paths, and the many
providers that copy OpenAI's API (DeepSeek, Moonshot, Qwen compatible mode, vLLM, Ollama, ...).

``stream_options.include_usage`` is always requested so usage arrives on the final chunk.
Channel option ``azure_api_version`` switches to Azure's URL form and ``api-key`` header.
"""

from __future__ import annotations

import json
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters.base import HttpRequest, SseEvent, Target, UpstreamError
from model_router.adapters.openai_wire import chat_body

__all__ = ["OpenAIAdapter", "usage_from_json"]


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def usage_from_json(usage: Any) -> chat_pb2.Usage | None:
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens_details") or {}
    completion = usage.get("completion_tokens_details") or {}
    return chat_pb2.Usage(
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
        total_tokens=_int(usage.get("total_tokens"))
        or _int(usage.get("prompt_tokens")) + _int(usage.get("completion_tokens")),
        prompt_tokens_details=chat_pb2.PromptTokensDetails(
            cached_tokens=_int(prompt.get("cached_tokens")), audio_tokens=_int(prompt.get("audio_tokens"))
        ),
        completion_tokens_details=chat_pb2.CompletionTokensDetails(
            reasoning_tokens=_int(completion.get("reasoning_tokens")),
            audio_tokens=_int(completion.get("audio_tokens")),
            accepted_prediction_tokens=_int(completion.get("accepted_prediction_tokens")),
            rejected_prediction_tokens=_int(completion.get("rejected_prediction_tokens")),
        ),
    )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _message(body: Any) -> chat_pb2.ChatMessage:
    body = body if isinstance(body, dict) else {}
    message = chat_pb2.ChatMessage(
        role=_str(body.get("role")) or "assistant",
        content=_str(body.get("content")),
        refusal=_str(body.get("refusal")),
        reasoning_content=_str(body.get("reasoning_content")) or _str(body.get("reasoning")),
    )
    for call in body.get("tool_calls") or []:
        function = call.get("function") or {}
        message.tool_calls.add(
            id=_str(call.get("id")),
            type=_str(call.get("type")) or "function",
            function=chat_pb2.FunctionCall(
                name=_str(function.get("name")), arguments=_str(function.get("arguments"))
            ),
        )
    if isinstance(legacy := body.get("function_call"), dict):
        message.function_call.name = _str(legacy.get("name"))
        message.function_call.arguments = _str(legacy.get("arguments"))
    return message


def _header(body: dict[str, Any], response: inference_pb2.ChatCompletionResponse) -> None:
    response.id = _str(body.get("id"))
    response.object = _str(body.get("object"))
    response.created = _int(body.get("created"))
    response.model = _str(body.get("model"))
    response.system_fingerprint = _str(body.get("system_fingerprint"))
    response.service_tier = _str(body.get("service_tier"))


class OpenAIStreamParser:
    """Chunk by chunk; the usage-only final chunk sets ``usage``, ``[DONE]`` ends the stream."""

    def __init__(self) -> None:
        self.usage: chat_pb2.Usage | None = None
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    def feed(self, event: SseEvent) -> list[inference_pb2.ChatCompletionResponse]:
        data = event.data
        if data == "[DONE]" or data.strip() == "[DONE]":
            self._done = True
            return []
        try:
            body = json.loads(data)
        except ValueError as exc:
            raise UpstreamError(
                "upstream sent a chunk that is not JSON", retryable=True, reason="bad_chunk"
            ) from exc
        if not isinstance(body, dict):
            return []
        if isinstance(error := body.get("error"), dict):
            raise UpstreamError(
                _str(error.get("message")) or "upstream stream error", retryable=True, reason="stream_error"
            )
        response = inference_pb2.ChatCompletionResponse()
        _header(body, response)
        if (usage := usage_from_json(body.get("usage"))) is not None:
            self.usage = usage
            response.usage.CopyFrom(usage)
        for choice in body.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            added = response.choices.add(index=_int(choice.get("index")))
            if finish := choice.get("finish_reason"):
                added.finish_reason = _str(finish)
            _fill_delta(choice.get("delta"), added.delta)
        return [response] if response.choices or response.HasField("usage") else []


def _fill_delta(body: Any, delta: chat_pb2.ChatDelta) -> None:
    """The delta's fields written into the chunk's own message (no intermediate message to copy)."""
    if not isinstance(body, dict):
        return
    if content := body.get("content"):
        delta.content = _str(content)
    if len(body) == 1 and "content" in body:
        return
    delta.role = _str(body.get("role"))
    delta.reasoning_content = _str(body.get("reasoning_content")) or _str(body.get("reasoning"))
    delta.refusal = _str(body.get("refusal"))
    for call in body.get("tool_calls") or []:
        fragment = delta.tool_calls.add(
            index=_int(call.get("index")), id=_str(call.get("id")), type=_str(call.get("type"))
        )
        if isinstance(function := call.get("function"), dict):
            fragment.function.name = _str(function.get("name"))
            fragment.function.arguments = _str(function.get("arguments"))


class OpenAIAdapter:
    name = "openai"

    def _endpoint(self, target: Target, path: str) -> tuple[str, dict[str, str]]:
        version = target.options.get("azure_api_version")
        if version:
            url = (
                f"{target.base_url.rstrip('/')}/openai/deployments/{target.model}{path}?api-version={version}"
            )
            return url, {"api-key": target.api_key}
        return f"{target.base_url.rstrip('/')}{path}", {"authorization": f"Bearer {target.api_key}"}

    def chat_request(self, request: inference_pb2.ChatCompletionRequest, target: Target) -> HttpRequest:
        url, headers = self._endpoint(target, "/chat/completions")
        return HttpRequest(url, headers, chat_body(request, target.model))

    def chat_response(self, body: dict[str, Any]) -> inference_pb2.ChatCompletionResponse:
        response = inference_pb2.ChatCompletionResponse()
        _header(body, response)
        response.object = "chat.completion"
        for choice in body.get("choices") or []:
            response.choices.add(
                index=_int(choice.get("index")),
                message=_message(choice.get("message")),
                finish_reason=_str(choice.get("finish_reason")),
            )
        if (usage := usage_from_json(body.get("usage"))) is not None:
            response.usage.CopyFrom(usage)
        return response

    def stream_parser(self) -> OpenAIStreamParser:
        return OpenAIStreamParser()

    def embed_request(self, request: inference_pb2.EmbedRequest, target: Target) -> HttpRequest:
        url, headers = self._endpoint(target, "/embeddings")
        body: dict[str, Any] = {
            "model": target.model,
            "input": list(request.input),
            "encoding_format": "float",
        }
        if request.HasField("dimensions"):
            body["dimensions"] = request.dimensions
        if request.user:
            body["user"] = request.user
        return HttpRequest(url, headers, body)

    def embed_response(self, body: dict[str, Any]) -> inference_pb2.EmbedResponse:
        response = inference_pb2.EmbedResponse(object="list", model=_str(body.get("model")))
        for item in body.get("data") or []:
            values = item.get("embedding")
            if not isinstance(values, list):
                raise UpstreamError(
                    "upstream embedding is not a float list", retryable=True, reason="bad_body"
                )
            response.data.add(object="embedding", index=_int(item.get("index")), embedding=values)
        if (usage := usage_from_json(body.get("usage"))) is not None:
            response.usage.CopyFrom(usage)
        return response

    def error(self, status: int, body: bytes, retry_after: float | None) -> UpstreamError:
        return classify(status, _error_message(body), retry_after)


def _error_message(body: bytes) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")[:500]
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict):
        return _str(error.get("message")) or _str(error.get("type"))
    return _str(error) or json.dumps(parsed)[:500]


def classify(status: int, message: str, retry_after: float | None) -> UpstreamError:
    """Which failures another channel may fix (429, 5xx) and which are the key's (401/403, quota)."""
    quota = status == 429 and "quota" in message.lower()
    return UpstreamError(
        message or f"upstream answered HTTP {status}",
        status=status,
        retryable=status in (408, 409, 429) or status >= 500,
        key_fault=status in (401, 403) or quota,
        retry_after=retry_after,
        reason="quota" if quota else f"http_{status}",
    )
