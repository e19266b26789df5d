"""Full-text search over one user's conversation titles and messages (GIN-indexed tsvectors).

The query arrives as a ``tsquery`` literal built by mesh.search_text; the
caller's tenant and owner filter both halves, so nobody else's text is ever ranked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.store.messages import messages_by_ids
from conversation.store.rows import CONVERSATION_FIELDS, ConversationRow
from conversation.store.tables import conversations

__all__ = ["SearchRow", "hit_details", "search"]

_SEARCH = """
WITH q AS (SELECT CAST(:query AS tsquery) AS query)
SELECT conversation_id, message_id, rank FROM (
    SELECT c.id AS conversation_id, NULL::uuid AS message_id,
           ts_rank(c.search_vector, q.query) * 2 AS rank, c.updated_at AS at
    FROM conversation.conversations c, q
    WHERE c.tenant_id = :tenant AND c.owner_id = :owner AND c.deleted_at IS NULL {archived}
      AND c.search_vector @@ q.query
    UNION ALL
    SELECT m.conversation_id, m.id, ts_rank(m.search_vector, q.query), m.created_at
    FROM conversation.messages m JOIN conversation.conversations c ON c.id = m.conversation_id, q
    WHERE m.tenant_id = :tenant AND c.tenant_id = :tenant AND c.owner_id = :owner
      AND c.deleted_at IS NULL {archived}
      AND m.search_vector @@ q.query
) hit
ORDER BY rank DESC, at DESC, conversation_id, message_id NULLS FIRST
OFFSET :offset LIMIT :limit
"""


@dataclass(frozen=True)
class SearchRow:
    conversation_id: uuid.UUID
    message_id: uuid.UUID | None
    rank: float


async def search(
    session: AsyncSession,
    *,
    tenant_id: str,
    owner_id: str,
    tsquery: str,
    include_archived: bool,
    offset: int,
    limit: int,
) -> list[SearchRow]:
    """Best matches first: title hits weigh double, then newer before older."""
    archived = "" if include_archived else "AND c.archived_at IS NULL"
    rows = await session.execute(
        text(_SEARCH.format(archived=archived)),
        {"query": tsquery, "tenant": tenant_id, "owner": owner_id, "offset": offset, "limit": limit},
    )
    return [SearchRow(r[0], r[1], float(r[2])) for r in rows]


async def hit_details(
    session: AsyncSession, hits: list[SearchRow]
) -> tuple[dict[uuid.UUID, ConversationRow], dict[uuid.UUID, str]]:
    """The conversations of ``hits`` and the text of their matched messages."""
    wanted = {h.conversation_id for h in hits}
    found = await session.execute(
        select(*(conversations.c[n] for n in CONVERSATION_FIELDS)).where(conversations.c.id.in_(wanted))
    )
    by_conversation = {row.id: ConversationRow.of(row) for row in found}
    texts: dict[uuid.UUID, str] = {}
    for conversation_id in wanted:
        ids = [
            h.message_id for h in hits if h.conversation_id == conversation_id and h.message_id is not None
        ]
        for message in await messages_by_ids(session, conversation_id, ids):
            texts[message.id] = message.text
    return by_conversation, texts
