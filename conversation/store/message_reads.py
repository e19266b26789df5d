"""Reads behind ListMessages: a slice of the stored active path, the tree's shape, pages of rows.

The default view costs two indexed queries whatever the conversation's size: one slices
``conversations.active_path`` (also checking ownership), one fetches the page's rows
with their child ids.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Integer, Text, cast, column, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.store.access import conversation_not_found
from conversation.store.rows import MESSAGE_FIELDS, MessageRow
from conversation.store.tables import messages

__all__ = ["active_page", "page_rows", "tree_nodes"]

_UUIDS = ARRAY(UUID(as_uuid=True))
_MESSAGE_COLUMNS = ", ".join(f"m.{name}" for name in MESSAGE_FIELDS)
# One round trip for the default view: the owned conversation row (always one row when
# it is the caller's, so an empty page and NOT_FOUND stay apart), the page's messages in
# path order, and each message's children.
_ACTIVE_PAGE = text(
    f"""
    SELECT cardinality(c.active_path) AS total, p.ord, {_MESSAGE_COLUMNS},
           (SELECT array_agg(k.id::text ORDER BY k.seq)
            FROM conversation.messages k WHERE k.parent_id = m.id) AS kids
    FROM conversation.conversations c
    LEFT JOIN LATERAL unnest(c.active_path[CAST(:lower AS integer) : CAST(:upper AS integer)])
        WITH ORDINALITY AS p(id, ord) ON true
    LEFT JOIN conversation.messages m ON m.id = p.id AND m.conversation_id = c.id
    WHERE c.id = :conversation AND c.tenant_id = :tenant AND c.owner_id = :owner AND c.deleted_at IS NULL
    ORDER BY p.ord
    """
).columns(
    column("total", Integer),
    column("ord", Integer),
    *(messages.c[name] for name in MESSAGE_FIELDS),
    column("kids", ARRAY(Text)),
)


async def active_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    owner_id: str,
    conversation_id: uuid.UUID,
    offset: int,
    limit: int,
) -> tuple[list[MessageRow], int]:
    """Messages ``offset .. offset+limit-1`` of the active path with child ids, and the path's length."""
    result = await session.execute(
        _ACTIVE_PAGE,
        {
            "conversation": conversation_id,
            "tenant": tenant_id,
            "owner": owner_id,
            "lower": offset + 1,
            "upper": offset + limit,
        },
    )
    rows = result.all()
    if not rows:
        raise conversation_not_found()
    page = [MessageRow.of(r, tuple(r.kids or ())) for r in rows if r.id is not None]
    return page, int(rows[0].total or 0)


async def tree_nodes(
    session: AsyncSession, conversation_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """(id, parent id) of every message, in creation order."""
    rows = await session.execute(
        select(messages.c.id, messages.c.parent_id)
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.seq)
    )
    return [(r[0], r[1]) for r in rows]


async def page_rows(
    session: AsyncSession, conversation_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[MessageRow]:
    """Rows of ``ids`` in the given order, each with its child ids (one query)."""
    if not ids:
        return []
    child = messages.alias("child")
    kids = (
        select(func.array_agg(aggregate_order_by(cast(child.c.id, Text), child.c.seq)))
        .where(child.c.parent_id == messages.c.id)
        .correlate(messages)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(*(messages.c[name] for name in MESSAGE_FIELDS), kids.label("kids")).where(
            messages.c.id == func.any(cast(ids, _UUIDS)), messages.c.conversation_id == conversation_id
        )
    )
    by_id = {row.id: row for row in rows}
    return [MessageRow.of(by_id[i], tuple(by_id[i].kids or ())) for i in ids if i in by_id]
