"""Starting, following, stopping and finishing turns: what the generation RPCs call.

Starting a turn (conversation.generation.turns) checks the request and fits the history,
launches a :class:`TurnRunner` task whose model call starts at once and, once the
orchestrator admitted the turn (its refusal is the caller's error, see runner.py), puts the
``started`` event (every id a client needs to reconnect) first in the event log, while the user
message, the reserved assistant message (status streaming) and the generation row are
written in one transaction alongside. The task belongs to this
object, not to the RPC: a caller that disconnects only stops reading; the turn runs on and
is stored, and the caller may resume from its last event id. StopGeneration is the way to
end a turn early.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from chatmesh.conversation.v1 import messages_pb2
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversation.context.builder import ContextBuilder, Plan
from conversation.context.sizes import WindowSizes
from conversation.generation.answer import Ending
from conversation.generation.background import BackgroundModel
from conversation.generation.event_log import EventLog, EventLogLimits, parse_event_id
from conversation.generation.feed import TurnFeed
from conversation.generation.finals import final_event
from conversation.generation.heartbeat import TurnHeartbeats
from conversation.generation.records import TurnRecord
from conversation.generation.recovery import recover_lost_turns, run_recovery
from conversation.generation.request import TurnIdentity
from conversation.generation.runner import MessageConverter, TurnRunner
from conversation.generation.stop import StopSignals
from conversation.generation.titles import Titles
from conversation.generation.turns import Draft, NewTurn, Owner, read_turn, started_event, write_turn
from conversation.store import generations as generation_store
from conversation.store.generations import GenerationRow
from conversation.store.messages import get_message
from mesh.auth import current_principal
from mesh.errors import InvalidArgument, NotFound
from mesh.key_limits import require_model

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from conversation.config import ConversationConfig
    from mesh.clients import ServiceClients

__all__ = ["Generations", "NewTurn", "Owner"]

log = logging.getLogger(__name__)

STOP_WAIT_SECONDS = 2.0


class Generations:
    """Every running turn of this instance, and the ways to start, follow and stop turns anywhere."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        clients: ServiceClients | None,
        config: ConversationConfig,
        to_message: MessageConverter,
    ) -> None:
        self._sessions = sessions
        self._to_message = to_message
        self._clients = clients
        self._config = config
        self.events = EventLog(
            redis,
            EventLogLimits(
                max_events=config.generation_max_events,
                finished_ttl_seconds=config.generation_events_ttl_seconds,
            ),
        )
        self.stops = StopSignals(redis)
        self.heartbeats = TurnHeartbeats(
            redis,
            interval=config.generation_heartbeat_seconds,
            ttl=config.generation_heartbeat_ttl_seconds,
        )
        self.model = BackgroundModel(clients)
        self.context = ContextBuilder(sessions, WindowSizes(clients), self.model)
        self.titles = Titles(sessions, self.model)
        self._runners: dict[str, tuple[TurnRunner, asyncio.Task[None]]] = {}
        self._feeds: dict[str, TurnFeed] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._closing = False

    async def start(self) -> None:
        await self.stops.start()
        await self.heartbeats.start()
        self.spawn(
            run_recovery(
                self._sessions,
                self.events,
                self.heartbeats,
                self._to_message,
                self._config.generation_heartbeat_ttl_seconds,
                self._config.generation_sweep_seconds,
            )
        )

    async def recover_lost(self, lost_after_seconds: float) -> int:
        """Close the turns (of any instance) whose heartbeat is gone; returns how many."""
        return await recover_lost_turns(
            self._sessions, self.events, self.heartbeats, self._to_message, lost_after_seconds
        )

    async def close(self) -> None:
        """Let running turns finish for a grace period, then cancel them (they store what they have)."""
        self._closing = True
        tasks = [task for _, task in self._runners.values()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self._config.generation_shutdown_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.heartbeats.close()
        await self.stops.close()

    async def begin(self, owner: Owner, turn: NewTurn) -> GenerationRow:
        """Check and start a turn; a retry with the same request id gets the first turn.

        Everything that can refuse the request (ownership, the parent message) is checked
        here and raised to the caller. The turn's messages are then written while the model
        call already runs (see TurnRunner).
        """
        if turn.request_id:
            existing = await self._by_request(owner, turn)
            if existing is not None:
                return existing
        async with self._sessions() as session:
            draft, plan = await read_turn(session, owner, turn, self.context)
        # The model this turn will use (the request's, else the conversation's), refused here with
        # a clear error when the caller's API key may not use it; model_router enforces it again.
        require_model(current_principal(), plan.model)
        runner = self._launch(owner, draft, turn, plan, TurnFeed(), started_event(draft))
        # turn-limits: the orchestrator's refusal (concurrent-turn limits, load shedding) is the
        # caller's error; the turn then stored nothing.
        await asyncio.shield(runner.admitted)
        return draft.generation

    async def _write(self, owner: Owner, turn: NewTurn, draft: Draft) -> None:
        async with self._sessions.begin() as session:
            await write_turn(session, owner, turn, draft)

    async def _by_request(self, owner: Owner, turn: NewTurn) -> GenerationRow | None:
        async with self._sessions() as session:
            return await generation_store.find_by_request(
                session, owner.tenant_id, str(turn.conversation_id), turn.request_id
            )

    def _launch(
        self,
        owner: Owner,
        draft: Draft,
        turn: NewTurn,
        plan: Plan,
        feed: TurnFeed,
        started: messages_pb2.GenerationEvent,
    ) -> TurnRunner:
        row = draft.generation
        identity = TurnIdentity(
            generation_id=row.id,
            tenant_id=owner.tenant_id,
            owner_id=owner.user_id,
            conversation_id=row.conversation_id,
            user_message_id=row.user_message_id,
            assistant_message_id=row.assistant_message_id,
            request_id=owner.request_id or turn.request_id,
            api_key_id=owner.api_key_id,
            model=turn.model,
        )
        record = TurnRecord(
            self._sessions,
            tenant_id=owner.tenant_id,
            owner_id=owner.user_id,
            conversation_id=row.conversation_id,
            message_id=row.assistant_message_id,
            generation_id=row.id,
        )
        runner = TurnRunner(
            identity,
            events=self.events,
            stops=self.stops,
            record=record,
            context=self.context,
            clients=self._clients,
            flush_seconds=self._config.generation_save_seconds,
            to_message=self._to_message,
            plan=plan,
            write=functools.partial(self._write, owner, turn, draft),
            feed=feed,
            opening=started,
        )
        task = asyncio.get_running_loop().create_task(runner.run(), name=f"generation-{row.id}")
        self._runners[row.id] = (runner, task)
        self.heartbeats.add(row.id)
        self._feeds[row.id] = feed
        # Only a send that opens an untitled conversation may title it; every other turn skips
        # the check's database read (the title is checked again, under the write, when it is set).
        opening = turn.kind == "send" and not plan.conversation.title and len(plan.messages) <= 1
        task.add_done_callback(lambda _: self._finished(runner, opening))
        return runner

    def _finished(self, runner: TurnRunner, opening: bool) -> None:
        self._runners.pop(runner.turn.generation_id, None)
        self.heartbeats.remove(runner.turn.generation_id)
        self._feeds.pop(runner.turn.generation_id, None)
        ending: Ending | None = runner.ending
        if opening and self._config.auto_title and ending is not None and ending.status == "complete":
            self.spawn(self.titles.after_first_exchange(runner.turn))

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` off the request path; failures are logged, never raised at anyone."""
        if self._closing:
            work.close()
            return
        task = asyncio.get_running_loop().create_task(_logged(work))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def owned(self, owner: Owner, conversation_id: str, generation_id: str) -> GenerationRow:
        """The generation, if it is the caller's and belongs to ``conversation_id``; NOT_FOUND otherwise.

        A turn of this instance whose row is not committed yet (its first milliseconds) counts too.
        """
        async with self._sessions() as session:
            row = await generation_store.get_generation(session, owner.tenant_id, generation_id)
        if row is None and generation_id in self._runners:
            row = self._runners[generation_id][0].draft_row
        if (
            row is None
            or row.tenant_id != owner.tenant_id
            or row.owner_id != owner.user_id
            or (conversation_id and row.conversation_id != conversation_id)
        ):
            raise NotFound("generation not found", reason="GENERATION_NOT_FOUND")
        return row

    async def follow(self, row: GenerationRow, after: int = 0) -> AsyncIterator[messages_pb2.GenerationEvent]:
        """Events after sequence ``after``, live until the end; the stored outcome once the log expired.

        A turn running in this process is followed from its in-memory feed; the Redis log takes
        over from the last event seen should the feed close early.
        """
        feed = self._feeds.get(row.id)
        if feed is not None:
            async for event in feed.read(after):
                yield event
                if event.WhichOneof("kind") in ("done", "error"):
                    return
                after = _sequence_of(event, after)
        async for event in self.events.read(row.id, after):
            yield event
            if event.WhichOneof("kind") in ("done", "error"):
                return
        async with self._sessions() as session:
            current = await generation_store.get_generation(session, row.tenant_id, row.id)
            message = await get_message(
                session,
                tenant_id=row.tenant_id,
                conversation_id=uuid.UUID(row.conversation_id),
                message_id=uuid.UUID(row.assistant_message_id),
            )
        yield final_event(current or row, self._to_message(message))

    async def stop(self, row: GenerationRow) -> bool:
        """Stop a running turn wherever it runs; waits briefly so the stored answer is final on return."""
        local = self._runners.get(row.id)
        if not row.running and local is None:
            return False
        await self.stops.request(row.id)
        if local is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(local[1]), STOP_WAIT_SECONDS)
            return True
        await _until(lambda: self._status(row), STOP_WAIT_SECONDS)
        return True

    async def stop_conversation(self, tenant_id: str, conversation_id: str) -> int:
        """Stop every running turn of a conversation (it was deleted); returns how many were running."""
        async with self._sessions() as session:
            rows = await generation_store.running_generations(session, tenant_id, conversation_id)
        stopped = await asyncio.gather(*(self.stop(row) for row in rows))
        return sum(stopped)

    async def _status(self, row: GenerationRow) -> bool:
        async with self._sessions() as session:
            current = await generation_store.get_generation(session, row.tenant_id, row.id)
        return current is None or not current.running


def _sequence_of(event: messages_pb2.GenerationEvent, fallback: int) -> int:
    try:
        return parse_event_id(event.event_id)[1]
    except InvalidArgument:
        return fallback


async def _until(check: Callable[[], Any], seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)


async def _logged(work: Coroutine[Any, Any, Any]) -> None:
    try:
        await work
    except Exception:
        log.exception("background conversation task failed")
