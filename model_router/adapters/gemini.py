"""The Google Gemini adapter (Generative Language API): generateContent, SSE streams, embeddings.

Requests go to ``{base}/v1beta/models/{model}:generateContent`` (streams to
``:streamGenerateContent?alt=sse``) with the key in ``x-goog-api-key``; channel option
``api_version`` picks another version ("v1"). Each SSE event is a whole
``GenerateContentResponse`` holding only the new parts; Gemini sends no end marker, so the
chunk carrying ``finishReason`` ends the stream here, followed by a usage-only response.

Function calls arrive whole (never split across chunks). Gemini's API does not always give
them ids, so ids are derived from their position (``call_0``, ``call_1``...) — the same in a
stream and a JSON answer. Usage: ``promptTokenCount`` (which includes cached tokens, as
OpenAI's ``prompt_tokens`` does) → prompt, ``candidatesTokenCount + thoughtsTokenCount`` →
completion (thinking is billed as output), ``thoughtsTokenCount`` → reasoning tokens,
``cachedContentTokenCount`` → cached tokens.
"""

from __future__ import annotations

import json
import time
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters.base import HttpRequest, SseEvent, Target, UpstreamError
from model_router.adapters.gemini_wire import embed_body, generate_body

__all__ = ["FINISH_REASONS", "GeminiAdapter", "GeminiStreamParser", "gemini_usage"]

DEFAULT_API_VERSION = "v1beta"
FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "LANGUAGE": "stop",
    "OTHER": "stop",
    "MALFORMED_FUNCTION_CALL": "stop",
    "UNEXPECTED_TOOL_CALL": "stop",
}
_RETRYABLE_STATUSES = frozenset(
    {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED"}
)
_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED"})


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def gemini_usage(metadata: Any) -> chat_pb2.Usage | None:
    if not isinstance(metadata, dict):
        return None
    prompt = _int(metadata.get("promptTokenCount")) + _int(metadata.get("toolUsePromptTokenCount"))
    thoughts = _int(metadata.get("thoughtsTokenCount"))
    completion = _int(metadata.get("candidatesTokenCount")) + thoughts
    return chat_pb2.Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=_int(metadata.get("totalTokenCount")) or prompt + completion,
        prompt_tokens_details=chat_pb2.PromptTokensDetails(
            cached_tokens=_int(metadata.get("cachedContentTokenCount"))
        ),
        completion_tokens_details=chat_pb2.CompletionTokensDetails(reasoning_tokens=thoughts),
    )


def _finish(reason: str, called: bool) -> str:
    mapped = FINISH_REASONS.get(reason, "stop")
    return "tool_calls" if called and mapped == "stop" else mapped


class _Parts:
    """Reads a candidate's parts into text, thinking, a signature and numbered function calls."""

    def __init__(self) -> None:
        self.calls = 0

    def read(self, parts: Any) -> tuple[str, str, str, list[chat_pb2.ToolCallDelta]]:
        text, thinking, signature = "", "", ""
        calls: list[chat_pb2.ToolCallDelta] = []
        for part in parts if isinstance(parts, list) else []:
            if not isinstance(part, dict):
                continue
            signature = _str(part.get("thoughtSignature")) or signature
            if isinstance(call := part.get("functionCall"), dict):
                index = self.calls
                self.calls += 1
                calls.append(
                    chat_pb2.ToolCallDelta(
                        index=index,
                        id=_str(call.get("id")) or f"call_{index}",
                        type="function",
                        function=chat_pb2.FunctionCall(
                            name=_str(call.get("name")), arguments=json.dumps(call.get("args") or {})
                        ),
                    )
                )
            elif part.get("thought"):
                thinking += _str(part.get("text"))
            else:
                text += _str(part.get("text"))
        return text, thinking, signature, calls


def _blocked(body: dict[str, Any]) -> str:
    feedback = body.get("promptFeedback")
    return _str(feedback.get("blockReason")) if isinstance(feedback, dict) else ""


class GeminiStreamParser:
    """One ``GenerateContentResponse`` per event; the one with ``finishReason`` closes the stream."""

    def __init__(self) -> None:
        self.usage: chat_pb2.Usage | None = None
        self._done = False
        self._parts = _Parts()
        self._id = ""
        self._model = ""
        self._created = int(time.time())
        self._started = False

    @property
    def done(self) -> bool:
        return self._done

    def _response(self) -> inference_pb2.ChatCompletionResponse:
        return inference_pb2.ChatCompletionResponse(
            id=self._id, object="chat.completion.chunk", created=self._created, model=self._model
        )

    def feed(self, event: SseEvent) -> list[inference_pb2.ChatCompletionResponse]:
        try:
            body = json.loads(event.data)
        except ValueError as exc:
            raise UpstreamError(
                "upstream sent a chunk that is not JSON", retryable=True, reason="bad_chunk"
            ) from exc
        if not isinstance(body, dict):
            return []
        if isinstance(error := body.get("error"), dict):
            status = _str(error.get("status"))
            raise UpstreamError(
                _str(error.get("message")) or "upstream stream error",
                retryable=status in _RETRYABLE_STATUSES,
                reason=status.lower() or "stream_error",
            )
        self._id = self._id or _str(body.get("responseId"))
        self._model = self._model or _str(body.get("modelVersion"))
        if (usage := gemini_usage(body.get("usageMetadata"))) is not None:
            self.usage = usage
        out: list[inference_pb2.ChatCompletionResponse] = []
        finished = ""
        for candidate in body.get("candidates") or []:
            text, thinking, signature, calls = self._parts.read((candidate.get("content") or {}).get("parts"))
            delta = chat_pb2.ChatDelta(
                content=text, reasoning_content=thinking, reasoning_signature=signature, tool_calls=calls
            )
            if not self._started:
                delta.role = "assistant"
                self._started = True
            finished = _str(candidate.get("finishReason"))
            response = self._response()
            response.choices.add(
                index=_int(candidate.get("index")),
                delta=delta,
                finish_reason=_finish(finished, self._parts.calls > 0) if finished else "",
            )
            out.append(response)
        if blocked := _blocked(body):
            response = self._response()
            response.choices.add(
                index=0, delta=chat_pb2.ChatDelta(role="assistant"), finish_reason="content_filter"
            )
            out.append(response)
            finished = blocked
        if finished:
            self._done = True
            if self.usage is not None:
                final = self._response()
                final.usage.CopyFrom(self.usage)
                out.append(final)
        return out


