"""One assistant turn from admission to its last event: prepare, wait for a slot, the tool loop, record.

The turn runs in its own task (see orchestrator/api/generation.py). Cancelling that task is
how a turn is stopped — by Cancel, by another instance through Redis, or by the caller
leaving the stream: the model_router call in flight is cancelled with it, and the turn is
recorded as cancelled. Whatever happens, the stream ends with exactly one `completed` or
`error` once `started` was sent; before that, failures are the RPC's status.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

import grpc
from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from mesh.errors import DomainError, Internal, Unavailable
from orchestrator.deps import OrchestratorDeps
from orchestrator.generation.events import EventSink, duration
from orchestrator.generation.model_step import StepResult, add_usage, stream_step
from orchestrator.generation.preparation import PreparedTurn, prepare_turn
from orchestrator.generation.records import tool_calls_json, usage_json
from orchestrator.generation.runtime import GenerationRuntime, LiveTurn
from orchestrator.generation.tool_calls import assistant_message, reject_calls, run_tool_calls, tool_message
from orchestrator.store import generations as store
from orchestrator.tools.knowledge import attached_knowledge_bases

__all__ = ["GenerationCancelled", "Turn", "TurnIdentity"]

log = logging.getLogger(__name__)

_FINISH = {
    "stop": generation_pb2.FINISH_REASON_STOP,
    "length": generation_pb2.FINISH_REASON_LENGTH,
    "content_filter": generation_pb2.FINISH_REASON_CONTENT_FILTER,
}
_RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}
_PARAMETERS = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty")
STEP_LIMIT_ERROR = "the tool step limit was reached before this call could run"


class GenerationCancelled(DomainError):
    """A turn cancelled before it started: the Generate stream ends with status CANCELLED."""

    code = grpc.StatusCode.CANCELLED
    default_reason = "GENERATION_CANCELLED"


@dataclass(frozen=True)
class TurnIdentity:
    """Who the turn runs for, after the caller's credentials were checked against the request."""

    tenant_id: str
    user_id: str
    priority: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Turn:
    def __init__(
        self,
        deps: OrchestratorDeps,
        runtime: GenerationRuntime,
        live: LiveTurn,
        request: generation_pb2.GenerateRequest,
        identity: TurnIdentity,
        sink: EventSink,
    ) -> None:
        self._deps = deps
        self._runtime = runtime
        self._live = live
        self._request = request
        self._identity = identity
        self._sink = sink
        self._created = time.monotonic()
        self._run_started = 0.0
        self._model = ""
        self._started = False
        self._steps: list[StepResult] = []
        self._tool_results: list[generation_pb2.ToolCallResult] = []
        self._citations: list[generation_pb2.Citation] = []
        self._usage = generation_pb2.GenerationUsage()
        self._writing: asyncio.Task[None] | None = None

    async def execute(self) -> None:
        """The task body: never raises; the outcome is in the events and the record."""
        try:
            prepared = await prepare_turn(self._deps, self._request, self._identity.tenant_id)
            self._model = prepared.settings.model
            async with self._runtime.limiter.slot(self._identity.priority, on_queued=self._queued):
                await self._run(prepared)
        except asyncio.CancelledError:
            await self._end_cancelled()
        except DomainError as exc:
            await self._end_failed(exc)
        except Exception:
            log.exception("generation failed", extra={"generation_id": self._live.generation_id})
            await self._end_failed(Internal("the generation failed unexpectedly"))
        finally:
            self._live.finished.set()
            self._sink.close()

    def _queued(self, seq: int) -> None:
        self._live.queue_seq = seq

    # ---- the tool loop ----

    async def _run(self, prepared: PreparedTurn) -> None:
        self._live.queue_seq = None
        if self._deps.clients is None:
            raise Unavailable("orchestrator has no client for model_router")
        model_router = self._deps.clients.stub("model_router")
        queue_seconds = time.monotonic() - self._created
        self._run_started = time.monotonic()
        # The RUNNING record is written alongside the first model call, not before it: it is
        # a database round trip on every turn's time to first token. Later writes wait for it.
        self._writing = asyncio.get_running_loop().create_task(
            self._write_record(
                state=generation_pb2.GENERATION_STATE_RUNNING, start_time=_now(), model=self._model
            )
        )
        self._started = True
        self._sink.emit(
            started=generation_pb2.GenerationStarted(
                model=self._model, queue_duration=duration(queue_seconds)
            )
        )
        if prepared.citations:
            self._citations.extend(prepared.citations)
            self._sink.emit(citations=generation_pb2.Citations(citations=prepared.citations))
        messages = list(prepared.messages)
        limit = prepared.settings.max_tool_steps
        finish = generation_pb2.FINISH_REASON_STOP
        for step in range(1, limit + 1):
            result = StepResult()
            self._steps.append(result)
            await stream_step(model_router, self._chat_request(prepared, messages), self._sink, step, result)
            self._take_usage(result)
            calls = result.ordered_calls()
            if not calls:
                finish = _FINISH.get(result.finish_reason, generation_pb2.FINISH_REASON_STOP)
                break
            if step == limit:
                self._tool_results.extend(reject_calls(calls, step, STEP_LIMIT_ERROR, self._sink))
                finish = generation_pb2.FINISH_REASON_TOOL_STEP_LIMIT
                break
            messages.append(assistant_message("".join(result.text), calls))
            with attached_knowledge_bases(prepared.settings.knowledge_base_ids):
                results = await run_tool_calls(
                    self._deps.tools,
                    self._identity.tenant_id,
                    prepared.settings.tools,
                    calls,
                    step,
                    tool_timeout=self._deps.config.tool_timeout_seconds,
                    sink=self._sink,
                    citations=self._citations,
                )
            self._usage.tool_calls += len(results)
            self._tool_results.extend(results)
            messages.extend(tool_message(result) for result in results)
            await self._record(tool_calls=tool_calls_json(self._tool_results), usage=usage_json(self._usage))
        await self._end_completed(finish)

    def _take_usage(self, result: StepResult) -> None:
        add_usage(self._usage, result)
        usage = generation_pb2.GenerationUsage()
        usage.CopyFrom(self._usage)
        self._sink.emit(usage=usage)

    def _chat_request(
        self, prepared: PreparedTurn, messages: list[chat_pb2.ChatMessage]
    ) -> inference_pb2.ChatCompletionRequest:
        request, settings = self._request, prepared.settings
        chat = inference_pb2.ChatCompletionRequest(
            model=settings.model,
            messages=messages,
            tools=prepared.tools,
            stream=True,
            stream_options=chat_pb2.StreamOptions(include_usage=True),
            user=self._identity.user_id,
            reasoning_effort=settings.parameters.reasoning_effort,
            routing=chat_pb2.RoutingContext(
                tenant_id=self._identity.tenant_id,
                user_id=self._identity.user_id,
                api_key_id=request.api_key_id,
                request_id=request.request_id,
                group=request.group,
                source="orchestrator",
                conversation_id=request.conversation_id,
                generation_id=request.generation_id,
            ),
        )
        for name in _PARAMETERS:
            if settings.parameters.HasField(name):
                setattr(chat, name, getattr(settings.parameters, name))
        chat.stop.extend(settings.parameters.stop)
        return chat

    # ---- endings ----

    def _timings(self) -> dict[str, Any]:
        first_text = next((s.first_text_at for s in self._steps if s.first_text_at is not None), None)
        ttft = None if first_text is None else first_text - self._run_started
        latency = time.monotonic() - self._run_started if self._started else None
        return {
            "ttft_ms": None if ttft is None else int(ttft * 1000),
            "latency_ms": None if latency is None else int(latency * 1000),
        }

    def _completed(self, finish: int) -> generation_pb2.GenerationCompleted:
        timings = self._timings()
        completed = generation_pb2.GenerationCompleted(
            finish_reason=finish,  # type: ignore[arg-type]
            content="".join(text for step in self._steps for text in step.text),
            reasoning_content="".join(text for step in self._steps for text in step.reasoning),
            tool_calls=self._tool_results,
            citations=self._citations,
            usage=self._usage,
            model=self._model,
            latency=duration((timings["latency_ms"] or 0) / 1000),
        )
        if timings["ttft_ms"] is not None:
            completed.time_to_first_token.CopyFrom(duration(timings["ttft_ms"] / 1000))
        return completed

    async def _finish_record(self, state: int, finish: int, **values: Any) -> None:
        await self._record(
            state=state,
            finish_reason=finish,
            end_time=_now(),
            usage=usage_json(self._usage),
            tool_calls=tool_calls_json(self._tool_results),
            **self._timings(),
            **values,
        )

    async def _end_completed(self, finish: int) -> None:
        await self._finish_record(generation_pb2.GENERATION_STATE_SUCCEEDED, finish)
        self._sink.emit(completed=self._completed(finish))

    async def _end_cancelled(self) -> None:
        reason = self._live.cancel_reason or "cancelled"
        await self._finish_record(
            generation_pb2.GENERATION_STATE_CANCELLED,
            generation_pb2.FINISH_REASON_CANCELLED,
            error_reason="CANCELLED",
            error_message=reason,
        )
        if self._started:
            self._sink.emit(completed=self._completed(generation_pb2.FINISH_REASON_CANCELLED))
        else:
            self._sink.fail(GenerationCancelled(f"the generation was cancelled before it started: {reason}"))

    async def _end_failed(self, exc: DomainError) -> None:
        finish = (
            generation_pb2.FINISH_REASON_ERROR if self._started else generation_pb2.FINISH_REASON_UNSPECIFIED
        )
        await self._finish_record(
            generation_pb2.GENERATION_STATE_FAILED, finish, error_reason=exc.reason, error_message=exc.message
        )
        if not self._started:
            self._sink.fail(exc)
            return
        usage = generation_pb2.GenerationUsage()
        usage.CopyFrom(self._usage)
        self._sink.emit(
            error=generation_pb2.GenerationError(
                code=exc.code.value[0],
                reason=exc.reason,
                message=exc.message,
                retryable=exc.code in _RETRYABLE,
                usage=usage,
            )
        )

    async def _record(self, **values: Any) -> None:
        """Writes the turn's record; a database fault is logged, never allowed to break the stream.

        An earlier write still in flight (the RUNNING one) lands first, so the record never goes back.
        """
        if self._writing is not None:
            await asyncio.shield(self._writing)
            self._writing = None
        await self._write_record(**values)

    async def _write_record(self, **values: Any) -> None:
        try:
            await store.update_row(
                self._deps.engine, self._live.generation_id, self._runtime.instance_id, **values
            )
        except Exception:
            log.exception("could not record generation", extra={"generation_id": self._live.generation_id})
