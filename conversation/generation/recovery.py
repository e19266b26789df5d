"""Closing turns whose instance died mid-answer.

A running turn appends to its event log at least every few seconds, and each append keeps
the log alive for ``running_ttl``; a turn still marked running whose log has expired was
lost with its process. Its assistant message keeps the text saved so far (saves happen
every second) and is marked incomplete (or failed when nothing had arrived), so the
conversation does not show an answer "streaming" forever. Any instance may do this; the
updates only touch rows still marked running, so two instances doing it at once agree.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversation.generation.event_log import EventLog
from conversation.store import generations as generation_store
from conversation.store.messages import MessageChanges, get_message, update_message

__all__ = ["recover_lost_turns", "run_recovery"]

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 300.0


async def recover_lost_turns(
    sessions: async_sessionmaker[AsyncSession], events: EventLog, older_than_seconds: float
) -> int:
    """Close every lost turn; returns how many were closed."""
    async with sessions() as session:
        candidates = await generation_store.stale_generations(session, older_than_seconds)
    closed = 0
    for row in candidates:
        if await events.exists(row.id):
            continue
        async with sessions.begin() as session:
            conversation_id = uuid.UUID(row.conversation_id)
            message_id = uuid.UUID(row.assistant_message_id)
            message = await get_message(
                session, tenant_id=row.tenant_id, conversation_id=conversation_id, message_id=message_id
            )
            status = "incomplete" if message.text else "failed"
            await update_message(
                session,
                tenant_id=row.tenant_id,
                conversation_id=conversation_id,
                message_id=message_id,
                changes=MessageChanges(status=status, finish_reason="error"),
            )
            await generation_store.finish_generation(session, row.id, status, error="the generation was lost")
        closed += 1
    if closed:
        log.warning("closed %d lost generations", closed)
    return closed


async def run_recovery(
    sessions: async_sessionmaker[AsyncSession],
    events: EventLog,
    older_than_seconds: float,
    interval: float = INTERVAL_SECONDS,
) -> None:
    """Look for lost turns now and then, for as long as the service runs."""
    while True:
        try:
            await recover_lost_turns(sessions, events, older_than_seconds)
        except Exception:
            log.exception("recovering lost generations failed; trying again later")
        await asyncio.sleep(interval)