class GeminiAdapter:
    name = "gemini"

    def _url(self, target: Target, method: str) -> str:
        base = target.base_url.rstrip("/")
        version = str(target.options.get("api_version") or DEFAULT_API_VERSION)
        if not base.endswith(f"/{version}"):
            base = f"{base}/{version}"
        model = target.model.removeprefix("models/")
        return f"{base}/models/{model}:{method}"

    def _headers(self, target: Target) -> dict[str, str]:
        return {"x-goog-api-key": target.api_key}

    def chat_request(self, request: inference_pb2.ChatCompletionRequest, target: Target) -> HttpRequest:
        method = "streamGenerateContent?alt=sse" if request.stream else "generateContent"
        return HttpRequest(self._url(target, method), self._headers(target), generate_body(request))

    def chat_response(self, body: dict[str, Any]) -> inference_pb2.ChatCompletionResponse:
        response = inference_pb2.ChatCompletionResponse(
            id=_str(body.get("responseId")),
            object="chat.completion",
            created=int(time.time()),
            model=_str(body.get("modelVersion")),
        )
        for position, candidate in enumerate(body.get("candidates") or []):
            parts = _Parts()
            text, thinking, signature, calls = parts.read((candidate.get("content") or {}).get("parts"))
            message = chat_pb2.ChatMessage(
                role="assistant", content=text, reasoning_content=thinking, reasoning_signature=signature
            )
            for call in calls:
                message.tool_calls.add(id=call.id, type="function", function=call.function)
            response.choices.add(
                index=_int(candidate.get("index")) or position,
                message=message,
                finish_reason=_finish(_str(candidate.get("finishReason")), bool(calls)),
            )
        if not response.choices and _blocked(body):
            response.choices.add(
                index=0, message=chat_pb2.ChatMessage(role="assistant"), finish_reason="content_filter"
            )
        if (usage := gemini_usage(body.get("usageMetadata"))) is not None:
            response.usage.CopyFrom(usage)
        return response

    def stream_parser(self) -> GeminiStreamParser:
        return GeminiStreamParser()

    def embed_request(self, request: inference_pb2.EmbedRequest, target: Target) -> HttpRequest:
        model = target.model.removeprefix("models/")
        return HttpRequest(
            self._url(target, "batchEmbedContents"), self._headers(target), embed_body(request, model)
        )

    def embed_response(self, body: dict[str, Any]) -> inference_pb2.EmbedResponse:
        """batchEmbedContents reports no token usage; the relay's caller estimates it."""
        response = inference_pb2.EmbedResponse(object="list")
        for index, item in enumerate(body.get("embeddings") or []):
            values = item.get("values") if isinstance(item, dict) else None
            if not isinstance(values, list):
                raise UpstreamError(
                    "upstream embedding is not a float list", retryable=True, reason="bad_body"
                )
            response.data.add(object="embedding", index=index, embedding=values)
        return response

    def error(self, status: int, body: bytes, retry_after: float | None) -> UpstreamError:
        return gemini_error(status, body, retry_after)


def gemini_error(status: int, body: bytes, retry_after: float | None) -> UpstreamError:
    """Google's ``{"error": {"code", "message", "status", "details"}}`` read into an UpstreamError.

    An invalid key is HTTP 400 INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID: the
    key's fault, not the caller's. RESOURCE_EXHAUSTED (429) is a rate limit — retryable — and
    also the key's fault when the message says the quota is used up.
    """
    try:
        parsed = json.loads(body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
    except ValueError:
        error = None
    if not isinstance(error, dict):
        error = {"message": body.decode("utf-8", "replace")[:500]}
    message = _str(error.get("message")) or f"upstream answered HTTP {status}"
    code = _str(error.get("status"))
    reasons = {
        _str(detail.get("reason")) for detail in error.get("details") or [] if isinstance(detail, dict)
    }
    quota = code == "RESOURCE_EXHAUSTED" and "quota" in message.lower()
    key_fault = (
        status in (401, 403)
        or code in ("UNAUTHENTICATED", "PERMISSION_DENIED")
        or bool(reasons & _KEY_REASONS)
        or quota
    )
    retryable = status in (408, 429) or status >= 500 or code in _RETRYABLE_STATUSES
    reason = (
        "quota" if quota else next(iter(reasons & _KEY_REASONS), "") or (code.lower() or f"http_{status}")
    )
    return UpstreamError(
        message,
        status=status,
        retryable=retryable,
        key_fault=key_fault,
        retry_after=retry_after,
        reason=reason,
    )
