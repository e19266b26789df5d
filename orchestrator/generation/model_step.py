"""One streamed model call through model_router, turned into turn events as chunks arrive.

Text and reasoning deltas are passed on at once; tool calls are accumulated by their
stream index (the id and name come first, the JSON arguments in fragments) and announced
as they start. The call is cancelled in model_router when this coroutine is cancelled or
left early, which makes model_router close its upstream HTTP request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import grpc
from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from mesh.errors import error_from_rpc
from orchestrator.generation.events import EventSink

__all__ = ["StepResult", "ToolCallDraft", "add_usage", "stream_step"]


@dataclass
class ToolCallDraft:
    index: int
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    announced: bool = False

    @property
    def arguments_json(self) -> str:
        return "".join(self.arguments)


@dataclass
class StepResult:
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: dict[int, ToolCallDraft] = field(default_factory=dict)
    finish_reason: str = ""
    usage: chat_pb2.Usage | None = None
    cost: int = 0
    first_text_at: float | None = None

    def ordered_calls(self) -> list[ToolCallDraft]:
        return [self.tool_calls[index] for index in sorted(self.tool_calls)]


def add_usage(total: generation_pb2.GenerationUsage, step: StepResult) -> None:
    total.model_calls += 1
    total.cost += step.cost
    usage = step.usage
    if usage is None:
        return
    total.prompt_tokens += usage.prompt_tokens
    total.completion_tokens += usage.completion_tokens
    total.total_tokens += usage.total_tokens or usage.prompt_tokens + usage.completion_tokens
    total.cached_tokens += usage.prompt_tokens_details.cached_tokens
    total.reasoning_tokens += usage.completion_tokens_details.reasoning_tokens


def _announce(draft: ToolCallDraft, sink: EventSink, step: int) -> None:
    if not draft.id:
        draft.id = f"call_{step}_{draft.index}"
    draft.announced = True
    sink.emit(
        tool_call_started=generation_pb2.ToolCallStarted(
            tool_call_id=draft.id, tool_name=draft.name, step=step
        )
    )
    if draft.arguments:
        sink.emit(
            tool_call_arguments_delta=generation_pb2.ToolCallArgumentsDelta(
                tool_call_id=draft.id, arguments=draft.arguments_json
            )
        )


def _take_tool_delta(result: StepResult, delta: chat_pb2.ToolCallDelta, sink: EventSink, step: int) -> None:
    draft = result.tool_calls.setdefault(delta.index, ToolCallDraft(delta.index))
    if delta.id and not draft.id:
        draft.id = delta.id
    if delta.function.name and not draft.name:
        draft.name = delta.function.name
    fragment = delta.function.arguments
    if fragment:
        draft.arguments.append(fragment)
    if not draft.announced:
        if draft.name:
            _announce(draft, sink, step)
    elif fragment:
        sink.emit(
            tool_call_arguments_delta=generation_pb2.ToolCallArgumentsDelta(
                tool_call_id=draft.id, arguments=fragment
            )
        )


def _take_choice(result: StepResult, choice: chat_pb2.ChatChoice, sink: EventSink, step: int) -> None:
    delta = choice.delta
    if delta.reasoning_content:
        result.reasoning.append(delta.reasoning_content)
        sink.emit(reasoning_delta=generation_pb2.ReasoningDelta(text=delta.reasoning_content, step=step))
    if delta.content:
        if result.first_text_at is None:
            result.first_text_at = time.monotonic()
        result.text.append(delta.content)
        sink.emit(text_delta=generation_pb2.TextDelta(text=delta.content, step=step))
    for tool_delta in delta.tool_calls:
        _take_tool_delta(result, tool_delta, sink, step)
    if choice.finish_reason:
        result.finish_reason = choice.finish_reason


async def stream_step(
    model_router: Any,
    request: inference_pb2.ChatCompletionRequest,
    sink: EventSink,
    step: int,
    result: StepResult,
) -> None:
    """Runs one streamed ChatCompletion into ``result``; model_router's errors come back as DomainErrors.

    ``result`` is the caller's so that what streamed before a cancel or a failure is kept.
    """
    call = model_router.ChatCompletion(request)
    try:
        async for chunk in call:
            if chunk.HasField("usage"):
                result.usage = chunk.usage
            if chunk.route.cost:
                result.cost = chunk.route.cost
            for choice in chunk.choices:
                if choice.index == 0:
                    _take_choice(result, choice, sink, step)
    except grpc.aio.AioRpcError as exc:
        raise error_from_rpc(exc) from None
    finally:
        if not call.done():
            call.cancel()
    for draft in result.ordered_calls():
        if not draft.announced:
            draft.name = draft.name or "unknown"
            _announce(draft, sink, step)
