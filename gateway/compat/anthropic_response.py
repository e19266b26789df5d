"""model_router responses → Anthropic's Message object, its stream events and its error shape.

A streamed answer arrives as OpenAI-shaped deltas (text, reasoning, tool-call fragments);
Anthropic streams content blocks instead, each opened, filled with deltas and closed, and a
message wrapped around them. :class:`MessageStream` keeps the little state that takes: the
open block, its index, and the stop reason and usage reported at the end.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from starlette.responses import JSONResponse

from gateway.compat.errors import Problem, anthropic_error_body, anthropic_status, problem_headers
from gateway.compat.openai_response import message_text
from gateway.compat.sse import event_frame
from mesh.telemetry import current_request_id

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def error(problem: Problem) -> JSONResponse:
    body = anthropic_error_body(problem, current_request_id() or None)
    return JSONResponse(body, anthropic_status(problem), headers=problem_headers(problem))


def error_frame(problem: Problem) -> bytes:
    return event_frame("error", anthropic_error_body(problem, current_request_id() or None))


def stop_reason(finish_reason: str) -> str | None:
    """OpenAI's finish reason in Anthropic's words; Anthropic's own words pass through unchanged."""
    return _STOP_REASONS.get(finish_reason, finish_reason) or None


def message_id(completion_id: str) -> str:
    if not completion_id:
        return f"msg_{uuid.uuid4().hex}"
    return completion_id if completion_id.startswith("msg_") else f"msg_{completion_id}"


def tool_use_id(call_id: str) -> str:
    return call_id or f"toolu_{uuid.uuid4().hex}"


def usage_json(usage: chat_pb2.Usage | None) -> dict[str, int]:
    """Anthropic counts cache reads apart from input tokens; OpenAI's prompt_tokens include them."""
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    cached = usage.prompt_tokens_details.cached_tokens
    return {
        "input_tokens": max(0, usage.prompt_tokens - cached),
        "output_tokens": usage.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
    }


def tool_input(arguments: str) -> Any:
    """The tool call's arguments as Anthropic's `input` object; unparsable (or absurdly deep) text is {}."""
    try:
        value = json.loads(arguments) if arguments else {}
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def message_json(responses: Sequence[inference_pb2.ChatCompletionResponse], model: str) -> dict[str, Any]:
    """One Message from the RPC's answer to a stream=false request (first choice; Anthropic has no `n`)."""
    first = responses[0] if responses else inference_pb2.ChatCompletionResponse()
    choice = next((c for r in responses for c in r.choices), chat_pb2.ChatChoice())
    usage = next((r.usage for r in reversed(responses) if r.HasField("usage")), None)
    message = choice.message
    content: list[dict[str, Any]] = []
    if message.reasoning_content:
        thinking = message.reasoning_content
        content.append({"type": "thinking", "thinking": thinking, "signature": message.reasoning_signature})
    text = message_text(message) or message.refusal
    if text:
        content.append({"type": "text", "text": text})
    for call in message.tool_calls:
        content.append(
            {
                "type": "tool_use",
                "id": tool_use_id(call.id),
                "name": call.function.name,
                "input": tool_input(call.function.arguments),
            }
        )
    return {
        "id": message_id(first.id),
        "type": "message",
        "role": "assistant",
        "model": first.model or model,
        "content": content,
        "stop_reason": stop_reason(choice.finish_reason) or "end_turn",
        "stop_sequence": None,
        "usage": usage_json(usage),
    }


class MessageStream:
    """Turns the chunks of one streamed completion into Anthropic's event frames."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.started = False
        self.index = -1
        self.open_kind: str | None = None
        self.open_tool: int | None = None
        self.pinged = False
        self.finish_reason = ""
        self.usage: chat_pb2.Usage | None = None

    def feed(self, response: inference_pb2.ChatCompletionResponse) -> list[bytes]:
        frames: list[bytes] = []
        if not self.started:
            if not response.choices and not response.HasField("usage"):
                # Routing news only: wait for output, so an early failure still gets its HTTP status.
                return frames
            frames.append(self._message_start(response))
        if response.HasField("usage"):
            self.usage = response.usage
        for choice in response.choices:
            if choice.index != 0:
                continue
            frames.extend(self._delta(choice.delta))
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        return frames

    def finish(self) -> list[bytes]:
        """Close the open block and the message: message_delta (stop reason, usage), message_stop."""
        frames = [] if self.started else [self._message_start(inference_pb2.ChatCompletionResponse())]
        frames += self._close()
        delta = {"stop_reason": stop_reason(self.finish_reason) or "end_turn", "stop_sequence": None}
        end = {"type": "message_delta", "delta": delta, "usage": usage_json(self.usage)}
        frames.append(event_frame("message_delta", end))
        frames.append(event_frame("message_stop", {"type": "message_stop"}))
        return frames

    def _message_start(self, response: inference_pb2.ChatCompletionResponse) -> bytes:
        self.started = True
        message: dict[str, Any] = {
            "id": message_id(response.id),
            "type": "message",
            "role": "assistant",
            "model": response.model or self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage_json(response.usage if response.HasField("usage") else None),
        }
        return event_frame("message_start", {"type": "message_start", "message": message})

    def _delta(self, delta: chat_pb2.ChatDelta) -> list[bytes]:
        frames: list[bytes] = []
        if delta.reasoning_content:
            frames += self._ensure("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            thinking = {"type": "thinking_delta", "thinking": delta.reasoning_content}
            frames.append(self._block_delta(thinking))
        if delta.reasoning_signature:
            frames += self._ensure("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            signature = {"type": "signature_delta", "signature": delta.reasoning_signature}
            frames.append(self._block_delta(signature))
        if delta.content:
            frames += self._ensure("text", {"type": "text", "text": ""})
            frames.append(self._block_delta({"type": "text_delta", "text": delta.content}))
        for call in delta.tool_calls:
            if self.open_kind != "tool_use" or self.open_tool != call.index:
                block: dict[str, Any] = {"type": "tool_use", "id": tool_use_id(call.id)}
                block |= {"name": call.function.name, "input": {}}
                frames += self._open("tool_use", block)
                self.open_tool = call.index
            if call.function.arguments:
                fragment = {"type": "input_json_delta", "partial_json": call.function.arguments}
                frames.append(self._block_delta(fragment))
        return frames

    def _ensure(self, kind: str, block: dict[str, Any]) -> list[bytes]:
        return [] if self.open_kind == kind else self._open(kind, block)

    def _open(self, kind: str, block: dict[str, Any]) -> list[bytes]:
        frames = self._close()
        self.index += 1
        self.open_kind = kind
        start = {"type": "content_block_start", "index": self.index, "content_block": block}
        frames.append(event_frame("content_block_start", start))
        if not self.pinged:
            self.pinged = True
            frames.append(event_frame("ping", {"type": "ping"}))
        return frames

    def _close(self) -> list[bytes]:
        if self.open_kind is None:
            return []
        self.open_kind = None
        self.open_tool = None
        return [event_frame("content_block_stop", {"type": "content_block_stop", "index": self.index})]

    def _block_delta(self, delta: dict[str, Any]) -> bytes:
        body = {"type": "content_block_delta", "index": self.index, "delta": delta}
        return event_frame("content_block_delta", body)


def models_json(models: Sequence[chat_pb2.Model]) -> dict[str, Any]:
    """Anthropic's model list (`GET /v1/models` with an anthropic-version header)."""
    data = [
        {
            "type": "model",
            "id": model.id,
            "display_name": model.id,
            "created_at": datetime.fromtimestamp(model.created, UTC).isoformat().replace("+00:00", "Z"),
        }
        for model in models
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }
