"""SQL of documents: rows, lists, and the document filter Search applies before ranking."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.store.tables import documents

__all__ = [
    "all_documents",
    "count_documents",
    "delete_document",
    "filtered_document_ids",
    "find_by_sha",
    "get_document",
    "get_document_by_id",
    "insert_document",
    "list_documents",
    "update_document",
]

doc = documents


async def insert_document(session: AsyncSession, values: dict[str, Any]) -> RowMapping:
    return (await session.execute(insert(doc).values(**values).returning(*doc.c))).mappings().one()


async def get_document(
    session: AsyncSession, kb_id: uuid.UUID, doc_id: uuid.UUID, *, for_update: bool = False
) -> RowMapping | None:
    query = select(*doc.c).where(doc.c.id == doc_id, doc.c.knowledge_base_id == kb_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def get_document_by_id(
    session: AsyncSession, doc_id: uuid.UUID, *, for_update: bool = False
) -> RowMapping | None:
    query = select(*doc.c).where(doc.c.id == doc_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def find_by_sha(session: AsyncSession, kb_id: uuid.UUID, sha256: str) -> RowMapping | None:
    query = select(*doc.c).where(doc.c.knowledge_base_id == kb_id, doc.c.sha256 == sha256)
    return (await session.execute(query)).mappings().first()


async def count_documents(session: AsyncSession, kb_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(doc.c.knowledge_base_id == kb_id)) or 0)


async def list_documents(
    session: AsyncSession, kb_id: uuid.UUID, *, status: str | None, offset: int, limit: int
) -> list[RowMapping]:
    query = select(*doc.c).where(doc.c.knowledge_base_id == kb_id)
    if status:
        query = query.where(doc.c.status == status)
    query = query.order_by(doc.c.created_at.desc(), doc.c.id).offset(offset).limit(limit)
    return list((await session.execute(query)).mappings())


async def all_documents(session: AsyncSession, kb_id: uuid.UUID) -> list[RowMapping]:
    return list((await session.execute(select(*doc.c).where(doc.c.knowledge_base_id == kb_id))).mappings())


async def update_document(session: AsyncSession, doc_id: uuid.UUID, values: dict[str, Any]) -> RowMapping:
    statement = (
        update(doc).where(doc.c.id == doc_id).values(**values, updated_at=func.now()).returning(*doc.c)
    )
    return (await session.execute(statement)).mappings().one()


async def delete_document(session: AsyncSession, doc_id: uuid.UUID) -> None:
    await session.execute(delete(doc).where(doc.c.id == doc_id))


async def filtered_document_ids(
    session: AsyncSession,
    kb_ids: list[uuid.UUID],
    *,
    document_ids: list[uuid.UUID],
    tags: list[str],
    metadata: dict[str, str],
    created_after: datetime | None,
    created_before: datetime | None,
) -> list[uuid.UUID]:
    """Ids of the searchable documents of ``kb_ids`` passing every filter given."""
    query = select(doc.c.id).where(doc.c.knowledge_base_id.in_(kb_ids), doc.c.generation > 0)
    if document_ids:
        query = query.where(doc.c.id.in_(document_ids))
    if tags:
        query = query.where(doc.c.tags.contains(tags))
    if metadata:
        query = query.where(doc.c.metadata.contains(metadata))
    if created_after is not None:
        query = query.where(doc.c.created_at >= created_after)
    if created_before is not None:
        query = query.where(doc.c.created_at < created_before)
    return list((await session.execute(query)).scalars())
