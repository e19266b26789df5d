"""Closing turns whose instance died mid-answer, within seconds.

A running turn has a heartbeat key its instance refreshes every few seconds
(heartbeat.py); a turn still marked running, older than ``lost_after`` seconds, whose key
has expired was lost with its process. Its assistant message keeps the text saved so far
(saves happen every second) and is marked incomplete (or failed when nothing had arrived),
and its event log gets a last ``error`` event, so a reader that reconnects sees the turn
end instead of an answer "streaming" forever. Any instance may do this, at start and every
``interval`` seconds; only the instance whose update moved the row out of running goes on
to close the message and the log, so two sweeping at once agree.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

from chatmesh.conversation.v1 import resources_pb2
from google.rpc import code_pb2
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversation.generation.answer import Ending
from conversation.generation.event_log import EventLog, event_id
from conversation.generation.finals import terminal_event
from conversation.generation.heartbeat import TurnHeartbeats
from conversation.store import generations as generation_store
from conversation.store.generations import GenerationRow
from conversation.store.messages import MessageChanges, get_message, update_message
from conversation.store.rows import MessageRow

__all__ = ["LOST_MESSAGE", "recover_lost_turns", "run_recovery"]

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 5.0
LOST_MESSAGE = "the service answering stopped; the answer so far was kept"


async def recover_lost_turns(
    sessions: async_sessionmaker[AsyncSession],
    events: EventLog,
    heartbeats: TurnHeartbeats,
    to_message: Callable[[MessageRow], resources_pb2.Message],
    lost_after_seconds: float,
) -> int:
    """Close every lost turn; returns how many were closed."""
    async with sessions() as session:
        candidates = await generation_store.stale_generations(session, lost_after_seconds)
    alive = await heartbeats.alive(row.id for row in candidates)
    closed = 0
    for row in candidates:
        if row.id not in alive and await _close(sessions, events, to_message, row):
            closed += 1
    if closed:
        log.warning("closed %d lost generations", closed)
    return closed


async def _close(
    sessions: async_sessionmaker[AsyncSession],
    events: EventLog,
    to_message: Callable[[MessageRow], resources_pb2.Message],
    row: GenerationRow,
) -> bool:
    conversation_id = uuid.UUID(row.conversation_id)
    message_id = uuid.UUID(row.assistant_message_id)
    async with sessions.begin() as session:
        message = await get_message(
            session, tenant_id=row.tenant_id, conversation_id=conversation_id, message_id=message_id
        )
        status = "incomplete" if message.text else "failed"
        if not await generation_store.finish_generation(
            session, row.id, status, error="the generation was lost"
        ):
            return False  # finished meanwhile, or another instance closed it
        await update_message(
            session,
            tenant_id=row.tenant_id,
            conversation_id=conversation_id,
            message_id=message_id,
            changes=MessageChanges(status=status, finish_reason="error"),
        )
        stored = await get_message(
            session, tenant_id=row.tenant_id, conversation_id=conversation_id, message_id=message_id
        )
    last = await events.last_sequence(row.id)
    if last is not None:
        ending = Ending(
            status, resources_pb2.FINISH_REASON_ERROR, code_pb2.UNAVAILABLE, "GENERATION_LOST", LOST_MESSAGE
        )
        event = terminal_event(ending, to_message(stored))
        event.generation_id = row.id
        event.event_id = event_id(row.id, last + 1)
        await events.append(last + 1, event)
    return True


async def run_recovery(
    sessions: async_sessionmaker[AsyncSession],
    events: EventLog,
    heartbeats: TurnHeartbeats,
    to_message: Callable[[MessageRow], resources_pb2.Message],
    lost_after_seconds: float,
    interval: float = INTERVAL_SECONDS,
) -> None:
    """Look for lost turns at start and every ``interval`` seconds, for as long as the service runs."""
    while True:
        try:
            await recover_lost_turns(sessions, events, heartbeats, to_message, lost_after_seconds)
        except Exception:
            log.exception("recovering lost generations failed; trying again later")
        await asyncio.sleep(interval)
