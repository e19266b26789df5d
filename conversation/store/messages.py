"""The message tree: inserting under a parent, updating, reading paths and children.

Functions conv-stream uses (all run in the caller's transaction, ``session.begin()``):

    insert_message(session, *, tenant_id: str, owner_id: str, conversation_id: uuid.UUID,
                   parent_id: uuid.UUID | None, message: NewMessage, activate: bool = True) -> MessageRow
        Locks the conversation row, checks it is the caller's and not deleted (NOT_FOUND), checks the
        parent belongs to it (NOT_FOUND "parent message"), inserts, makes the new message the active
        leaf when ``activate`` (active path updated), bumps message_count/updated_at and queues
        MessageCreated in the outbox. With ``message.request_id`` set, a repeat returns the first row.
    update_message(session, *, tenant_id: str, conversation_id: uuid.UUID, message_id: uuid.UUID,
                   changes: MessageChanges) -> MessageRow
        Writes the non-None fields of ``changes`` (parts, status, usage, ...); NOT_FOUND otherwise.
    get_message(session, *, tenant_id, conversation_id, message_id, with_children=False) -> MessageRow
    path_to(session, *, tenant_id: str, conversation_id: uuid.UUID,
            leaf_id: uuid.UUID | None = None) -> list[MessageRow]
        Root-to-leaf messages, oldest first; ``None`` means the conversation's active leaf.
    find_by_request_id(session, *, conversation_id, request_id) -> MessageRow | None
    messages_by_ids(session, conversation_id, ids, *, with_children=False) -> list[MessageRow]
    ancestor_ids(session, conversation_id, leaf) -> list[uuid.UUID]   (root first; [] if unknown)
    set_active_leaf(session, conversation_id, through) -> uuid.UUID   (SwitchBranch; returns the new leaf)

The conversation row keeps the active path as an id array (``active_path``): a new leaf under
the current leaf appends to it, one under another message of the path cuts it there, anything
else (and SwitchBranch) recomputes it by walking parents once.

Row values are JSON-ready: ``parts``/``attachments``/``citations``/``tool_calls`` are lists of
dicts and ``usage`` a dict in protobuf JSON form with proto field names
(``json_format.MessageToDict(m, preserving_proto_field_name=True)``); ``status`` is one of
"complete" | "streaming" | "incomplete" | "failed"; ``role`` one of "user" | "assistant" |
"system" | "tool"; ``finish_reason`` "" or "stop" | "length" | "tool_calls" | "content_filter" |
"cancelled" | "error". conversation.api.convert turns rows into protos and back.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from chatmesh.events.v1 import conversation_events_pb2 as events_pb2
from sqlalchemy import ARRAY, Text, cast, func, select, text, update
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.store.access import owned_conversation
from conversation.store.rows import MESSAGE_FIELDS, MessageRow, message_text
from conversation.store.tables import conversations, messages, outbox
from mesh import events
from mesh.errors import NotFound
from mesh.search_text import document_lexemes

__all__ = [
    "MessageChanges",
    "NewMessage",
    "ancestor_ids",
    "children_of",
    "find_by_request_id",
    "get_message",
    "insert_message",
    "messages_by_ids",
    "path_to",
    "search_vector",
    "set_active_leaf",
    "update_message",
]

SOURCE = "conversation"
AUTHORS = {
    "user": events_pb2.MESSAGE_AUTHOR_USER,
    "assistant": events_pb2.MESSAGE_AUTHOR_ASSISTANT,
    "system": events_pb2.MESSAGE_AUTHOR_SYSTEM,
    "tool": events_pb2.MESSAGE_AUTHOR_TOOL,
}
_COLUMNS = tuple(messages.c[name] for name in MESSAGE_FIELDS)

_ANCESTORS = text(
    """
    WITH RECURSIVE up(id, parent_id, depth) AS (
        SELECT id, parent_id, 0 FROM conversation.messages
        WHERE id = :leaf AND conversation_id = :conversation
        UNION ALL
        SELECT m.id, m.parent_id, up.depth + 1 FROM conversation.messages m JOIN up ON m.id = up.parent_id
    )
    SELECT coalesce(array_agg(id ORDER BY depth DESC), '{}'::uuid[]) FROM up
    """
)
_NEWEST_LEAF = text(
    """
    WITH RECURSIVE down(id) AS (
        SELECT CAST(:start AS uuid)
        UNION ALL
        SELECT (SELECT c.id FROM conversation.messages c
                WHERE c.parent_id = down.id ORDER BY c.seq DESC LIMIT 1)
        FROM down WHERE down.id IS NOT NULL
    )
    SELECT array_agg(id) FILTER (WHERE id IS NOT NULL) FROM down
    """
)


@dataclass(frozen=True)
class NewMessage:
    role: str
    parts: list[dict[str, Any]]
    status: str = "complete"
    attachments: list[dict[str, Any]] = field(default_factory=list)
    generation_id: str = ""
    model: str = ""
    finish_reason: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    token_count: int = 0
    pinned: bool = False
    request_id: str | None = None
    id: uuid.UUID | None = None  # preassigned id (e.g. the reserved assistant message)


@dataclass(frozen=True)
class MessageChanges:
    """Fields to overwrite; None leaves a field as it is."""

    parts: list[dict[str, Any]] | None = None
    status: str | None = None
    generation_id: str | None = None
    model: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    citations: list[dict[str, Any]] | None = None
    token_count: int | None = None
    pinned: bool | None = None


def search_vector(parts: list[dict[str, Any]]) -> Any:
    """The tsvector expression for a message's text (see mesh.search_text)."""
    return func.array_to_tsvector(cast(document_lexemes(message_text(parts)), ARRAY(Text)))


