"""An in-process OrchestratorService that streams scripted turns, for conversation's tests.

Each Generate call takes the next :class:`Script` from ``scripts`` (or ``default``): text
deltas (optionally slow), then ``completed``, a mid-stream ``error`` event, or an RPC
failure. It records every request, every Cancel, and whether the caller cancelled the
Generate stream itself, so tests can see both halves of a stop. A Cancel for a running turn
ends it the way the real orchestrator does: ``completed`` with finish reason CANCELLED.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from chatmesh.orchestrator.v1 import generation_pb2, orchestrator_pb2_grpc

__all__ = ["FakeOrchestrator", "Script"]


@dataclass
class Script:
    """One scripted turn.

    ``deltas``: answer text pieces, ``delay`` seconds apart. ``fail_after``: after that many
    deltas, end with an ``error`` event instead of ``completed``. ``abort``: fail the RPC with
    this status code before anything streams. ``hold``: after the deltas, wait (until
    cancelled) instead of completing. ``tool_call``: ``(name, arguments, result)`` reported
    before the text.
    """

    deltas: list[str] = field(default_factory=lambda: ["Hello", ", ", "world."])
    delay: float = 0.0
    fail_after: int | None = None
    abort: grpc.StatusCode | None = None
    hold: bool = False
    model: str = "fake-model"
    tool_call: tuple[str, str, str] | None = None
    usage: tuple[int, int] = (12, 3)


@dataclass
class _Turn:
    request: generation_pb2.GenerateRequest
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    stream_cancelled: bool = False
    finished: bool = False


class FakeOrchestrator(orchestrator_pb2_grpc.OrchestratorServiceServicer):
    def __init__(self) -> None:
        self.scripts: deque[Script] = deque()
        self.default = Script()
        self.choose: Callable[[generation_pb2.GenerateRequest], Script | None] | None = None
        self.turns: dict[str, _Turn] = {}
        self.requests: list[generation_pb2.GenerateRequest] = []
        self.metadata: list[dict[str, str]] = []
        self.cancels: list[generation_pb2.CancelRequest] = []
        self.address = ""
        self._server: grpc.aio.Server | None = None

    def stream_cancelled(self, generation_id: str) -> bool:
        turn = self.turns.get(generation_id)
        return turn is not None and turn.stream_cancelled

    def _script_for(self, request: generation_pb2.GenerateRequest) -> Script:
        if self.choose is not None:
            chosen = self.choose(request)
            if chosen is not None:
                return chosen
        return self.scripts.popleft() if self.scripts else self.default

    async def Generate(
        self, request: generation_pb2.GenerateRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[generation_pb2.GenerateResponse]:
        self.requests.append(request)
        self.metadata.append({k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)})
        script = self._script_for(request)
        if script.abort is not None:
            await context.abort(script.abort, "scripted failure")
        turn = self.turns[request.generation_id] = _Turn(request)
        try:
            async for response in self._events(turn, script):
                yield response
        except asyncio.CancelledError:
            turn.stream_cancelled = True
            raise
        finally:
            turn.finished = True

    async def _events(self, turn: _Turn, script: Script) -> AsyncIterator[generation_pb2.GenerateResponse]:
        sequence = 0

        def event(**kind: Any) -> generation_pb2.GenerateResponse:
            nonlocal sequence
            sequence += 1
            response = generation_pb2.GenerateResponse(
                generation_id=turn.request.generation_id, sequence=sequence, **kind
            )
            response.event_time.GetCurrentTime()
            return response

        yield event(started=generation_pb2.GenerationStarted(model=script.model))
        calls = []
        if script.tool_call is not None:
            name, arguments, result = script.tool_call
            yield event(
                tool_call_started=generation_pb2.ToolCallStarted(tool_call_id="call_1", tool_name=name)
            )
            done = generation_pb2.ToolCallResult(
                tool_call_id="call_1",
                tool_name=name,
                arguments=arguments,
                result=result,
                status=generation_pb2.TOOL_CALL_STATUS_SUCCEEDED,
            )
            calls.append(done)
            yield event(tool_call_result=done)
        sent: list[str] = []
        for index, text in enumerate(script.deltas):
            if script.fail_after is not None and index >= script.fail_after:
                break
            if await self._wait(turn, script.delay):
                yield event(
                    completed=self._completed(script, sent, calls, generation_pb2.FINISH_REASON_CANCELLED)
                )
                return
            sent.append(text)
            yield event(text_delta=generation_pb2.TextDelta(text=text, step=1))
        if script.fail_after is not None:
            error = generation_pb2.GenerationError(
                code=grpc.StatusCode.UNAVAILABLE.value[0],
                reason="UPSTREAM_FAILED",
                message="the model went away",
                retryable=True,
            )
            yield event(error=error)
            return
        if script.hold:
            await turn.cancelled.wait()
            yield event(
                completed=self._completed(script, sent, calls, generation_pb2.FINISH_REASON_CANCELLED)
            )
            return
        prompt, completion = script.usage
        yield event(
            usage=generation_pb2.GenerationUsage(
                prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
            )
        )
        yield event(completed=self._completed(script, sent, calls, generation_pb2.FINISH_REASON_STOP))

    async def _wait(self, turn: _Turn, delay: float) -> bool:
        """Sleep ``delay`` unless cancelled first; True when cancelled."""
        if turn.cancelled.is_set():
            return True
        if delay <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(turn.cancelled.wait(), delay)
        return turn.cancelled.is_set()

    @staticmethod
    def _completed(
        script: Script, sent: list[str], calls: list[generation_pb2.ToolCallResult], reason: int
    ) -> generation_pb2.GenerationCompleted:
        prompt, completion = script.usage
        return generation_pb2.GenerationCompleted(
            finish_reason=reason,  # type: ignore[arg-type]
            content="".join(sent),
            tool_calls=calls,
            model=script.model,
            usage=generation_pb2.GenerationUsage(
                prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
            ),
        )

    async def Cancel(
        self, request: generation_pb2.CancelRequest, context: grpc.aio.ServicerContext
    ) -> generation_pb2.CancelResponse:
        self.cancels.append(request)
        turn = self.turns.get(request.generation_id)
        running = turn is not None and not turn.finished
        if turn is not None:
            turn.cancelled.set()
        return generation_pb2.CancelResponse(cancelled=running)

    async def start(self) -> str:
        server = grpc.aio.server()
        orchestrator_pb2_grpc.add_OrchestratorServiceServicer_to_server(self, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        self._server = server
        self.address = f"127.0.0.1:{port}"
        return self.address

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(0)
            self._server = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeOrchestrator]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()
