"""Generate, Cancel, GetGeneration and ListGenerations.

Generate claims the generation id (ALREADY_EXISTS while a turn with that id is live
anywhere), starts the turn in its own task and relays its events. The caller leaving the
stream cancels the turn, which cancels its model_router call.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from chatmesh.orchestrator.v1 import generation_pb2

from mesh.auth import current_principal
from mesh.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound, Unavailable
from orchestrator.generation.access import read_scope, turn_owner
from orchestrator.generation.events import EventSink
from orchestrator.generation.records import to_generation
from orchestrator.generation.runner import Turn, TurnIdentity
from orchestrator.generation.runtime import GenerationRuntime
from orchestrator.store import generations as store

if TYPE_CHECKING:
    from orchestrator.deps import OrchestratorDeps

__all__ = ["GenerationApi"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# How long Cancel waits for the turn's record to show its end before answering.
CANCEL_WAIT_SECONDS = 2.0
# How long a caller that left waits for its turn to record the cancellation.
ABANDON_WAIT_SECONDS = 5.0
_PRIORITIES = {
    generation_pb2.GENERATION_PRIORITY_UNSPECIFIED: generation_pb2.GENERATION_PRIORITY_INTERACTIVE,
    generation_pb2.GENERATION_PRIORITY_INTERACTIVE: generation_pb2.GENERATION_PRIORITY_INTERACTIVE,
    generation_pb2.GENERATION_PRIORITY_BACKGROUND: generation_pb2.GENERATION_PRIORITY_BACKGROUND,
}


MAX_ID_CHARS = 128


def _require_id(generation_id: str) -> None:
    if not generation_id:
        raise InvalidArgument("generation_id is required", [FieldViolation("generation_id", "is required")])
    if len(generation_id) > MAX_ID_CHARS:
        raise InvalidArgument(
            "generation_id is too long",
            [FieldViolation("generation_id", f"must be at most {MAX_ID_CHARS} characters")],
        )


class GenerationApi:
    deps: OrchestratorDeps

    def _runtime(self) -> GenerationRuntime:
        runtime = self.deps.runtime
        if runtime is None:
            raise Unavailable("orchestrator has no generation runtime configured")
        return runtime

    async def Generate(
        self, request: generation_pb2.GenerateRequest, context: Any
    ) -> AsyncIterator[generation_pb2.GenerateResponse]:
        _require_id(request.generation_id)
        if request.priority not in _PRIORITIES:
            raise InvalidArgument("unknown priority", [FieldViolation("priority", "is not a known priority")])
        tenant_id, user_id = await turn_owner(current_principal(), request.tenant_id, request.user_id)
        runtime = self._runtime()
        live = runtime.register(request.generation_id, tenant_id)
        if live is None:
            raise AlreadyExists(f"generation {request.generation_id} is already running")
        task: asyncio.Task[None] | None = None
        try:
            priority = _PRIORITIES[request.priority]
            background = priority == generation_pb2.GENERATION_PRIORITY_BACKGROUND
            await runtime.admit(live, user_id, background)  # turn limits: before anything is written
            claim = {
                "id": request.generation_id,
                "tenant_id": tenant_id,
                "user_id": user_id,
                "conversation_id": request.conversation_id,
                "message_id": request.message_id,
                "request_id": request.request_id,
                "instance_id": runtime.instance_id,
                "state": generation_pb2.GENERATION_STATE_QUEUED,
                "priority": priority,
                "model": request.settings.model,
                "create_time": _now(),
            }
            claimed = await store.claim(self.deps.engine, claim)
            if not claimed and await self._close_orphan(
                await store.get(self.deps.engine, request.generation_id)
            ):
                claimed = await store.claim(self.deps.engine, claim)
            if not claimed:
                raise AlreadyExists(
                    f"generation id {request.generation_id} is running or in use by another tenant"
                )
            sink = EventSink(request.generation_id)
            turn = Turn(self.deps, runtime, live, request, TurnIdentity(tenant_id, user_id, priority), sink)
            task = live.task = asyncio.create_task(turn.execute(), name=f"generation-{request.generation_id}")
            if live.cancel_requested:  # a Cancel that arrived before the task existed
                task.cancel()
            while (item := await sink.queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            if task is not None and not task.done():
                live.cancel("the caller left the stream")
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({task}, timeout=ABANDON_WAIT_SECONDS)
            runtime.unregister(live)

    async def Cancel(
        self, request: generation_pb2.CancelRequest, context: Any
    ) -> generation_pb2.CancelResponse:
        _require_id(request.generation_id)
        row = await self._visible(request.generation_id)
        if row.state not in store.LIVE_STATES:
            return generation_pb2.CancelResponse(cancelled=False, generation=to_generation(row))
        runtime = self._runtime()
        reason = request.reason or "cancelled by request"
        live = runtime.local(request.generation_id)
        await runtime.cancel(request.generation_id, reason)
        if live is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.finished.wait(), CANCEL_WAIT_SECONDS)
        row = await self._await_end(request.generation_id, reason, live is None)
        return generation_pb2.CancelResponse(cancelled=True, generation=to_generation(row))

    async def GetGeneration(
        self, request: generation_pb2.GetGenerationRequest, context: Any
    ) -> generation_pb2.GetGenerationResponse:
        _require_id(request.generation_id)
        row = await self._visible(request.generation_id)
        if await self._close_orphan(row):
            row = await self._visible(request.generation_id)
        position = self._runtime().queue_position(row.id)
        return generation_pb2.GetGenerationResponse(generation=to_generation(row, position))

    async def ListGenerations(
        self, request: generation_pb2.ListGenerationsRequest, context: Any
    ) -> generation_pb2.ListGenerationsResponse:
        if request.page_size < 0:
            raise InvalidArgument("bad page_size", [FieldViolation("page_size", "must not be negative")])
        scope = await read_scope(current_principal(), request.tenant_id)
        where = store.GenerationFilter(
            tenant_id=scope.tenant_id,
            user_id=scope.user_id,
            conversation_id=request.conversation_id,
            state=request.state,
        )
        size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        rows, token = await store.list_page(self.deps.engine, where, size, request.page_token)
        runtime = self.deps.runtime
        return generation_pb2.ListGenerationsResponse(
            generations=[
                to_generation(row, runtime.queue_position(row.id) if runtime else 0) for row in rows
            ],
            next_page_token=token,
        )

    async def _visible(self, generation_id: str) -> store.GenerationRow:
        """The record, if the caller may see it; NOT_FOUND otherwise (existence is not revealed)."""
        scope = await read_scope(current_principal(), "")
        row = await store.get(self.deps.engine, generation_id)
        if row is None or not scope.allows(row.tenant_id, row.user_id):
            raise NotFound(f"generation {generation_id} not found")
        return row

    async def _await_end(self, generation_id: str, reason: str, remote: bool) -> store.GenerationRow:
        """The record once it left the live states; a turn whose instance never answers is closed here."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (CANCEL_WAIT_SECONDS if remote else 0.0)
        while True:
            row = await store.get(self.deps.engine, generation_id)
            if row is None:
                raise NotFound(f"generation {generation_id} not found")
            if row.state not in store.LIVE_STATES or loop.time() >= deadline:
                break
            await asyncio.sleep(0.05)
        if row.state in store.LIVE_STATES:
            await store.close_live(
                self.deps.engine,
                generation_id,
                state=generation_pb2.GENERATION_STATE_CANCELLED,
                finish_reason=generation_pb2.FINISH_REASON_CANCELLED,
                error_reason="CANCELLED",
                message=reason,
                when=_now(),
            )
            row = await store.get(self.deps.engine, generation_id) or row
        return row

    async def _close_orphan(self, row: store.GenerationRow | None) -> bool:
        """Fails a live record whose instance is gone (crashed); True if one was closed."""
        if row is None or row.state not in store.LIVE_STATES:
            return False
        if await self._runtime().heartbeat.alive(row.instance_id):
            return False
        await store.close_live(
            self.deps.engine,
            row.id,
            state=generation_pb2.GENERATION_STATE_FAILED,
            finish_reason=generation_pb2.FINISH_REASON_ERROR,
            error_reason="INSTANCE_LOST",
            message="the orchestrator instance running this generation stopped",
            when=_now(),
            instance_id=row.instance_id,
        )
        return True


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