async def find_by_request_id(
    session: AsyncSession, *, conversation_id: uuid.UUID, request_id: str
) -> MessageRow | None:
    row = (
        await session.execute(
            select(*_COLUMNS).where(
                messages.c.conversation_id == conversation_id, messages.c.request_id == request_id
            )
        )
    ).first()
    return MessageRow.of(row) if row else None


async def insert_message(
    session: AsyncSession,
    *,
    tenant_id: str,
    owner_id: str,
    conversation_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    message: NewMessage,
    activate: bool = True,
) -> MessageRow:
    conversation = await owned_conversation(
        session, tenant_id=tenant_id, owner_id=owner_id, conversation_id=conversation_id, for_update=True
    )
    if message.request_id:
        existing = await find_by_request_id(
            session, conversation_id=conversation_id, request_id=message.request_id
        )
        if existing is not None:
            return existing
    if parent_id is not None:
        await _require_message(session, conversation_id, parent_id, "parent message")
    values = asdict(message)
    if values["id"] is None:
        values.pop("id")
    values.update(
        conversation_id=conversation_id,
        tenant_id=tenant_id,
        parent_id=parent_id,
        search_vector=search_vector(message.parts),
    )
    row = (await session.execute(insert(messages).values(values).returning(*_COLUMNS))).one()
    inserted = MessageRow.of(row)
    await session.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(message_count=conversations.c.message_count + 1, updated_at=func.now())
    )
    if activate:
        await _activate_new_leaf(session, conversation_id, conversation.active_leaf_id, inserted)
    await events.add(
        session,
        outbox,
        source=SOURCE,
        event=events_pb2.MessageCreated(
            conversation_id=str(conversation_id),
            message_id=str(inserted.id),
            parent_id=str(parent_id or ""),
            author=AUTHORS.get(inserted.role, events_pb2.MESSAGE_AUTHOR_UNSPECIFIED),
            owner_id=owner_id,
            token_count=inserted.token_count,
        ),
        tenant_id=tenant_id,
        subject=str(conversation_id),
        actor_id=owner_id,
    )
    return inserted


async def _activate_new_leaf(
    session: AsyncSession, conversation_id: uuid.UUID, current_leaf: uuid.UUID | None, new: MessageRow
) -> None:
    """Extend or cut the stored active path without walking the tree when the parent is on it."""
    where = conversations.c.id == conversation_id
    new_id = cast([new.id], ARRAY(UUID(as_uuid=True)))
    if new.parent_id is None:
        path: Any = new_id
    elif new.parent_id == current_leaf:
        path = conversations.c.active_path.concat(new_id)
    else:
        position = (
            await session.execute(
                select(func.array_position(conversations.c.active_path, new.parent_id)).where(where)
            )
        ).scalar_one()
        if position is not None:
            path = conversations.c.active_path[1:position].concat(new_id)
        else:
            ancestors = await ancestor_ids(session, conversation_id, new.parent_id)
            path = cast([*ancestors, new.id], ARRAY(UUID(as_uuid=True)))
    await session.execute(update(conversations).where(where).values(active_path=path, active_leaf_id=new.id))


