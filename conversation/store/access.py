"""Finding a conversation the caller may touch: same tenant, same owner, not in the trash.

Every RPC goes through here first, so another user's (or tenant's) conversation and a
missing one look the same to the caller: NOT_FOUND.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.store.rows import CONVERSATION_FIELDS, ConversationRow
from conversation.store.tables import conversations
from mesh.errors import NotFound

__all__ = ["conversation_not_found", "owned_conversation"]


def conversation_not_found() -> NotFound:
    return NotFound("conversation not found", reason="CONVERSATION_NOT_FOUND")


async def owned_conversation(
    session: AsyncSession,
    *,
    tenant_id: str,
    owner_id: str,
    conversation_id: uuid.UUID,
    for_update: bool = False,
    deleted: bool = False,
) -> ConversationRow:
    """The conversation, or NOT_FOUND. ``deleted=True`` finds it only while in the trash."""
    query = select(*(conversations.c[name] for name in CONVERSATION_FIELDS)).where(
        conversations.c.id == conversation_id,
        conversations.c.tenant_id == tenant_id,
        conversations.c.owner_id == owner_id,
        conversations.c.deleted_at.is_not(None) if deleted else conversations.c.deleted_at.is_(None),
    )
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        raise conversation_not_found()
    return ConversationRow.of(row)
