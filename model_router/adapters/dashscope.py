"""Alibaba DashScope's native API (Qwen): text and multimodal generation, SSE streams, embeddings.

Not OpenAI-shaped: the body is ``{"model", "input": {"messages"}, "parameters"}``, the answer
``{"output": {"choices"}, "usage": {"input_tokens", "output_tokens"}, "request_id"}``.
Streams are asked for with the ``X-DashScope-SSE: enable`` header; every event is
``id:N`` / ``event:result`` / ``:HTTP_STATUS/200`` / ``data:{...}`` carrying only the new text
(``incremental_output``) and the usage so far; ``finish_reason`` is the string ``"null"``
until the last event. A failure mid-stream is ``event:error`` with DashScope's error body
``{"code", "message", "request_id"}``, which is also the body of every HTTP error.

The channel type is ``dashscope``; ``qwen`` stays the OpenAI-compatible mode of the same
service (``/compatible-mode/v1``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters.base import HttpRequest, SseEvent, Target, UpstreamError
from model_router.adapters.dashscope_wire import embed_body, generation_body, is_multimodal

__all__ = ["DashScopeAdapter", "DashScopeStreamParser", "dashscope_error", "dashscope_usage"]

TEXT_PATH = "/services/aigc/text-generation/generation"
MULTIMODAL_PATH = "/services/aigc/multimodal-generation/generation"
EMBEDDING_PATH = "/services/embeddings/text-embedding/text-embedding"
_KEY_CODES = frozenset({"InvalidApiKey", "Arrearage", "AccessDenied.Unpurchased"})
_QUOTA_CODES = frozenset({"Throttling.AllocationQuota", "Arrearage"})
_RETRYABLE_CODES = frozenset(
    {"Throttling", "Throttling.RateQuota", "Throttling.User", "Throttling.AllocationQuota"}
)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _content(value: Any) -> str:
    """Text models answer a string; multimodal ones a list of ``{"text": ...}`` items."""
    if isinstance(value, list):
        return "".join(_str(item.get("text")) for item in value if isinstance(item, dict))
    return _str(value)


def _finish(value: Any) -> str:
    reason = _str(value)
    return "" if reason in ("", "null") else reason


def dashscope_usage(usage: Any) -> chat_pb2.Usage | None:
    if not isinstance(usage, dict):
        return None
    prompt = _int(usage.get("input_tokens"))
    completion = _int(usage.get("output_tokens"))
    cached = _int((usage.get("prompt_tokens_details") or {}).get("cached_tokens"))
    reasoning = _int((usage.get("output_tokens_details") or {}).get("reasoning_tokens"))
    return chat_pb2.Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=_int(usage.get("total_tokens")) or prompt + completion,
        prompt_tokens_details=chat_pb2.PromptTokensDetails(cached_tokens=cached),
        completion_tokens_details=chat_pb2.CompletionTokensDetails(reasoning_tokens=reasoning),
    )


def _read(body: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class DashScopeStreamParser:
    """Incremental events; the first with a real ``finish_reason`` ends the stream, usage follows it."""

    def __init__(self) -> None:
        self.usage: chat_pb2.Usage | None = None
        self._done = False
        self._id = ""
        self._created = int(time.time())
        self._started = False

    @property
    def done(self) -> bool:
        return self._done

    def feed(self, event: SseEvent) -> list[inference_pb2.ChatCompletionResponse]:
        if event.event == "error":
            raise dashscope_error(None, event.data.encode(), None)
        body = _read(event.data)
        if not body:
            raise UpstreamError("upstream sent an event that is not JSON", retryable=True, reason="bad_chunk")
        if body.get("code") and not body.get("output"):
            raise dashscope_error(None, event.data.encode(), None)
        self._id = self._id or _str(body.get("request_id"))
        if (usage := dashscope_usage(body.get("usage"))) is not None:
            self.usage = usage
        out: list[inference_pb2.ChatCompletionResponse] = []
        finished = False
        for position, choice in enumerate((body.get("output") or {}).get("choices") or []):
            message = choice.get("message") or {}
            delta = chat_pb2.ChatDelta(
                content=_content(message.get("content")),
                reasoning_content=_str(message.get("reasoning_content")),
            )
            if not self._started:
                delta.role = "assistant"
                self._started = True
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                delta.tool_calls.add(
                    index=_int(call.get("index")),
                    id=_str(call.get("id")),
                    type=_str(call.get("type")) if call.get("id") else "",
                    function=chat_pb2.FunctionCall(
                        name=_str(function.get("name")), arguments=_str(function.get("arguments"))
                    ),
                )
            reason = _finish(choice.get("finish_reason"))
            finished = finished or bool(reason)
            response = self._chunk()
            response.choices.add(
                index=_int(choice.get("index")) or position, delta=delta, finish_reason=reason
            )
            out.append(response)
        if finished:
            self._done = True
            if self.usage is not None:
                final = self._chunk()
                final.usage.CopyFrom(self.usage)
                out.append(final)
        return out

    def _chunk(self) -> inference_pb2.ChatCompletionResponse:
        return inference_pb2.ChatCompletionResponse(
            id=self._id, object="chat.completion.chunk", created=self._created
        )


class DashScopeAdapter:
    name = "dashscope"

    def _url(self, target: Target, path: str) -> str:
        base = target.base_url.rstrip("/")
        if not base.endswith("/api/v1"):
            base = f"{base}/api/v1"
        return f"{base}{path}"

    def chat_request(self, request: inference_pb2.ChatCompletionRequest, target: Target) -> HttpRequest:
        headers = {"authorization": f"Bearer {target.api_key}"}
        if request.stream:
            headers["x-dashscope-sse"] = "enable"
            headers["accept"] = "text/event-stream"
        path = MULTIMODAL_PATH if is_multimodal(request) else TEXT_PATH
        return HttpRequest(self._url(target, path), headers, generation_body(request, target.model))

    def chat_response(self, body: dict[str, Any]) -> inference_pb2.ChatCompletionResponse:
        if body.get("code") and not body.get("output"):
            raise dashscope_error(None, json.dumps(body).encode(), None)
        response = inference_pb2.ChatCompletionResponse(
            id=_str(body.get("request_id")), object="chat.completion", created=int(time.time())
        )
        for position, choice in enumerate((body.get("output") or {}).get("choices") or []):
            raw = choice.get("message") or {}
            message = chat_pb2.ChatMessage(
                role=_str(raw.get("role")) or "assistant",
                content=_content(raw.get("content")),
                reasoning_content=_str(raw.get("reasoning_content")),
            )
            for call in raw.get("tool_calls") or []:
                function = call.get("function") or {}
                message.tool_calls.add(
                    id=_str(call.get("id")),
                    type=_str(call.get("type")) or "function",
                    function=chat_pb2.FunctionCall(
                        name=_str(function.get("name")), arguments=_str(function.get("arguments"))
                    ),
                )
            response.choices.add(
                index=_int(choice.get("index")) or position,
                message=message,
                finish_reason=_finish(choice.get("finish_reason")) or "stop",
            )
        if (usage := dashscope_usage(body.get("usage"))) is not None:
            response.usage.CopyFrom(usage)
        return response

    def stream_parser(self) -> DashScopeStreamParser:
        return DashScopeStreamParser()

    def embed_request(self, request: inference_pb2.EmbedRequest, target: Target) -> HttpRequest:
        headers = {"authorization": f"Bearer {target.api_key}"}
        return HttpRequest(self._url(target, EMBEDDING_PATH), headers, embed_body(request, target.model))

    def embed_response(self, body: dict[str, Any]) -> inference_pb2.EmbedResponse:
        response = inference_pb2.EmbedResponse(object="list")
        items = (body.get("output") or {}).get("embeddings") or []
        for position, item in enumerate(sorted(items, key=lambda i: _int(i.get("text_index")))):
            values = item.get("embedding")
            if not isinstance(values, list):
                raise UpstreamError(
                    "upstream embedding is not a float list", retryable=True, reason="bad_body"
                )
            response.data.add(
                object="embedding", index=_int(item.get("text_index")) or position, embedding=values
            )
        raw = body.get("usage") or {}
        if isinstance(raw, dict) and raw:
            tokens = _int(raw.get("total_tokens")) or _int(raw.get("input_tokens"))
            response.usage.CopyFrom(chat_pb2.Usage(prompt_tokens=tokens, total_tokens=tokens))
        return response

    def error(self, status: int, body: bytes, retry_after: float | None) -> UpstreamError:
        return dashscope_error(status, body, retry_after)


def dashscope_error(status: int | None, body: bytes, retry_after: float | None) -> UpstreamError:
    """``{"code", "message", "request_id"}`` → UpstreamError.

    Bad keys (InvalidApiKey, 401), an unpaid account (Arrearage, sent as HTTP 400) and an
    exhausted allocation are the key's fault; throttling and server errors are retryable;
    InvalidParameter and DataInspectionFailed (content moderation) are the caller's.
    """
    parsed = _read(body)
    code = _str(parsed.get("code"))
    message = _str(parsed.get("message")) or body.decode("utf-8", "replace")[:500] or f"HTTP {status}"
    if status is None:
        status = 429 if code.startswith("Throttling") else 400 if code else 500
    key_fault = (status in (401, 403) and not code.startswith("DataInspection")) or code in _KEY_CODES
    retryable = (
        status in (408, 429) or status >= 500 or code in _RETRYABLE_CODES or code.startswith("InternalError")
    )
    reason = "quota" if code in _QUOTA_CODES else code or f"http_{status}"
    return UpstreamError(
        message,
        status=status,
        retryable=retryable,
        key_fault=key_fault or code in _QUOTA_CODES,
        retry_after=retry_after,
        reason=reason,
    )
