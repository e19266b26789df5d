"""A fake Google Gemini (Generative Language API) on uvicorn, replaying its wire format chunk by chunk.

- ``POST /v1beta/models/{model}:generateContent`` → one ``GenerateContentResponse``.
- ``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` → ``data: {GenerateContentResponse}``
  events, each holding only the new parts plus the running ``usageMetadata``; the last one has
  ``finishReason``. No end marker (Gemini sends none). Without ``alt=sse`` the answer is a JSON
  array of the same chunks, as Google's API does.
- ``POST /v1beta/models/{model}:batchEmbedContents`` → ``{"embeddings": [{"values": [...]}]}``.

The key travels in ``x-goog-api-key`` (or ``?key=``); a wrong key gets Google's 400
INVALID_ARGUMENT with ErrorInfo reason ``API_KEY_INVALID``. Failures, recording, delays and
stream cuts are the ones of :class:`tests.fakes.llm_upstream.FakeLLMUpstream`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes import llm_wire
from tests.fakes.llm_upstream import Failure, FakeLLMUpstream, FakeReply, FakeToolCall

__all__ = ["Failure", "FakeGemini", "FakeReply", "FakeToolCall", "gemini_error"]

_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def gemini_error(status: int, message: str, reason: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message, "status": _STATUSES.get(status, "UNKNOWN")}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
    return {"error": error}


def _prompt_tokens(body: dict[str, Any]) -> int:
    turns = list(body.get("contents") or [])
    if isinstance(body.get("systemInstruction"), dict):
        turns.insert(0, body["systemInstruction"])
    messages = [
        {"content": " ".join(str(p.get("text", "")) for p in turn.get("parts") or [] if isinstance(p, dict))}
        for turn in turns
        if isinstance(turn, dict)
    ]
    return llm_wire.count_prompt_tokens(messages)


def _usage(prompt: int, reply: FakeReply, *, thoughts: int, candidates: int) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if reply.cached_tokens:
        usage["cachedContentTokenCount"] = reply.cached_tokens
    return usage


def _call_part(call: FakeToolCall) -> dict[str, Any]:
    return {"functionCall": {"name": call.name, "args": json.loads(call.arguments)}}


def _final_tokens(reply: FakeReply) -> tuple[int, int]:
    """(thoughts, candidates) so that their sum is the reply's completion tokens."""
    thoughts = len(reply.thinking)
    return thoughts, reply.completion_tokens - thoughts


def _response(parts: list[dict[str, Any]], model: str, response_id: str) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"parts": parts, "role": "model"}, "index": 0}],
        "modelVersion": model,
        "responseId": response_id,
    }


def gemini_answer(model: str, response_id: str, prompt: int, reply: FakeReply) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if reply.thinking:
        parts.append({"text": "".join(reply.thinking), "thought": True})
    if reply.pieces:
        parts.append({"text": reply.text})
    parts.extend(_call_part(call) for call in reply.tool_calls)
    if parts:
        signed = next((p for p in parts if "functionCall" in p), parts[0])
        signed["thoughtSignature"] = reply.signature
    body = _response(parts, model, response_id)
    body["candidates"][0]["finishReason"] = "STOP"
    thoughts, candidates = _final_tokens(reply)
    body["usageMetadata"] = _usage(prompt, reply, thoughts=thoughts, candidates=candidates)
    return body


def gemini_chunks(model: str, response_id: str, prompt: int, reply: FakeReply) -> Iterator[dict[str, Any]]:
    """Every streamed ``GenerateContentResponse`` in order: thoughts, text, calls, then the finish."""
    steps: list[list[dict[str, Any]]] = [[{"text": piece, "thought": True}] for piece in reply.thinking]
    steps.extend([{"text": piece}] for piece in reply.pieces)
    if reply.tool_calls:
        steps.append([_call_part(call) for call in reply.tool_calls])
    if not steps:
        steps.append([{"text": ""}])
    signed = next((s for s in steps if "functionCall" in s[0]), steps[0])
    signed[0]["thoughtSignature"] = reply.signature
    thoughts_total, candidates_total = _final_tokens(reply)
    thoughts = candidates = 0
    for position, parts in enumerate(steps):
        chunk = _response(parts, model, response_id)
        last = position == len(steps) - 1
        if last:
            chunk["candidates"][0]["finishReason"] = "STOP"
            thoughts, candidates = thoughts_total, candidates_total
        elif parts[0].get("thought"):
            thoughts += 1
        else:
            candidates = min(candidates + 1, candidates_total)
        chunk["usageMetadata"] = _usage(prompt, reply, thoughts=thoughts, candidates=candidates)
        yield chunk


@dataclass
class FakeGemini(FakeLLMUpstream):
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1beta/models/{target}", self._models, methods=["POST"])])

    async def _models(self, request: Request) -> Response:
        body = await self._record(request)
        model, _, method = request.path_params["target"].partition(":")
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key", "")
        if self.valid_keys is not None and key not in self.valid_keys:
            message = "API key not valid. Please pass a valid API key."
            return JSONResponse(gemini_error(400, message, "API_KEY_INVALID"), 400)
        if method not in ("generateContent", "streamGenerateContent", "batchEmbedContents"):
            return JSONResponse(gemini_error(404, f"Method {method} not found"), 404)
        failure = self._next_failure()
        if (rejected := await self._failed(failure, gemini_error)) is not None:
            return rejected
        if method == "batchEmbedContents":
            return JSONResponse(_embeddings(body))
        prompt = _prompt_tokens(body)
        response_id = uuid.uuid4().hex[:22]
        if method == "generateContent":
            return JSONResponse(gemini_answer(model, response_id, prompt, self.reply_for(body)))
        chunks = gemini_chunks(model, response_id, prompt, self.reply_for(body))
        if request.query_params.get("alt") != "sse":
            return JSONResponse(list(chunks))
        frames = (f"data: {json.dumps(chunk)}\r\n\r\n".encode() for chunk in chunks)
        return StreamingResponse(self._frames(frames, failure), media_type="text/event-stream")


def _embeddings(body: dict[str, Any]) -> dict[str, Any]:
    embeddings = []
    for item in body.get("requests") or []:
        text = " ".join(str(p.get("text", "")) for p in (item.get("content") or {}).get("parts") or [])
        dimensions = int(item.get("outputDimensionality") or 8)
        embeddings.append({"values": llm_wire.embedding(text, dimensions)})
    return {"embeddings": embeddings}
