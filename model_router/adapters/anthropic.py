"""The Anthropic Messages adapter: JSON answers and the named SSE events, incl. tool use and thinking.

Anthropic reports input tokens on ``message_start`` and output tokens on ``message_delta``;
prompt tokens here are input plus cache reads and writes (OpenAI counts cached tokens inside
``prompt_tokens``), with cache reads as ``cached_tokens``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters.anthropic_wire import messages_body
from model_router.adapters.base import HttpRequest, SseEvent, Target, UpstreamError
from model_router.adapters.openai import classify

__all__ = ["ANTHROPIC_VERSION", "AnthropicAdapter"]

ANTHROPIC_VERSION = "2023-06-01"
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def usage(input_usage: dict[str, Any], output_tokens: int) -> chat_pb2.Usage:
    cache_read = _int(input_usage.get("cache_read_input_tokens"))
    prompt = (
        _int(input_usage.get("input_tokens"))
        + cache_read
        + _int(input_usage.get("cache_creation_input_tokens"))
    )
    return chat_pb2.Usage(
        prompt_tokens=prompt,
        completion_tokens=output_tokens,
        total_tokens=prompt + output_tokens,
        prompt_tokens_details=chat_pb2.PromptTokensDetails(cached_tokens=cache_read),
    )


class AnthropicStreamParser:
    """Keeps which content block is which, so tool_use blocks become numbered tool-call fragments."""

    def __init__(self) -> None:
        self.usage: chat_pb2.Usage | None = None
        self._done = False
        self._id = ""
        self._model = ""
        self._created = int(time.time())
        self._input: dict[str, Any] = {}
        self._output = 0
        self._tool_index: dict[int, int] = {}

    @property
    def done(self) -> bool:
        return self._done

    def _response(
        self, delta: chat_pb2.ChatDelta | None = None, finish: str = ""
    ) -> inference_pb2.ChatCompletionResponse:
        response = inference_pb2.ChatCompletionResponse(
            id=self._id, object="chat.completion.chunk", created=self._created, model=self._model
        )
        response.choices.add(index=0, delta=delta or chat_pb2.ChatDelta(), finish_reason=finish)
        return response

    def feed(self, event: SseEvent) -> list[inference_pb2.ChatCompletionResponse]:
        try:
            data = json.loads(event.data)
        except ValueError as exc:
            raise UpstreamError(
                "upstream sent an event that is not JSON", retryable=True, reason="bad_chunk"
            ) from exc
        kind = _str(data.get("type")) or event.event
        handler = getattr(self, f"_on_{kind}", None)
        return handler(data) if handler is not None else []

    def _on_message_start(self, data: dict[str, Any]) -> list[inference_pb2.ChatCompletionResponse]:
        message = data.get("message") or {}
        self._id = _str(message.get("id"))
        self._model = _str(message.get("model"))
        self._input = message.get("usage") or {}
        self._output = _int(self._input.get("output_tokens"))
        return [self._response(chat_pb2.ChatDelta(role="assistant"))]

    def _on_content_block_start(self, data: dict[str, Any]) -> list[inference_pb2.ChatCompletionResponse]:
        block = data.get("content_block") or {}
        if block.get("type") != "tool_use":
            return []
        index = self._tool_index[_int(data.get("index"))] = len(self._tool_index)
        delta = chat_pb2.ChatDelta()
        delta.tool_calls.add(
            index=index,
            id=_str(block.get("id")),
            type="function",
            function=chat_pb2.FunctionCall(name=_str(block.get("name")), arguments=""),
        )
        return [self._response(delta)]

    def _on_content_block_delta(self, data: dict[str, Any]) -> list[inference_pb2.ChatCompletionResponse]:
        body = data.get("delta") or {}
        kind = body.get("type")
        delta = chat_pb2.ChatDelta()
        if kind == "text_delta":
            delta.content = _str(body.get("text"))
        elif kind == "thinking_delta":
            delta.reasoning_content = _str(body.get("thinking"))
        elif kind == "signature_delta":
            delta.reasoning_signature = _str(body.get("signature"))
        elif kind == "input_json_delta":
            index = self._tool_index.get(_int(data.get("index")), 0)
            delta.tool_calls.add(
                index=index, function=chat_pb2.FunctionCall(arguments=_str(body.get("partial_json")))
            )
        else:
            return []
        return [self._response(delta)]

    def _on_message_delta(self, data: dict[str, Any]) -> list[inference_pb2.ChatCompletionResponse]:
        self._output = _int((data.get("usage") or {}).get("output_tokens")) or self._output
        reason = _str((data.get("delta") or {}).get("stop_reason"))
        return [self._response(finish=FINISH_REASONS.get(reason, reason or "stop"))]

    def _on_message_stop(self, data: dict[str, Any]) -> list[inference_pb2.ChatCompletionResponse]:
        self._done = True
        self.usage = usage(self._input, self._output)
        final = inference_pb2.ChatCompletionResponse(
            id=self._id, object="chat.completion.chunk", created=self._created, model=self._model
        )
        final.usage.CopyFrom(self.usage)
        return [final]

    def _on_error(self, data: dict[str, Any]) -> list[inference_pb2.ChatCompletionResponse]:
        error = data.get("error") or {}
        kind = _str(error.get("type"))
        raise UpstreamError(
            _str(error.get("message")) or kind or "upstream stream error",
            retryable=kind in ("overloaded_error", "api_error", "rate_limit_error"),
            reason=kind or "stream_error",
        )


class AnthropicAdapter:
    name = "anthropic"

    def _url(self, target: Target) -> str:
        base = target.base_url.rstrip("/")
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"

    def chat_request(self, request: inference_pb2.ChatCompletionRequest, target: Target) -> HttpRequest:
        headers = {
            "x-api-key": target.api_key,
            "anthropic-version": str(target.options.get("anthropic_version", ANTHROPIC_VERSION)),
        }
        return HttpRequest(self._url(target), headers, messages_body(request, target.model))

    def chat_response(self, body: dict[str, Any]) -> inference_pb2.ChatCompletionResponse:
        message = chat_pb2.ChatMessage(role="assistant")
        text: list[str] = []
        for block in body.get("content") or []:
            kind = block.get("type")
            if kind == "text":
                text.append(_str(block.get("text")))
            elif kind == "thinking":
                message.reasoning_content += _str(block.get("thinking"))
                message.reasoning_signature = _str(block.get("signature"))
            elif kind == "tool_use":
                message.tool_calls.add(
                    id=_str(block.get("id")),
                    type="function",
                    function=chat_pb2.FunctionCall(
                        name=_str(block.get("name")), arguments=json.dumps(block.get("input") or {})
                    ),
                )
        message.content = "".join(text)
        reason = _str(body.get("stop_reason"))
        response = inference_pb2.ChatCompletionResponse(
            id=_str(body.get("id")),
            object="chat.completion",
            created=int(time.time()),
            model=_str(body.get("model")),
        )
        response.choices.add(
            index=0, message=message, finish_reason=FINISH_REASONS.get(reason, reason or "stop")
        )
        raw = body.get("usage") or {}
        response.usage.CopyFrom(usage(raw, _int(raw.get("output_tokens"))))
        return response

    def stream_parser(self) -> AnthropicStreamParser:
        return AnthropicStreamParser()

    def embed_request(self, request: inference_pb2.EmbedRequest, target: Target) -> HttpRequest:
        raise UpstreamError("Anthropic has no embeddings API", retryable=True, reason="unsupported")

    def embed_response(self, body: dict[str, Any]) -> inference_pb2.EmbedResponse:
        raise UpstreamError("Anthropic has no embeddings API", retryable=True, reason="unsupported")

    def error(self, status: int, body: bytes, retry_after: float | None) -> UpstreamError:
        try:
            parsed = json.loads(body)
            message = _str((parsed.get("error") or {}).get("message"))
        except (ValueError, AttributeError):
            message = body.decode("utf-8", "replace")[:500]
        return classify(status, message, retry_after)
