"""Running the tool calls one model step asked for, and feeding their results back.

Calls run one after another in the order the model listed them, each with the configured
timeout; the registry turns tool faults into outcomes, so a failing tool becomes an error
result the model can react to rather than a failed turn. A call to a tool the turn does not
enable is rejected without running.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from chatmesh.model_router.v1 import chat_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from orchestrator.generation.events import EventSink, duration
from orchestrator.generation.model_step import ToolCallDraft
from orchestrator.generation.ports import ToolOutcomeLike, ToolRegistryLike

__all__ = ["assistant_message", "reject_calls", "run_tool_calls", "tool_message"]

_STATUSES = {
    "succeeded": generation_pb2.TOOL_CALL_STATUS_SUCCEEDED,
    "failed": generation_pb2.TOOL_CALL_STATUS_FAILED,
    "timed_out": generation_pb2.TOOL_CALL_STATUS_TIMED_OUT,
    "rejected": generation_pb2.TOOL_CALL_STATUS_REJECTED,
}
_CITATION_FIELDS = frozenset(generation_pb2.Citation.DESCRIPTOR.fields_by_name) - {"index"}


def assistant_message(text: str, calls: Sequence[ToolCallDraft]) -> chat_pb2.ChatMessage:
    """The model's tool-calling turn as it goes back into the conversation."""
    return chat_pb2.ChatMessage(
        role="assistant",
        content=text,
        tool_calls=[
            chat_pb2.ToolCall(
                id=call.id,
                type="function",
                function=chat_pb2.FunctionCall(name=call.name, arguments=call.arguments_json or "{}"),
            )
            for call in calls
        ],
    )


def tool_message(result: generation_pb2.ToolCallResult) -> chat_pb2.ChatMessage:
    """A tool result for the model: the output, or the error when the call did not succeed."""
    if result.status == generation_pb2.TOOL_CALL_STATUS_SUCCEEDED:
        content = result.result
    else:
        status = generation_pb2.ToolCallStatus.Name(result.status).removeprefix("TOOL_CALL_STATUS_").lower()
        content = f"Tool call {status}: {result.error}"
    return chat_pb2.ChatMessage(
        role="tool", tool_call_id=result.tool_call_id, name=result.tool_name, content=content
    )


def _result(call: ToolCallDraft, step: int, outcome: ToolOutcomeLike) -> generation_pb2.ToolCallResult:
    return generation_pb2.ToolCallResult(
        tool_call_id=call.id,
        tool_name=call.name,
        arguments=call.arguments_json,
        result=outcome.output,
        status=_STATUSES.get(outcome.status, generation_pb2.TOOL_CALL_STATUS_FAILED),
        error=outcome.error,
        duration=duration(outcome.seconds),
        step=step,
    )


def _rejected(call: ToolCallDraft, step: int, error: str) -> generation_pb2.ToolCallResult:
    return generation_pb2.ToolCallResult(
        tool_call_id=call.id,
        tool_name=call.name,
        arguments=call.arguments_json,
        status=generation_pb2.TOOL_CALL_STATUS_REJECTED,
        error=error,
        duration=duration(0.0),
        step=step,
    )


def _citations(outcome: ToolOutcomeLike, first_index: int) -> list[generation_pb2.Citation]:
    citations = []
    for offset, raw in enumerate(outcome.citations or ()):
        known = {key: value for key, value in dict(raw).items() if key in _CITATION_FIELDS}
        citations.append(generation_pb2.Citation(index=first_index + offset, **known))
    return citations


def reject_calls(
    calls: Sequence[ToolCallDraft], step: int, error: str, sink: EventSink
) -> list[generation_pb2.ToolCallResult]:
    """Records calls that will not run (the step limit was reached) so the record shows them."""
    results = [_rejected(call, step, error) for call in calls]
    for result in results:
        sink.emit(tool_call_result=result)
    return results


async def run_tool_calls(
    registry: ToolRegistryLike | None,
    tenant_id: str,
    allowed: Sequence[str],
    calls: Sequence[ToolCallDraft],
    step: int,
    *,
    tool_timeout: float,
    sink: EventSink,
    citations: list[generation_pb2.Citation],
) -> list[generation_pb2.ToolCallResult]:
    """Runs ``calls``; new sources a tool returns are appended to ``citations`` and announced."""
    results = []
    for call in calls:
        if registry is None or call.name not in allowed:
            result = _rejected(call, step, f"tool {call.name!r} is not enabled for this turn")
        else:
            started = time.monotonic()
            outcome = await registry.call(
                tenant_id, call.name, call.arguments_json or "{}", timeout=tool_timeout
            )
            result = _result(call, step, outcome)
            if not outcome.seconds:
                result.duration.CopyFrom(duration(time.monotonic() - started))
            found = _citations(outcome, len(citations) + 1)
            if found:
                citations.extend(found)
                sink.emit(citations=generation_pb2.Citations(citations=found))
        sink.emit(tool_call_result=result)
        results.append(result)
    return results
