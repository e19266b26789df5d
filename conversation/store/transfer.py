"""Whole-tree reads and writes for export and import."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chatmesh.events.v1 import conversation_events_pb2 as events_pb2
from sqlalchemy import Text, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.store.conversations import create_conversation
from conversation.store.messages import AUTHORS, SOURCE
from conversation.store.rows import MESSAGE_FIELDS, ConversationRow, MessageRow, message_text
from conversation.store.tables import conversations, messages, outbox
from mesh import events
from mesh.search_text import document_lexemes

__all__ = ["active_path_ids", "all_messages", "insert_tree"]

# Every imported row carries every column (one executemany needs uniform rows).
_DEFAULTS: dict[str, Any] = {
    "parts": [],
    "attachments": [],
    "status": "complete",
    "model": "",
    "finish_reason": "",
    "usage": {},
    "tool_calls": [],
    "citations": [],
    "token_count": 0,
    "pinned": False,
    "generation_id": "",
}


async def all_messages(session: AsyncSession, conversation_id: uuid.UUID) -> list[MessageRow]:
    """Every message of the conversation in creation order."""
    rows = await session.execute(
        select(*(messages.c[name] for name in MESSAGE_FIELDS))
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.seq)
    )
    return [MessageRow.of(r) for r in rows]


async def active_path_ids(session: AsyncSession, conversation_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        select(conversations.c.active_path).where(conversations.c.id == conversation_id)
    )
    return list(result.scalar_one() or [])


def _active_path(nodes: list[tuple[uuid.UUID, uuid.UUID | None]], leaf: uuid.UUID | None) -> list[uuid.UUID]:
    parents = dict(nodes)
    if leaf is None or leaf not in parents:
        has_children = {p for _, p in nodes if p is not None}
        leaves = [n for n, _ in nodes if n not in has_children]
        leaf = leaves[-1] if leaves else None
    path: list[uuid.UUID] = []
    while leaf is not None:
        path.append(leaf)
        leaf = parents[leaf]
    return path[::-1]


async def insert_tree(
    session: AsyncSession,
    *,
    tenant_id: str,
    owner_id: str,
    conversation: dict[str, Any],
    tree: list[tuple[uuid.UUID, uuid.UUID | None, dict[str, Any]]],
    active_leaf: uuid.UUID | None,
) -> ConversationRow:
    """A new conversation holding ``tree`` (parents before children) in the caller's transaction."""
    created = await create_conversation(
        session, tenant_id=tenant_id, owner_id=owner_id, values=conversation, request_id=None
    )
    if tree:
        defaults = {**_DEFAULTS, "created_at": datetime.now(UTC)}
        rows = [
            {
                **defaults,
                **values,
                "id": node,
                "parent_id": parent,
                "conversation_id": created.id,
                "tenant_id": tenant_id,
            }
            for node, parent, values in tree
        ]
        columns = list(rows[0])
        statement = insert(messages).values(
            {name: bindparam(name, type_=messages.c[name].type) for name in columns}
            | {"search_vector": func.array_to_tsvector(bindparam("lexemes", type_=ARRAY(Text)))}
        )
        for row in rows:
            row["lexemes"] = document_lexemes(message_text(row["parts"]))
        await session.execute(statement, rows)
        path = _active_path([(node, parent) for node, parent, _ in tree], active_leaf)
        await session.execute(
            update(conversations)
            .where(conversations.c.id == created.id)
            .values(
                active_path=bindparam("path", path, type_=ARRAY(UUID(as_uuid=True))),
                active_leaf_id=path[-1] if path else None,
                message_count=len(tree),
            )
        )
        for node, parent, values in tree:
            await events.add(
                session,
                outbox,
                source=SOURCE,
                event=events_pb2.MessageCreated(
                    conversation_id=str(created.id),
                    message_id=str(node),
                    parent_id=str(parent or ""),
                    author=AUTHORS.get(values["role"], events_pb2.MESSAGE_AUTHOR_UNSPECIFIED),
                    owner_id=owner_id,
                    token_count=int(values.get("token_count", 0)),
                ),
                tenant_id=tenant_id,
                subject=str(created.id),
                actor_id=owner_id,
            )
    refreshed = (await session.execute(select(conversations).where(conversations.c.id == created.id))).one()
    return ConversationRow.of(refreshed)
