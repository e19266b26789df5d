"""SQL of chunks: staging a job's chunks idempotently, publishing them at once, listing them.

Staged rows are keyed by (document, generation, position) and written ON CONFLICT DO
NOTHING: a job resumed after a crash skips what it already embedded and never writes a
chunk twice. Publishing replaces the document's searchable chunks in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import RowMapping, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from knowledge.store.tables import chunks, staged_chunks
from knowledge.store.vectors import vector_literal

__all__ = ["StagedChunk", "discard_staged", "list_chunks", "publish", "stage", "staged_positions"]


@dataclass(frozen=True)
class StagedChunk:
    document_id: uuid.UUID
    knowledge_base_id: uuid.UUID
    tenant_id: str
    generation: int
    chunk_index: int
    content: str
    token_count: int
    page: int | None
    heading: str
    start_offset: int
    end_offset: int
    embedding: list[float]
    cjk_lexemes: list[str]


_STAGE = text(
    """
INSERT INTO staged_chunks (document_id, knowledge_base_id, tenant_id, generation, chunk_index, content,
    token_count, page, heading, start_offset, end_offset, dims, embedding, search_vector)
VALUES (:document_id, :knowledge_base_id, :tenant_id, :generation, :chunk_index, :content,
    :token_count, :page, :heading, :start_offset, :end_offset, :dims,
    CAST(CAST(:embedding AS text) AS vector),
    to_tsvector('english', :content) || array_to_tsvector(:cjk))
ON CONFLICT (document_id, generation, chunk_index) DO NOTHING
"""
).bindparams(bindparam("cjk", type_=ARRAY(Text)))

_PUBLISH_COLUMNS = (
    "id, document_id, knowledge_base_id, tenant_id, generation, chunk_index, content, token_count, page, "
    "heading, start_offset, end_offset, dims, embedding, search_vector"
)
_PUBLISH = text(
    f"INSERT INTO chunks ({_PUBLISH_COLUMNS}) SELECT {_PUBLISH_COLUMNS} FROM staged_chunks "
    "WHERE document_id = :document_id AND generation = :generation"
)


async def staged_positions(session: AsyncSession, document_id: uuid.UUID, generation: int) -> set[int]:
    query = select(staged_chunks.c.chunk_index).where(
        staged_chunks.c.document_id == document_id, staged_chunks.c.generation == generation
    )
    return set((await session.execute(query)).scalars())


async def stage(session: AsyncSession, rows: list[StagedChunk]) -> None:
    if not rows:
        return
    params = [
        {
            "document_id": r.document_id,
            "knowledge_base_id": r.knowledge_base_id,
            "tenant_id": r.tenant_id,
            "generation": r.generation,
            "chunk_index": r.chunk_index,
            "content": r.content,
            "token_count": r.token_count,
            "page": r.page,
            "heading": r.heading,
            "start_offset": r.start_offset,
            "end_offset": r.end_offset,
            "dims": len(r.embedding),
            "embedding": vector_literal(r.embedding),
            "cjk": r.cjk_lexemes,
        }
        for r in rows
    ]
    await session.execute(_STAGE, params)


async def publish(session: AsyncSession, document_id: uuid.UUID, generation: int) -> tuple[int, int]:
    """Replace the document's chunks with staged ``generation``; returns (chunks, tokens) now searchable."""
    await session.execute(delete(chunks).where(chunks.c.document_id == document_id))
    await session.execute(_PUBLISH, {"document_id": document_id, "generation": generation})
    await session.execute(delete(staged_chunks).where(staged_chunks.c.document_id == document_id))
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(chunks.c.token_count), 0)).where(
                chunks.c.document_id == document_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def list_chunks(
    session: AsyncSession, document_id: uuid.UUID, *, offset: int, limit: int
) -> list[RowMapping]:
    columns = [c for c in chunks.c if c.name not in ("embedding", "search_vector")]
    query = (
        select(*columns)
        .where(chunks.c.document_id == document_id)
        .order_by(chunks.c.chunk_index)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(query)).mappings())


async def discard_staged(session: AsyncSession, document_id: uuid.UUID) -> None:
    await session.execute(delete(staged_chunks).where(staged_chunks.c.document_id == document_id))
