"""Conversation rows: create (idempotent by request id), list with keyset pages, change, trash, purge.

Writes run in the caller's transaction and queue their events in the outbox there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatmesh.events.v1 import conversation_events_pb2 as events_pb2
from sqlalchemy import ARRAY, Text, and_, cast, delete, false, func, or_, select, text, true, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.store.access import conversation_not_found, owned_conversation
from conversation.store.rows import CONVERSATION_FIELDS, ConversationRow
from conversation.store.tables import conversations, outbox, share_links
from mesh import events
from mesh.search_text import document_lexemes

__all__ = [
    "ConversationFilter",
    "change_conversation",
    "create_conversation",
    "list_conversations",
    "purge_deleted",
    "restore_conversation",
    "title_vector",
    "trash_conversation",
]

SOURCE = "conversation"
_COLUMNS = tuple(conversations.c[name] for name in CONVERSATION_FIELDS)
_ORDERS = {"update_time desc": "updated_at", "create_time desc": "created_at", "title": "title"}


def title_vector(title: str) -> Any:
    return func.array_to_tsvector(cast(document_lexemes(title), ARRAY(Text)))


async def create_conversation(
    session: AsyncSession,
    *,
    tenant_id: str,
    owner_id: str,
    values: dict[str, Any],
    request_id: str | None,
) -> ConversationRow:
    """Inserts and queues ConversationCreated; a repeated request id returns the first row."""
    row_values = {
        **values,
        "tenant_id": tenant_id,
        "owner_id": owner_id,
        "request_id": request_id or None,
        "search_vector": title_vector(values.get("title", "")),
    }
    statement = insert(conversations).values(row_values)
    if request_id:
        statement = statement.on_conflict_do_nothing(
            index_elements=["tenant_id", "owner_id", "request_id"], index_where=text("request_id IS NOT NULL")
        )
    row = (await session.execute(statement.returning(*_COLUMNS))).first()
    if row is None:
        existing = (
            await session.execute(
                select(*_COLUMNS).where(
                    conversations.c.tenant_id == tenant_id,
                    conversations.c.owner_id == owner_id,
                    conversations.c.request_id == request_id,
                )
            )
        ).one()
        return ConversationRow.of(existing)
    created = ConversationRow.of(row)
    await events.add(
        session,
        outbox,
        source=SOURCE,
        event=events_pb2.ConversationCreated(
            conversation_id=str(created.id),
            owner_id=owner_id,
            title=created.title,
            model=str(created.settings.get("model", "")),
        ),
        tenant_id=tenant_id,
        subject=str(created.id),
        actor_id=owner_id,
    )
    return created


@dataclass(frozen=True)
class ConversationFilter:
    tenant_id: str
    owner_id: str
    archived: bool = False
    deleted: bool = False
    tag: str = ""
    folder: str | None = None
    updated_since: datetime | None = None
    order: str = "update_time desc"


def _after(order_column: Any, descending: bool, cursor: dict[str, Any]) -> Any:
    """Rows after the cursor in (pinned desc, order column, id) order."""
    pinned = bool(cursor["p"])
    key: Any = cursor["k"]
    if order_column.key in ("updated_at", "created_at"):
        key = datetime.fromisoformat(key)
    ident = uuid.UUID(cursor["i"])
    later = tuple_(order_column, conversations.c.id)
    rest = later < tuple_(key, ident) if descending else later > tuple_(key, ident)
    pinned_after = conversations.c.pinned.is_(false()) if pinned else false()
    return or_(pinned_after, and_(conversations.c.pinned.is_(true() if pinned else false()), rest))


async def list_conversations(
    session: AsyncSession, flt: ConversationFilter, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[ConversationRow], dict[str, Any] | None]:
    """A page and the cursor of the next one (None at the end)."""
    column_name = _ORDERS[flt.order]
    column = conversations.c[column_name]
    descending = column_name != "title"
    c = conversations.c
    conditions = [c.tenant_id == flt.tenant_id, c.owner_id == flt.owner_id]
    if flt.deleted:
        conditions.append(c.deleted_at.is_not(None))
    else:
        conditions.append(c.deleted_at.is_(None))
        conditions.append(c.archived_at.is_not(None) if flt.archived else c.archived_at.is_(None))
    if flt.tag:
        conditions.append(c.tags.contains(cast([flt.tag.strip().lower()], ARRAY(Text))))
    if flt.folder is not None:
        conditions.append(c.folder == flt.folder)
    if flt.updated_since is not None:
        conditions.append(c.updated_at >= flt.updated_since)
    if cursor is not None:
        conditions.append(_after(column, descending, cursor))
    order = (column.desc(), c.id.desc()) if descending else (column.asc(), c.id.asc())
    rows = (
        await session.execute(
            select(*_COLUMNS).where(*conditions).order_by(c.pinned.desc(), *order).limit(limit + 1)
        )
    ).all()
    page = [ConversationRow.of(r) for r in rows[:limit]]
    if len(rows) <= limit:
        return page, None
    last = page[-1]
    key = getattr(last, column_name)
    return page, {
        "p": last.pinned,
        "k": key.isoformat() if isinstance(key, datetime) else key,
        "i": str(last.id),
    }


async def change_conversation(
    session: AsyncSession,
    *,
    tenant_id: str,
    owner_id: str,
    conversation_id: uuid.UUID,
    values: dict[str, Any],
) -> ConversationRow:
    """Writes ``values`` on a live conversation (``title`` also refreshes the search vector)."""
    if "title" in values:
        values = {**values, "search_vector": title_vector(values["title"])}
    row = (
        await session.execute(
            update(conversations)
            .where(
                conversations.c.id == conversation_id,
                conversations.c.tenant_id == tenant_id,
                conversations.c.owner_id == owner_id,
                conversations.c.deleted_at.is_(None),
            )
            .values(**values, updated_at=func.now())
            .returning(*_COLUMNS)
        )
    ).first()
    if row is None:
        raise conversation_not_found()
    return ConversationRow.of(row)


async def trash_conversation(
    session: AsyncSession, *, tenant_id: str, owner_id: str, conversation_id: uuid.UUID
) -> None:
    """Soft delete (idempotent): revokes its share links and queues ConversationDeleted once."""
    row = (
        await session.execute(
            update(conversations)
            .where(
                conversations.c.id == conversation_id,
                conversations.c.tenant_id == tenant_id,
                conversations.c.owner_id == owner_id,
                conversations.c.deleted_at.is_(None),
            )
            .values(deleted_at=func.now(), updated_at=func.now())
            .returning(conversations.c.id)
        )
    ).first()
    if row is None:
        await owned_conversation(
            session, tenant_id=tenant_id, owner_id=owner_id, conversation_id=conversation_id, deleted=True
        )
        return
    await session.execute(
        update(share_links)
        .where(share_links.c.conversation_id == conversation_id, share_links.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    await events.add(
        session,
        outbox,
        source=SOURCE,
        event=events_pb2.ConversationDeleted(conversation_id=str(conversation_id), owner_id=owner_id),
        tenant_id=tenant_id,
        subject=str(conversation_id),
        actor_id=owner_id,
    )


async def restore_conversation(
    session: AsyncSession, *, tenant_id: str, owner_id: str, conversation_id: uuid.UUID
) -> ConversationRow:
    """Out of the trash (idempotent: a live conversation is returned as it is)."""
    row = (
        await session.execute(
            update(conversations)
            .where(
                conversations.c.id == conversation_id,
                conversations.c.tenant_id == tenant_id,
                conversations.c.owner_id == owner_id,
                conversations.c.deleted_at.is_not(None),
            )
            .values(deleted_at=None, updated_at=func.now())
            .returning(*_COLUMNS)
        )
    ).first()
    if row is not None:
        return ConversationRow.of(row)
    return await owned_conversation(
        session, tenant_id=tenant_id, owner_id=owner_id, conversation_id=conversation_id
    )


async def purge_deleted(session: AsyncSession, *, older_than: datetime, limit: int) -> int:
    """Removes up to ``limit`` conversations trashed before ``older_than`` for good; returns how many."""
    doomed = (
        select(conversations.c.id)
        .where(conversations.c.deleted_at.is_not(None), conversations.c.deleted_at < older_than)
        .order_by(conversations.c.deleted_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            delete(conversations)
            .where(conversations.c.id.in_(doomed))
            .returning(conversations.c.id, conversations.c.tenant_id, conversations.c.owner_id)
        )
    ).all()
    for conversation_id, tenant_id, owner_id in rows:
        await events.add(
            session,
            outbox,
            source=SOURCE,
            event=events_pb2.ConversationDeleted(
                conversation_id=str(conversation_id), owner_id=owner_id, permanent=True
            ),
            tenant_id=tenant_id,
            subject=str(conversation_id),
        )
    return len(rows)
