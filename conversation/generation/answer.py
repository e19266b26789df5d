"""The assistant answer as it builds up from the orchestrator's events, and the events it yields.

Pure translation: each orchestrator ``GenerateResponse`` becomes at most one conversation
``GenerationEvent`` payload, and the answer keeps what a stored message needs (text,
reasoning, tool calls, citations, usage, model) so it can be saved at any moment: every
second while streaming, and once more at the end however the turn ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from chatmesh.conversation.v1 import messages_pb2, resources_pb2
from chatmesh.orchestrator.v1 import generation_pb2
from google.protobuf import timestamp_pb2

__all__ = ["Answer", "Ending", "finish_reason_of", "tool_status_of"]

_FINISH: dict[int, int] = {
    generation_pb2.FINISH_REASON_STOP: resources_pb2.FINISH_REASON_STOP,
    generation_pb2.FINISH_REASON_LENGTH: resources_pb2.FINISH_REASON_LENGTH,
    generation_pb2.FINISH_REASON_CONTENT_FILTER: resources_pb2.FINISH_REASON_CONTENT_FILTER,
    generation_pb2.FINISH_REASON_TOOL_STEP_LIMIT: resources_pb2.FINISH_REASON_TOOL_CALLS,
    generation_pb2.FINISH_REASON_CANCELLED: resources_pb2.FINISH_REASON_CANCELLED,
    generation_pb2.FINISH_REASON_ERROR: resources_pb2.FINISH_REASON_ERROR,
}

_TOOL_STATUS: dict[int, int] = {
    generation_pb2.TOOL_CALL_STATUS_SUCCEEDED: resources_pb2.TOOL_CALL_STATUS_SUCCEEDED,
    generation_pb2.TOOL_CALL_STATUS_FAILED: resources_pb2.TOOL_CALL_STATUS_FAILED,
    generation_pb2.TOOL_CALL_STATUS_TIMED_OUT: resources_pb2.TOOL_CALL_STATUS_TIMED_OUT,
    generation_pb2.TOOL_CALL_STATUS_REJECTED: resources_pb2.TOOL_CALL_STATUS_REJECTED,
}


def finish_reason_of(reason: int) -> int:
    return _FINISH.get(reason, resources_pb2.FINISH_REASON_STOP)


def tool_status_of(status: int) -> int:
    return _TOOL_STATUS.get(status, resources_pb2.TOOL_CALL_STATUS_FAILED)


@dataclass(frozen=True)
class Ending:
    """How a turn ended, in stored-message terms: ``status`` is the store's status string."""

    status: str
    finish_reason: int
    error_code: int = 0
    error_reason: str = ""
    error_message: str = ""