async def ancestor_ids(session: AsyncSession, conversation_id: uuid.UUID, leaf: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(_ANCESTORS, {"leaf": leaf, "conversation": conversation_id})
    return list(result.scalar_one())


async def set_active_leaf(session: AsyncSession, conversation_id: uuid.UUID, through: uuid.UUID) -> uuid.UUID:
    """Makes the branch through ``through`` active (down to its newest descendant leaf); returns the leaf."""
    ancestors = await ancestor_ids(session, conversation_id, through)
    if not ancestors:
        raise NotFound("message not found", reason="MESSAGE_NOT_FOUND")
    descent = list((await session.execute(_NEWEST_LEAF, {"start": through})).scalar_one())
    path = [*ancestors, *descent[1:]]
    await session.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(
            active_path=cast(path, ARRAY(UUID(as_uuid=True))), active_leaf_id=path[-1], updated_at=func.now()
        )
    )
    return path[-1]


async def _require_message(
    session: AsyncSession, conversation_id: uuid.UUID, message_id: uuid.UUID, what: str
) -> None:
    found = (
        await session.execute(
            select(messages.c.id).where(
                messages.c.id == message_id, messages.c.conversation_id == conversation_id
            )
        )
    ).first()
    if found is None:
        raise NotFound(f"{what} not found", reason="MESSAGE_NOT_FOUND")


async def update_message(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    changes: MessageChanges,
) -> MessageRow:
    values: dict[str, Any] = {k: v for k, v in asdict(changes).items() if v is not None}
    if changes.parts is not None:
        values["search_vector"] = search_vector(changes.parts)
    values["updated_at"] = func.now()
    row = (
        await session.execute(
            update(messages)
            .where(
                messages.c.id == message_id,
                messages.c.conversation_id == conversation_id,
                messages.c.tenant_id == tenant_id,
            )
            .values(values)
            .returning(*_COLUMNS)
        )
    ).first()
    if row is None:
        raise NotFound("message not found", reason="MESSAGE_NOT_FOUND")
    return MessageRow.of(row)


async def children_of(session: AsyncSession, parent_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    """Child ids of each parent, in creation order (one indexed query for a page)."""
    if not parent_ids:
        return {}
    rows = await session.execute(
        select(messages.c.parent_id, messages.c.id)
        .where(messages.c.parent_id == func.any(cast(parent_ids, ARRAY(UUID(as_uuid=True)))))
        .order_by(messages.c.parent_id, messages.c.seq)
    )
    children: dict[uuid.UUID, list[str]] = {}
    for parent, child in rows:
        children.setdefault(parent, []).append(str(child))
    return {parent: tuple(ids) for parent, ids in children.items()}


async def get_message(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    with_children: bool = False,
) -> MessageRow:
    row = (
        await session.execute(
            select(*_COLUMNS).where(
                messages.c.id == message_id,
                messages.c.conversation_id == conversation_id,
                messages.c.tenant_id == tenant_id,
            )
        )
    ).first()
    if row is None:
        raise NotFound("message not found", reason="MESSAGE_NOT_FOUND")
    kids = (await children_of(session, [message_id])).get(message_id, ()) if with_children else ()
    return MessageRow.of(row, kids)


async def messages_by_ids(
    session: AsyncSession, conversation_id: uuid.UUID, ids: list[uuid.UUID], *, with_children: bool = False
) -> list[MessageRow]:
    """The messages of ``ids`` in the order given (ids of other conversations are skipped)."""
    if not ids:
        return []
    rows = await session.execute(
        select(*_COLUMNS).where(
            messages.c.id == func.any(cast(ids, ARRAY(UUID(as_uuid=True)))),
            messages.c.conversation_id == conversation_id,
        )
    )
    by_id = {row.id: row for row in rows}
    kids = await children_of(session, list(by_id)) if with_children else {}
    return [MessageRow.of(by_id[i], kids.get(i, ())) for i in ids if i in by_id]


async def path_to(
    session: AsyncSession, *, tenant_id: str, conversation_id: uuid.UUID, leaf_id: uuid.UUID | None = None
) -> list[MessageRow]:
    if leaf_id is None:
        ids = (
            await session.execute(
                select(conversations.c.active_path).where(
                    conversations.c.id == conversation_id, conversations.c.tenant_id == tenant_id
                )
            )
        ).scalar_one_or_none()
        if ids is None:
            raise NotFound("conversation not found", reason="CONVERSATION_NOT_FOUND")
    else:
        ids = await ancestor_ids(session, conversation_id, leaf_id)
        if not ids:
            raise NotFound("message not found", reason="MESSAGE_NOT_FOUND")
    return await messages_by_ids(session, conversation_id, list(ids))
