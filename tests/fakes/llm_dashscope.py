"""A fake Alibaba DashScope (native API) on uvicorn, replaying its wire format event by event.

- ``POST /api/v1/services/aigc/text-generation/generation`` and
  ``.../multimodal-generation/generation`` → ``{"output": {"choices": [...]}, "usage":
  {"input_tokens", "output_tokens", "total_tokens"}, "request_id"}`` (``result_format="message"``;
  multimodal answers carry ``content`` as a list of ``{"text": ...}``).
- With ``X-DashScope-SSE: enable`` (or ``Accept: text/event-stream``) the answer streams as
  ``id:N`` / ``event:result`` / ``:HTTP_STATUS/200`` / ``data:{...}`` frames with the usage so far
  on each and ``finish_reason: "null"`` until the last; without ``incremental_output`` every
  frame repeats the whole text so far, as DashScope does.
- ``POST /api/v1/services/embeddings/text-embedding/text-embedding`` →
  ``{"output": {"embeddings": [{"text_index", "embedding"}]}, "usage": {"total_tokens"}}``.

Errors are DashScope's ``{"code", "message", "request_id"}``; a bad key is 401 ``InvalidApiKey``.
``error_event_after`` makes a stream end with ``event:error`` after that many frames.
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

__all__ = ["Failure", "FakeDashScope", "FakeReply", "FakeToolCall", "dashscope_error"]

_CODES = {
    400: "InvalidParameter",
    401: "InvalidApiKey",
    403: "AccessDenied",
    404: "ModelNotFound",
    429: "Throttling.RateQuota",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def dashscope_error(status: int, message: str, code: str = "") -> dict[str, Any]:
    return {
        "code": code or _CODES.get(status, "InternalError"),
        "message": message,
        "request_id": _request_id(),
    }


def _request_id() -> str:
    return str(uuid.uuid4())


def _usage(prompt: int, output: int, reply: FakeReply) -> dict[str, Any]:
    usage: dict[str, Any] = {"input_tokens": prompt, "output_tokens": output, "total_tokens": prompt + output}
    if reply.cached_tokens:
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
    if reply.thinking:
        usage["output_tokens_details"] = {"reasoning_tokens": len(reply.thinking)}
    return usage


def _call(index: int, call: FakeToolCall, arguments: str, *, first: bool) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if first:
        function["name"] = call.name
    return {"index": index, "id": call.id if first else "", "type": "function", "function": function}


def _content(text: str, multimodal: bool) -> Any:
    return [{"text": text}] if multimodal else text


def dashscope_answer(request_id: str, prompt: int, reply: FakeReply, multimodal: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": _content(reply.text, multimodal)}
    if reply.thinking:
        message["reasoning_content"] = "".join(reply.thinking)
    if reply.tool_calls:
        message["tool_calls"] = [
            _call(i, call, call.arguments, first=True) for i, call in enumerate(reply.tool_calls)
        ]
    finish = "tool_calls" if reply.tool_calls else "stop"
    return {
        "output": {"choices": [{"finish_reason": finish, "message": message}]},
        "usage": _usage(prompt, reply.completion_tokens, reply),
        "request_id": request_id,
    }


def dashscope_events(
    request_id: str, prompt: int, reply: FakeReply, *, incremental: bool, multimodal: bool
) -> Iterator[dict[str, Any]]:
    """Every streamed event body in order: reasoning, text, tool-call fragments, then the finish."""
    deltas: list[dict[str, Any]] = [{"reasoning_content": piece, "content": ""} for piece in reply.thinking]
    deltas.extend({"content": piece} for piece in reply.pieces)
    for index, call in enumerate(reply.tool_calls):
        for position, part in enumerate(llm_wire.fragments(call.arguments)):
            deltas.append({"content": "", "tool_calls": [_call(index, call, part, first=position == 0)]})
    deltas.append({"content": ""})
    text, output = "", 0
    for position, delta in enumerate(deltas):
        last = position == len(deltas) - 1
        text += delta["content"]
        output = reply.completion_tokens if last else min(output + 1, reply.completion_tokens)
        message = {"role": "assistant", **delta}
        message["content"] = _content(delta["content"] if incremental else text, multimodal)
        finish = ("tool_calls" if reply.tool_calls else "stop") if last else "null"
        yield {
            "output": {"choices": [{"message": message, "finish_reason": finish}]},
            "usage": _usage(prompt, output, reply),
            "request_id": request_id,
        }


@dataclass
class FakeDashScope(FakeLLMUpstream):
    error_event_after: int | None = None

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v1/services/aigc/text-generation/generation", self._text, methods=["POST"]),
                Route(
                    "/api/v1/services/aigc/multimodal-generation/generation",
                    self._multimodal,
                    methods=["POST"],
                ),
                Route(
                    "/api/v1/services/embeddings/text-embedding/text-embedding",
                    self._embeddings,
                    methods=["POST"],
                ),
            ]
        )

    async def _refused(self, request: Request) -> tuple[dict[str, Any], Failure | None, Response | None]:
        body = await self._record(request)
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.valid_keys is not None and key not in self.valid_keys:
            return body, None, JSONResponse(dashscope_error(401, "Invalid API-key provided."), 401)
        failure = self._next_failure()
        return body, failure, await self._failed(failure, dashscope_error)

    async def _text(self, request: Request) -> Response:
        return await self._generate(request, multimodal=False)

    async def _multimodal(self, request: Request) -> Response:
        return await self._generate(request, multimodal=True)

    async def _generate(self, request: Request, *, multimodal: bool) -> Response:
        body, failure, refused = await self._refused(request)
        if refused is not None:
            return refused
        messages = (body.get("input") or {}).get("messages")
        if not isinstance(messages, list) or not messages:
            return JSONResponse(dashscope_error(400, "Input should be a non-empty list of messages"), 400)
        parameters = body.get("parameters") or {}
        prompt = llm_wire.count_prompt_tokens(messages)
        request_id = _request_id()
        streaming = request.headers.get(
            "x-dashscope-sse"
        ) == "enable" or "text/event-stream" in request.headers.get("accept", "")
        if not streaming:
            return JSONResponse(dashscope_answer(request_id, prompt, self.reply_for(body), multimodal))
        events = dashscope_events(
            request_id,
            prompt,
            self.reply_for(body),
            incremental=bool(parameters.get("incremental_output")),
            multimodal=multimodal,
        )
        return StreamingResponse(self._frames(self._sse(events), failure), media_type="text/event-stream")

    def _sse(self, events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
        for number, event in enumerate(events, start=1):
            if self.error_event_after is not None and number > self.error_event_after:
                error = dashscope_error(500, "An internal error has occured, please try again later.")
                yield f"id:{number}\nevent:error\n:HTTP_STATUS/500\ndata:{json.dumps(error)}\n\n".encode()
                return
            yield f"id:{number}\nevent:result\n:HTTP_STATUS/200\ndata:{json.dumps(event)}\n\n".encode()

    async def _embeddings(self, request: Request) -> Response:
        body, _, refused = await self._refused(request)
        if refused is not None:
            return refused
        texts = list((body.get("input") or {}).get("texts") or [])
        dimensions = int((body.get("parameters") or {}).get("dimension") or 8)
        tokens = sum(len(t.split()) for t in texts)
        return JSONResponse(
            {
                "output": {
                    "embeddings": [
                        {"text_index": i, "embedding": llm_wire.embedding(t, dimensions)}
                        for i, t in enumerate(texts)
                    ]
                },
                "usage": {"total_tokens": tokens},
                "request_id": _request_id(),
            }
        )