@dataclass
class Answer:
    """Everything streamed so far; ``changed`` says whether it differs from the last save."""

    model: str = ""
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: dict[str, resources_pb2.ToolCall] = field(default_factory=dict)
    citations: list[resources_pb2.Citation] = field(default_factory=list)
    usage: resources_pb2.Usage = field(default_factory=resources_pb2.Usage)
    changed: bool = False

    @property
    def content(self) -> str:
        return "".join(self.text)

    @property
    def has_output(self) -> bool:
        return bool(self.text or self.reasoning or self.tool_calls)

    def apply(self, response: generation_pb2.GenerateResponse) -> messages_pb2.GenerationEvent | None:
        """Fold one orchestrator event in; the conversation event to publish, if any."""
        kind = response.WhichOneof("event")
        if kind == "started":
            self.model = response.started.model or self.model
            return None
        if kind == "text_delta":
            return self._text(response.text_delta.text, "")
        if kind == "reasoning_delta":
            return self._text("", response.reasoning_delta.text)
        if kind == "tool_call_started":
            started = response.tool_call_started
            call = resources_pb2.ToolCall(
                id=started.tool_call_id,
                name=started.tool_name,
                status=resources_pb2.TOOL_CALL_STATUS_RUNNING,
                start_time=_time_of(response),
            )
            return self._tool(call)
        if kind == "tool_call_arguments_delta":
            delta = response.tool_call_arguments_delta
            call = self._call(delta.tool_call_id)
            call.arguments_json += delta.arguments
            return self._tool(call)
        if kind == "tool_call_result":
            return self._tool(self._result(response))
        if kind == "citations":
            return self._citations(response.citations.citations)
        if kind == "usage":
            self._usage(response.usage)
            return messages_pb2.GenerationEvent(usage=messages_pb2.UsageUpdate(usage=self.usage))
        if kind == "completed":
            self._complete(response.completed)
        elif kind == "error":
            self._usage(response.error.usage)
        return None

    def message_fields(self) -> dict[str, object]:
        """What the store writes onto the assistant message."""
        return {
            "text": self.content,
            "reasoning": "".join(self.reasoning),
            "model": self.model,
            "usage": self.usage,
            "tool_calls": list(self.tool_calls.values()),
            "citations": list(self.citations),
        }

    def _text(self, text: str, reasoning: str) -> messages_pb2.GenerationEvent | None:
        if not text and not reasoning:
            return None
        if text:
            self.text.append(text)
        if reasoning:
            self.reasoning.append(reasoning)
        self.changed = True
        return messages_pb2.GenerationEvent(delta=messages_pb2.ContentDelta(text=text, reasoning=reasoning))

    def _call(self, tool_call_id: str) -> resources_pb2.ToolCall:
        call = self.tool_calls.get(tool_call_id)
        if call is None:
            call = self.tool_calls[tool_call_id] = resources_pb2.ToolCall(
                id=tool_call_id, status=resources_pb2.TOOL_CALL_STATUS_RUNNING
            )
        return call

    def _tool(self, call: resources_pb2.ToolCall) -> messages_pb2.GenerationEvent:
        self.tool_calls[call.id] = call
        self.changed = True
        return messages_pb2.GenerationEvent(tool_call=messages_pb2.ToolCallUpdate(tool_call=call))

    def _result(self, response: generation_pb2.GenerateResponse) -> resources_pb2.ToolCall:
        result = response.tool_call_result
        call = self._call(result.tool_call_id)
        call.name = result.tool_name or call.name
        call.arguments_json = result.arguments or call.arguments_json
        call.status = tool_status_of(result.status)  # type: ignore[assignment]
        call.error_message = result.error
        call.result_json = result.result if result.status == generation_pb2.TOOL_CALL_STATUS_SUCCEEDED else ""
        call.end_time.CopyFrom(_time_of(response))
        if not call.HasField("start_time"):
            call.start_time.CopyFrom(call.end_time)
        return call

    def _citations(self, found: Iterable[generation_pb2.Citation]) -> messages_pb2.GenerationEvent:
        known = {c.index for c in self.citations}
        added = [_citation(c) for c in found if c.index not in known]
        self.citations.extend(added)
        self.changed = True
        return messages_pb2.GenerationEvent(citations=messages_pb2.CitationsUpdate(citations=added))

    def _usage(self, usage: generation_pb2.GenerationUsage) -> None:
        self.usage = resources_pb2.Usage(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cached_tokens=usage.cached_tokens,
            total_tokens=usage.total_tokens,
            cost_micros=usage.cost,
        )
        self.changed = True

    def _complete(self, completed: generation_pb2.GenerationCompleted) -> None:
        if completed.content:
            self.text = [completed.content]
        if completed.reasoning_content:
            self.reasoning = [completed.reasoning_content]
        self.model = completed.model or self.model
        for result in completed.tool_calls:
            self._result(generation_pb2.GenerateResponse(tool_call_result=result))
        if completed.citations:
            self.citations = [_citation(c) for c in completed.citations]
        if completed.HasField("usage"):
            self._usage(completed.usage)


def _citation(citation: generation_pb2.Citation) -> resources_pb2.Citation:
    return resources_pb2.Citation(
        index=citation.index,
        knowledge_base_id=citation.knowledge_base_id,
        document_id=citation.document_id,
        chunk_id=citation.chunk_id,
        title=citation.title,
        uri=citation.source_uri,
        snippet=citation.snippet,
        score=citation.score,
        page=citation.page,
        start_offset=citation.start_offset,
        end_offset=citation.end_offset,
        heading=citation.heading,
    )


def _time_of(response: generation_pb2.GenerateResponse) -> timestamp_pb2.Timestamp:
    if response.HasField("event_time"):
        return response.event_time
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    return now
