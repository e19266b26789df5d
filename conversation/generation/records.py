"""Writing a turn to the database: the assistant message as it grows, and how the turn ended.

Saves go through conv-core's message store (``update_message``) so the message tree, search
vector and timestamps stay its business. The final save, the generation row and the
GenerationCompleted event share one transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from chatmesh.conversation.v1 import resources_pb2
from chatmesh.events.v1 import conversation_events_pb2 as events_pb2
from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversation.generation.answer import Answer, Ending
from conversation.store import generations as generation_store
from conversation.store.messages import MessageChanges, update_message
from conversation.store.rows import MessageRow
from conversation.store.tables import outbox
from mesh import events
from mesh.tokens import counter_for

__all__ = ["FINISH_NAMES", "TurnRecord", "proto_dicts"]

FINISH_NAMES = {
    resources_pb2.FINISH_REASON_STOP: "stop",
    resources_pb2.FINISH_REASON_LENGTH: "length",
    resources_pb2.FINISH_REASON_TOOL_CALLS: "tool_calls",
    resources_pb2.FINISH_REASON_CONTENT_FILTER: "content_filter",
    resources_pb2.FINISH_REASON_CANCELLED: "cancelled",
    resources_pb2.FINISH_REASON_ERROR: "error",
}
_OUTCOMES = {
    "complete": events_pb2.GENERATION_OUTCOME_SUCCEEDED,
    "cancelled": events_pb2.GENERATION_OUTCOME_CANCELLED,
}


def proto_dict(message: Message) -> dict[str, Any]:
    return dict(json_format.MessageToDict(message, preserving_proto_field_name=True))


def proto_dicts(messages: list[Any]) -> list[dict[str, Any]]:
    return [proto_dict(m) for m in messages]


def _changes(answer: Answer, status: str, finish_reason: str | None) -> MessageChanges:
    text = answer.content
    return MessageChanges(
        parts=[{"text": text}] if text else [],
        status=status,
        model=answer.model or None,
        finish_reason=finish_reason,
        usage=proto_dict(answer.usage),
        tool_calls=proto_dicts(list(answer.tool_calls.values())),
        citations=proto_dicts(answer.citations),
        token_count=counter_for(answer.model).text(text),
    )


class TurnRecord:
    """The database side of one running turn."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        tenant_id: str,
        owner_id: str,
        conversation_id: str,
        message_id: str,
        generation_id: str,
    ) -> None:
        self._sessions = sessions
        self._tenant_id = tenant_id
        self._owner_id = owner_id
        self._conversation_id = uuid.UUID(conversation_id)
        self._message_id = uuid.UUID(message_id)
        self._generation_id = generation_id

    async def save_partial(self, answer: Answer) -> None:
        """What streamed so far, still marked streaming (a crash leaves it readable).

        Taken as it is now: deltas arriving during the write mark the answer changed again.
        """
        changes = _changes(answer, "streaming", None)
        answer.changed = False
        async with self._sessions.begin() as session:
            await self._update(session, changes)

    async def finish(
        self, answer: Answer, ending: Ending, *, seconds: float, first_token_seconds: float | None = None
    ) -> MessageRow:
        """The final message, the generation's outcome and GenerationCompleted, atomically."""
        finish_name = FINISH_NAMES.get(ending.finish_reason, "")  # type: ignore[call-overload]
        async with self._sessions.begin() as session:
            row = await self._update(session, _changes(answer, ending.status, finish_name))
            await generation_store.finish_generation(
                session,
                self._generation_id,
                ending.status,
                model=answer.model,
                error=ending.error_message,
            )
            await events.add(
                session,
                outbox,
                source="conversation",
                event=self._completed_event(answer, ending, finish_name, seconds, first_token_seconds),
                tenant_id=self._tenant_id,
                subject=str(self._conversation_id),
                actor_id=self._owner_id,
            )
        answer.changed = False
        return row

    def _completed_event(
        self,
        answer: Answer,
        ending: Ending,
        finish_name: str,
        seconds: float,
        first_token_seconds: float | None,
    ) -> events_pb2.GenerationCompleted:
        outcome_key = "cancelled" if finish_name == "cancelled" else ending.status
        event = events_pb2.GenerationCompleted(
            generation_id=self._generation_id,
            conversation_id=str(self._conversation_id),
            message_id=str(self._message_id),
            owner_id=self._owner_id,
            model=answer.model,
            outcome=_OUTCOMES.get(outcome_key, events_pb2.GENERATION_OUTCOME_FAILED),
            finish_reason=finish_name,
            prompt_tokens=answer.usage.prompt_tokens,
            completion_tokens=answer.usage.completion_tokens,
            tool_calls=len(answer.tool_calls),
        )
        event.duration.FromNanoseconds(int(seconds * 1e9))
        if first_token_seconds is not None:
            event.time_to_first_token.FromNanoseconds(int(first_token_seconds * 1e9))
        return event

    async def _update(self, session: AsyncSession, changes: MessageChanges) -> MessageRow:
        return await update_message(
            session,
            tenant_id=self._tenant_id,
            conversation_id=self._conversation_id,
            message_id=self._message_id,
            changes=changes,
        )
