"""The two candidate queries of Search (nearest vectors, full-text matches) and the result rows.

Both are scoped to the caller's tenant and the knowledge bases it may read, and optionally
to a list of documents (the metadata filters, resolved first). Filters are plain column
predicates so pgvector's iterative index scan can apply them while it walks the graph.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.store.vectors import vector_cast, vector_literal

__all__ = ["Candidate", "ChunkHit", "hits", "keyword_candidates", "vector_candidates"]

_UUIDS = ARRAY(UUID(as_uuid=True))


@dataclass(frozen=True)
class Candidate:
    chunk_id: uuid.UUID
    score: float  # cosine similarity, or full-text rank


@dataclass(frozen=True)
class ChunkHit:
    id: uuid.UUID
    document_id: uuid.UUID
    knowledge_base_id: uuid.UUID
    chunk_index: int
    content: str
    token_count: int
    page: int | None
    heading: str
    start_offset: int
    end_offset: int
    title: str
    filename: str
    source_uri: str


def _scope(doc_ids: list[uuid.UUID] | None) -> str:
    where = "knowledge_base_id = ANY(:kb_ids) AND tenant_id = :tenant_id"
    return where + (" AND document_id = ANY(:doc_ids)" if doc_ids is not None else "")


def _params(tenant_id: str, kb_ids: list[uuid.UUID], doc_ids: list[uuid.UUID] | None) -> dict[str, object]:
    params: dict[str, object] = {"tenant_id": tenant_id, "kb_ids": kb_ids}
    if doc_ids is not None:
        params["doc_ids"] = doc_ids
    return params


async def vector_candidates(
    session: AsyncSession,
    *,
    dims: int,
    vector: list[float],
    tenant_id: str,
    kb_ids: list[uuid.UUID],
    doc_ids: list[uuid.UUID] | None,
    limit: int,
    ef_search: int,
    exact: bool = False,
) -> list[Candidate]:
    """Nearest chunks by cosine, best first; call inside a transaction (SET LOCAL).

    ``exact=True`` skips the index (the bench's ground truth for recall).
    """
    cast = vector_cast(dims)
    if exact:
        await session.execute(text("SET LOCAL enable_indexscan = off"))
    else:  # both settings in one round trip, for this transaction only
        await session.execute(
            text(
                "SELECT set_config('hnsw.ef_search', :ef, true), "
                "set_config('hnsw.iterative_scan', 'relaxed_order', true)"
            ),
            {"ef": str(int(ef_search))},
        )
    statement = text(
        f"SELECT id, (embedding::{cast}) <=> CAST(CAST(:query AS text) AS {cast}) AS distance FROM chunks "
        f"WHERE dims = {int(dims)} AND {_scope(doc_ids)} ORDER BY distance LIMIT :limit"
    ).bindparams(
        bindparam("kb_ids", type_=_UUIDS),
        *([bindparam("doc_ids", type_=_UUIDS)] if doc_ids is not None else []),
    )
    params = _params(tenant_id, kb_ids, doc_ids) | {"query": vector_literal(vector), "limit": limit}
    rows = (await session.execute(statement, params)).all()
    found = [Candidate(row.id, 1.0 - float(row.distance)) for row in rows]
    return sorted(found, key=lambda c: -c.score)  # relaxed_order may be slightly out of order


async def keyword_candidates(
    session: AsyncSession,
    *,
    query: str,
    cjk_query: str,
    tenant_id: str,
    kb_ids: list[uuid.UUID],
    doc_ids: list[uuid.UUID] | None,
    limit: int,
) -> list[Candidate]:
    """Chunks matching any query word (English stemmed, CJK as bigrams), best rank first.

    Any word rather than every word: a question in natural language rarely has all its
    words in one passage; the rank (length-normalized) puts passages with more of them first.
    """
    statement = text(
        "WITH q AS (SELECT (CAST(replace(CAST(plainto_tsquery('english', :query) AS text), ' & ', ' | ')"
        " AS tsquery) || CAST(:cjk AS tsquery)) AS query) "
        "SELECT id, ts_rank(search_vector, q.query, 1) AS rank FROM chunks, q "
        f"WHERE search_vector @@ q.query AND {_scope(doc_ids)} ORDER BY rank DESC, id LIMIT :limit"
    ).bindparams(
        bindparam("kb_ids", type_=_UUIDS),
        *([bindparam("doc_ids", type_=_UUIDS)] if doc_ids is not None else []),
    )
    params = _params(tenant_id, kb_ids, doc_ids) | {"query": query, "cjk": cjk_query, "limit": limit}
    rows = (await session.execute(statement, params)).all()
    return [Candidate(row.id, float(row.rank)) for row in rows]


async def hits(session: AsyncSession, chunk_ids: list[uuid.UUID]) -> dict[uuid.UUID, ChunkHit]:
    """The chunks with their document's title, filename and source, for citations."""
    if not chunk_ids:
        return {}
    statement = text(
        "SELECT c.id, c.document_id, c.knowledge_base_id, c.chunk_index, c.content, c.token_count, c.page, "
        "c.heading, c.start_offset, c.end_offset, d.title, d.filename, d.source_uri "
        "FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY(:ids)"
    ).bindparams(bindparam("ids", type_=_UUIDS))
    rows = (await session.execute(statement, {"ids": chunk_ids})).mappings()
    return {row["id"]: ChunkHit(**row) for row in rows}
