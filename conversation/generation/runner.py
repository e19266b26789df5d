"""One turn, start to end: build the window, stream the orchestrator's events into the event log,
save the answer as it grows, and store how it ended.

The turn's messages are written alongside (the ``write`` it is given), not before: the
model call and the first deltas do not wait for the database. Saves of the answer wait for
that write; if it fails, the model call is cancelled and the turn ends with ``error``.

The orchestrator admits the turn or refuses it (its users' and tenants' concurrent-turn
limits, its own capacity) before its first event. Until then nothing of the turn is stored:
a RESOURCE_EXHAUSTED before the first event rejects ``admitted`` with that error (the
caller answers with it, HTTP 429 with Retry-After), and the turn leaves no trace. Once
admitted, the ``started`` event goes first into the event log and the turn's messages are
written.

Stop (local or from another instance via :class:`StopSignals`) cancels the gRPC stream at
once and tells the orchestrator to Cancel, so the model call ends within a second; the turn
then ends with ``done`` / CANCELLED and the text that had streamed. A failure (mid-stream
``error`` event or a failed RPC) ends with ``error`` and the partial message. Whatever
happens, the last event is written and the message leaves the "streaming" state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.conversation.v1 import messages_pb2, resources_pb2
from chatmesh.orchestrator.v1 import generation_pb2
from google.rpc import code_pb2
from redis.exceptions import RedisError

from conversation.generation.answer import Answer, Ending, finish_reason_of
from conversation.generation.event_log import EventLog, event_id
from conversation.generation.feed import TurnFeed
from conversation.generation.finals import store_failure, terminal_event
from conversation.generation.records import TurnRecord
from conversation.generation.request import TurnIdentity, generate_request
from conversation.generation.stop import StopSignals
from conversation.store.generations import GenerationRow
from mesh.errors import DomainError, error_from_rpc

if TYPE_CHECKING:
    from conversation.context.builder import ContextBuilder, Plan
    from conversation.store.rows import MessageRow
    from mesh.clients import ServiceClients

__all__ = ["MessageConverter", "TurnRunner"]

log = logging.getLogger(__name__)

MessageConverter = Callable[["MessageRow"], resources_pb2.Message]

CANCEL_SECONDS = 1.0
_STOPPED = Ending("incomplete", resources_pb2.FINISH_REASON_CANCELLED)


class TurnRunner:
    """Runs one turn; ``sequence`` is the last event id already in the log (the ``started`` event)."""

    def __init__(
        self,
        turn: TurnIdentity,
        *,
        events: EventLog,
        stops: StopSignals,
        record: TurnRecord,
        context: ContextBuilder,
        clients: ServiceClients | None,
        flush_seconds: float,
        to_message: MessageConverter,
        plan: Plan,
        write: Callable[[], Awaitable[None]],
        sequence: int = 1,
        feed: TurnFeed | None = None,
        opening: messages_pb2.GenerationEvent | None = None,
    ) -> None:
        self.turn = turn
        self._events = events
        self._stops = stops
        self._record = record
        self._context = context
        self._clients = clients
        self._flush_seconds = flush_seconds
        self._to_message = to_message
        self._plan = plan
        self._write_turn = write
        self._sequence = sequence
        self._feed = feed
        self._answer = Answer(model=turn.model)
        self._call: Any = None
        self._stopping = False
        self._cancel_task: asyncio.Task[None] | None = None
        self._stored = asyncio.Event()
        self._store_error: BaseException | None = None
        self._write_task: asyncio.Task[None] | None = None
        self.ending: Ending | None = None
        self._started = time.monotonic()
        self._first_token: float | None = None
        self._saving: asyncio.Task[None] | None = None
        self._ending = asyncio.Event()
        self._opening = opening
        # Resolved once the orchestrator admitted the turn; rejected with its refusal otherwise.
        self.admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.admitted.add_done_callback(lambda f: f.cancelled() or f.exception())

    @property
    def draft_row(self) -> GenerationRow:
        """The turn as its generation row will read once stored (it may not be yet)."""
        turn = self.turn
        return GenerationRow(
            id=turn.generation_id,
            tenant_id=turn.tenant_id,
            owner_id=turn.owner_id,
            conversation_id=turn.conversation_id,
            user_message_id=turn.user_message_id,
            assistant_message_id=turn.assistant_message_id,
            kind="",
            model=self._answer.model,
            status="running",
        )

    async def _write(self) -> None:
        try:
            await self._write_turn()
        except BaseException as exc:
            self._store_error = exc
            self.stop()
            if not isinstance(exc, Exception):
                raise
        finally:
            self._stored.set()

    def stop(self) -> None:
        """Cancel the model call now (idempotent); the run loop then ends the turn as stopped."""
        if self._stopping:
            return
        self._stopping = True
        if self._call is not None:
            self._call.cancel()
        self._cancel_task = asyncio.get_running_loop().create_task(self._cancel_upstream())

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            if self._feed is not None:
                self._feed.close()

    async def _admit(self) -> None:
        """The turn goes ahead: its ``started`` event first in the log, its messages written."""
        if self.admitted.done():
            return
        if self._opening is not None:
            if self._feed is not None:
                self._feed.publish(1, self._opening)
            await self._events.append(1, self._opening)
        self._write_task = asyncio.get_running_loop().create_task(self._write())
        self.admitted.set_result(None)

    async def _close(self, ending: Ending, started: float) -> None:
        await self._admit()
        await self._end(ending, started)

    async def _run(self) -> None:
        started = self._started = time.monotonic()
        self._stops.register(self.turn.generation_id, self.stop)
        try:
            ending = await self._stream()
            if ending is None:  # refused by the orchestrator: nothing to store
                return
        except asyncio.CancelledError:
            ending = Ending(
                "failed" if not self._answer.has_output else "incomplete",
                resources_pb2.FINISH_REASON_ERROR,
                code_pb2.UNAVAILABLE,
                "SERVICE_SHUTTING_DOWN",
                "the service stopped during the answer",
            )
            await asyncio.shield(self._close(ending, started))
            raise
        except Exception:
            log.exception("generation failed", extra={"generation_id": self.turn.generation_id})
            ending = self._failure(code_pb2.INTERNAL, "INTERNAL", "the answer could not be completed")
        finally:
            self._stops.unregister(self.turn.generation_id)
        await self._close(ending, started)
        if self._cancel_task is not None:
            with contextlib.suppress(Exception):
                await self._cancel_task

    async def _stream(self) -> Ending | None:
        turn = self.turn
        try:
            window = await self._context.complete(self._plan)
        except DomainError as exc:
            return self._failure(exc.code.value[0], exc.reason, exc.message)
        if self._stopping:
            return _STOPPED
        self._answer.model = self._answer.model or window.model
        if self._clients is None:
            return self._failure(
                code_pb2.UNAVAILABLE, "ORCHESTRATOR_UNAVAILABLE", "no orchestrator is configured"
            )
        self._call = self._clients.stub("orchestrator").Generate(generate_request(turn, window))
        if await self._stops.requested(turn.generation_id):
            self.stop()
        last_save = time.monotonic()
        try:
            async for response in self._call:
                ending = await self._apply(response)
                if ending is not None:
                    return ending
                if self._answer.changed and time.monotonic() - last_save >= self._flush_seconds:
                    self._save_in_background()
                    last_save = time.monotonic()
        except grpc.aio.AioRpcError as exc:
            if self._stopping:
                return _STOPPED
            remote = error_from_rpc(exc)
            if not self.admitted.done() and exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                self.admitted.set_exception(remote)
                return None
            reason = remote.reason if remote.reason != "UNKNOWN" else "ORCHESTRATOR_FAILED"
            return self._failure(exc.code().value[0], reason, remote.message or "the model call failed")
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._stopping and task is not None and not task.cancelling():
                return _STOPPED
            raise
        if self._stopping:
            return _STOPPED
        return self._failure(code_pb2.UNAVAILABLE, "STREAM_ENDED", "the answer ended without a final event")

    async def _apply(self, response: generation_pb2.GenerateResponse) -> Ending | None:
        await self._admit()
        event = self._answer.apply(response)
        if self._first_token is None and event is not None and event.HasField("delta"):
            # A client that saw text may stop the turn through any instance: the turn's rows
            # are committed by then (the write began at admission; with a real model it has
            # long finished when the first token arrives, so this rarely waits).
            await self._stored.wait()
            self._first_token = time.monotonic() - self._started
        if event is not None:
            await self._append(event)
        kind = response.WhichOneof("event")
        if kind == "completed":
            reason = finish_reason_of(response.completed.finish_reason)
            if reason == resources_pb2.FINISH_REASON_CANCELLED:
                return _STOPPED
            if reason == resources_pb2.FINISH_REASON_ERROR:
                return self._failure(code_pb2.INTERNAL, "MODEL_FAILED", "the model failed")
            return Ending("complete", reason)
        if kind == "error":
            error = response.error
            return self._failure(error.code or code_pb2.UNKNOWN, error.reason, error.message)
        return None

    def _failure(self, code: int, reason: str, message: str) -> Ending:
        status = "incomplete" if self._answer.has_output else "failed"
        return Ending(status, resources_pb2.FINISH_REASON_ERROR, code, reason or "GENERATION_FAILED", message)

    def _save_in_background(self) -> None:
        """Save without holding up the stream; one save at a time (the one in flight saves again)."""
        if self._saving is None or self._saving.done():
            self._saving = asyncio.get_running_loop().create_task(self._save_partial())

    async def _save_partial(self) -> None:
        """Save, then once more a flush period later if deltas came meanwhile (a turn that pauses
        keeps its latest text saved); the turn's end interrupts the wait and writes the final text."""
        while not self._ending.is_set():
            if not self._stored.is_set() or self._store_error is not None:
                return
            try:
                await self._record.save_partial(self._answer)
            except Exception:
                log.warning("could not save the partial answer", exc_info=True)
                return
            if not self._answer.changed:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ending.wait(), self._flush_seconds)

    async def _end(self, ending: Ending, started: float) -> None:
        self._ending.set()
        await self._stored.wait()
        if self._saving is not None:
            await asyncio.gather(self._saving, return_exceptions=True)
        row: MessageRow | None = None
        if self._store_error is not None:
            ending = store_failure(self._store_error, self._answer.has_output)
        else:
            try:
                row = await self._record.finish(
                    self._answer,
                    ending,
                    seconds=time.monotonic() - started,
                    first_token_seconds=self._first_token,
                )
            except Exception:
                log.exception("could not store the answer", extra={"generation_id": self.turn.generation_id})
                ending = store_failure(RuntimeError("finish"), self._answer.has_output)
        self.ending = ending
        if row is not None:
            message = self._to_message(row)
        else:
            message = resources_pb2.Message(
                id=self.turn.assistant_message_id,
                conversation_id=self.turn.conversation_id,
                parts=[resources_pb2.ContentPart(text=self._answer.content)] if self._answer.content else [],
            )
        try:
            await self._append(terminal_event(ending, message))
        except RedisError:  # e.g. a sweep took this turn for lost and closed its log meanwhile
            log.warning("could not append the last event", extra={"generation_id": self.turn.generation_id})

    async def _append(self, event: messages_pb2.GenerationEvent) -> None:
        self._sequence += 1
        event.generation_id = self.turn.generation_id
        event.event_id = event_id(self.turn.generation_id, self._sequence)
        if self._feed is not None:
            self._feed.publish(self._sequence, event)
        await self._events.append(self._sequence, event)

    async def _cancel_upstream(self) -> None:
        if self._clients is None:
            return
        request = generation_pb2.CancelRequest(
            generation_id=self.turn.generation_id, reason="stopped by the user"
        )
        try:
            await self._clients.stub("orchestrator").Cancel(request, timeout=CANCEL_SECONDS)
        except (TimeoutError, grpc.aio.AioRpcError):
            log.info("orchestrator Cancel failed (the cancelled stream stops the turn anyway)", exc_info=True)
