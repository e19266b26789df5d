"""Starting a turn in two steps, so the model call need not wait for the writes.

:func:`read_turn` checks the request against the stored conversation (owner, parent) and
fits the history, with the new user message added in memory; the ids of everything the
turn creates are chosen here. The orchestrator call can start from that. :func:`write_turn`
then stores the user message, the reserved assistant message and the generation row in one
transaction, while the call is already on its way; the turn's events are only read (and
published) once that transaction committed. A turn whose write fails is abandoned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatmesh.conversation.v1 import messages_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.context.builder import ContextBuilder, Plan
from conversation.generation.event_log import event_id
from conversation.store import generations as generation_store
from conversation.store.access import owned_conversation
from conversation.store.generations import GenerationRow
from conversation.store.messages import NewMessage, get_message, insert_message
from conversation.store.rows import MessageRow

__all__ = ["Draft", "DuplicateTurn", "NewTurn", "Owner", "read_turn", "started_event", "write_turn"]


@dataclass(frozen=True)
class Owner:
    """The caller a turn runs for (``api_key_id`` is set when it came with an API key)."""

    tenant_id: str
    user_id: str
    api_key_id: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class NewTurn:
    """What SendMessage or Regenerate asks for, already validated by the api layer.

    ``user_parts`` is None for Regenerate; ``answer_to`` is the parent for the user message
    (Send; None means the active leaf) or the message to answer (Regenerate).
    """

    conversation_id: uuid.UUID
    kind: str
    answer_to: uuid.UUID | None
    user_parts: list[dict[str, Any]] | None
    attachments: list[dict[str, Any]]
    model: str
    request_id: str
    user_tokens: int = 0


class DuplicateTurn(Exception):
    """Another request with the same request id stored its turn first."""


@dataclass(frozen=True)
class Draft:
    """The ids a turn will create: ``answer_to`` is the message the answer goes under."""

    generation: GenerationRow
    user_message_id: uuid.UUID | None
    user_parent_id: uuid.UUID | None
    answer_to: uuid.UUID


async def read_turn(
    session: AsyncSession, owner: Owner, turn: NewTurn, context: ContextBuilder
) -> tuple[Draft, Plan]:
    conversation = await owned_conversation(
        session, tenant_id=owner.tenant_id, owner_id=owner.user_id, conversation_id=turn.conversation_id
    )
    user_id: uuid.UUID | None = None
    extra: MessageRow | None = None
    leaf: uuid.UUID | None
    parent: uuid.UUID | None
    if turn.user_parts is None:
        assert turn.answer_to is not None
        answer_to = leaf = turn.answer_to
        parent = None
    else:
        parent = turn.answer_to or conversation.active_leaf_id
        if turn.answer_to is not None:
            await get_message(
                session,
                tenant_id=owner.tenant_id,
                conversation_id=turn.conversation_id,
                message_id=turn.answer_to,
            )
        user_id = answer_to = uuid.uuid4()
        leaf = None if parent == conversation.active_leaf_id else parent
        extra = _draft_user_row(user_id, owner, turn, parent)
    plan = await context.plan(session, conversation, leaf, model=turn.model, extra=extra)
    generation = GenerationRow(
        id=str(uuid.uuid4()),
        tenant_id=owner.tenant_id,
        owner_id=owner.user_id,
        conversation_id=str(turn.conversation_id),
        user_message_id=str(answer_to),
        assistant_message_id=str(uuid.uuid4()),
        kind=turn.kind,
        model=plan.model,
        status="running",
    )
    return Draft(generation, user_id, parent, answer_to), plan


def _draft_user_row(user_id: uuid.UUID, owner: Owner, turn: NewTurn, parent: uuid.UUID | None) -> MessageRow:
    now = datetime.now(UTC)
    return MessageRow(
        id=user_id,
        seq=0,
        conversation_id=turn.conversation_id,
        tenant_id=owner.tenant_id,
        parent_id=parent,
        role="user",
        parts=turn.user_parts or [],
        attachments=turn.attachments,
        status="complete",
        generation_id="",
        model="",
        finish_reason="",
        usage={},
        tool_calls=[],
        citations=[],
        token_count=turn.user_tokens,
        pinned=False,
        request_id=turn.request_id or None,
        created_at=now,
        updated_at=now,
    )


async def write_turn(session: AsyncSession, owner: Owner, turn: NewTurn, draft: Draft) -> None:
    """Store the drafted messages and generation row (the caller's transaction)."""
    row = draft.generation
    common: dict[str, Any] = {
        "tenant_id": owner.tenant_id,
        "owner_id": owner.user_id,
        "conversation_id": turn.conversation_id,
    }
    if draft.user_message_id is not None:
        stored = await insert_message(
            session,
            **common,
            parent_id=draft.user_parent_id,
            message=NewMessage(
                role="user",
                parts=turn.user_parts or [],
                attachments=turn.attachments,
                token_count=turn.user_tokens,
                request_id=turn.request_id or None,
                id=draft.user_message_id,
            ),
        )
        if stored.id != draft.user_message_id:
            raise DuplicateTurn(turn.request_id)
    await insert_message(
        session,
        **common,
        parent_id=draft.answer_to,
        message=NewMessage(
            role="assistant",
            parts=[],
            status="streaming",
            generation_id=row.id,
            model=row.model,
            id=uuid.UUID(row.assistant_message_id),
        ),
    )
    await generation_store.insert_generation(session, row, turn.request_id)


def started_event(draft: Draft) -> messages_pb2.GenerationEvent:
    """The first event: every id a client needs to follow or resume the turn."""
    row = draft.generation
    return messages_pb2.GenerationEvent(
        event_id=event_id(row.id, 1),
        generation_id=row.id,
        started=messages_pb2.GenerationStarted(
            conversation_id=row.conversation_id,
            user_message_id=str(draft.user_message_id or ""),
            assistant_message_id=row.assistant_message_id,
            parent_message_id=str(draft.answer_to),
            model=row.model,
        ),
    )
