"""SQL of knowledge bases: rows, listing what a reader may see, stats, the tenant's usage."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import RowMapping, any_, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.domain.access import Reader
from knowledge.store.tables import documents, knowledge_bases

__all__ = [
    "add_stats",
    "delete_kb",
    "get_kb",
    "get_kbs",
    "insert_kb",
    "list_readable",
    "lock_tenant",
    "tenant_bytes",
    "update_kb",
]

kb = knowledge_bases


async def insert_kb(session: AsyncSession, values: dict[str, Any]) -> RowMapping:
    return (await session.execute(insert(kb).values(**values).returning(*kb.c))).mappings().one()


async def get_kb(
    session: AsyncSession, kb_id: uuid.UUID, tenant_id: str, *, for_update: bool = False
) -> RowMapping | None:
    query = select(*kb.c).where(kb.c.id == kb_id, kb.c.tenant_id == tenant_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def get_kbs(session: AsyncSession, kb_ids: list[uuid.UUID], tenant_id: str) -> list[RowMapping]:
    query = select(*kb.c).where(kb.c.id.in_(kb_ids), kb.c.tenant_id == tenant_id)
    return list((await session.execute(query)).mappings())


def _readable(reader: Reader) -> Any:
    clauses = [kb.c.owner_id == reader.user_id, literal(reader.user_id) == any_(kb.c.shared_user_ids)]
    if reader.roles:
        clauses.append(kb.c.shared_roles.overlap(sorted(reader.roles)))
    return or_(*clauses)


async def list_readable(
    session: AsyncSession, reader: Reader, *, query: str, offset: int, limit: int
) -> list[RowMapping]:
    statement = select(*kb.c).where(kb.c.tenant_id == reader.tenant_id, _readable(reader))
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(kb.c.name.ilike(pattern, escape="\\"))
    statement = statement.order_by(kb.c.created_at.desc(), kb.c.id).offset(offset).limit(limit)
    return list((await session.execute(statement)).mappings())


async def update_kb(session: AsyncSession, kb_id: uuid.UUID, values: dict[str, Any]) -> RowMapping:
    statement = update(kb).where(kb.c.id == kb_id).values(**values, updated_at=func.now()).returning(*kb.c)
    return (await session.execute(statement)).mappings().one()


async def delete_kb(session: AsyncSession, kb_id: uuid.UUID) -> None:
    await session.execute(delete(kb).where(kb.c.id == kb_id))


async def add_stats(
    session: AsyncSession, kb_id: uuid.UUID, *, docs: int = 0, chunks: int = 0, tokens: int = 0, size: int = 0
) -> None:
    await session.execute(
        update(kb)
        .where(kb.c.id == kb_id)
        .values(
            document_count=kb.c.document_count + docs,
            chunk_count=kb.c.chunk_count + chunks,
            token_count=kb.c.token_count + tokens,
            size_bytes=kb.c.size_bytes + size,
            updated_at=func.now(),
        )
    )


async def lock_tenant(session: AsyncSession, tenant_id: str) -> None:
    """Serialize quota decisions of one tenant until the transaction ends."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(literal("knowledge-quota:") + tenant_id, 0)))
    )


async def tenant_bytes(session: AsyncSession, tenant_id: str) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(documents.c.size_bytes), 0)).where(documents.c.tenant_id == tenant_id)
    )
    return int(total or 0)
