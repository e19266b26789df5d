"""Streamed chunks become events: text, reasoning, tool calls assembled from fragments, usage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from orchestrator.generation.events import EventSink
from orchestrator.generation.model_step import StepResult, stream_step


def _chunk(**delta: object) -> inference_pb2.ChatCompletionResponse:
    return inference_pb2.ChatCompletionResponse(
        choices=[chat_pb2.ChatChoice(index=0, delta=chat_pb2.ChatDelta(**delta))]  # type: ignore[arg-type]
    )


def _tool(index: int, *, id: str = "", name: str = "", arguments: str = "") -> chat_pb2.ToolCallDelta:
    return chat_pb2.ToolCallDelta(
        index=index, id=id, function=chat_pb2.FunctionCall(name=name, arguments=arguments)
    )


@dataclass
class FakeCall:
    chunks: list[inference_pb2.ChatCompletionResponse]
    cancelled: bool = False
    finished: bool = False

    def __aiter__(self) -> AsyncIterator[inference_pb2.ChatCompletionResponse]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[inference_pb2.ChatCompletionResponse]:
        for chunk in self.chunks:
            yield chunk
        self.finished = True

    def done(self) -> bool:
        return self.finished

    def cancel(self) -> bool:
        self.cancelled = True
        return True


@dataclass
class FakeRouter:
    chunks: list[inference_pb2.ChatCompletionResponse]
    calls: list[FakeCall] = field(default_factory=list)

    def ChatCompletion(self, request: inference_pb2.ChatCompletionRequest) -> FakeCall:
        call = FakeCall(self.chunks)
        self.calls.append(call)
        return call


async def test_text_reasoning_tool_calls_and_usage() -> None:
    final = inference_pb2.ChatCompletionResponse(
        usage=chat_pb2.Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15)
    )
    final.route.cost = 7
    router = FakeRouter(
        [
            _chunk(reasoning_content="thinking"),
            _chunk(content="Let me "),
            _chunk(content="check."),
            _chunk(tool_calls=[_tool(0, id="c0", name="calculator", arguments='{"expr')]),
            _chunk(tool_calls=[_tool(1, id="c1", name="clock")]),
            _chunk(tool_calls=[_tool(0, arguments='ession": "1+1"}')]),
            inference_pb2.ChatCompletionResponse(
                choices=[chat_pb2.ChatChoice(index=0, finish_reason="tool_calls")]
            ),
            final,
        ]
    )
    sink, result = EventSink("g1"), StepResult()
    await stream_step(router, inference_pb2.ChatCompletionRequest(), sink, 1, result)
    events = []
    while not sink.queue.empty():
        events.append(sink.queue.get_nowait())
    kinds = [e.WhichOneof("event") for e in events]  # type: ignore[union-attr]
    assert kinds == [
        "reasoning_delta",
        "text_delta",
        "text_delta",
        "tool_call_started",
        "tool_call_arguments_delta",
        "tool_call_started",
        "tool_call_arguments_delta",
    ]
    calls = result.ordered_calls()
    assert [(c.id, c.name, c.arguments_json) for c in calls] == [
        ("c0", "calculator", '{"expression": "1+1"}'),
        ("c1", "clock", ""),
    ]
    assert "".join(result.text) == "Let me check." and result.finish_reason == "tool_calls"
    assert result.usage is not None and result.usage.total_tokens == 15 and result.cost == 7
    assert result.first_text_at is not None and not router.calls[0].cancelled
