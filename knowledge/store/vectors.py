"""Vectors in SQL: the literal form, the per-size cast, and the per-size HNSW index.

Sizes up to 2,000 dimensions are indexed as ``vector(N)``; larger ones as ``halfvec(N)``
(pgvector's HNSW limit for ``vector`` is 2,000 dimensions, 4,000 for ``halfvec``).

Index parameters: m = 16 and ef_construction = 64 (pgvector's defaults) with ef_search =
100 at query time (KnowledgeSettings.hnsw_ef_search; pgvector's default 40 loses recall
once filters drop candidates). Filtered queries run with ``hnsw.iterative_scan =
relaxed_order`` so the index keeps scanning until enough rows pass the filters (pgvector
0.8); results are re-sorted by exact distance afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["MAX_DIMENSIONS", "ensure_index", "index_name", "vector_cast", "vector_literal"]

MAX_DIMENSIONS = 4000
HALFVEC_ABOVE = 2000
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64

log = logging.getLogger(__name__)


def vector_literal(values: Sequence[float]) -> str:
    return "[" + ",".join(f"{float(v):.7g}" for v in values) + "]"


def vector_cast(dims: int) -> str:
    """The SQL type a vector of ``dims`` is cast to for indexing and search."""
    if not 1 <= dims <= MAX_DIMENSIONS:
        raise ValueError(f"unsupported vector size {dims}")
    return f"halfvec({dims})" if dims > HALFVEC_ABOVE else f"vector({dims})"


def index_name(dims: int) -> str:
    return f"ix_chunks_embedding_{dims}"


async def ensure_index(engine: AsyncEngine, dims: int) -> None:
    """Create the HNSW index for ``dims`` if missing (concurrently, so writes go on meanwhile)."""
    cast = vector_cast(dims)
    ops = "halfvec_cosine_ops" if cast.startswith("halfvec") else "vector_cosine_ops"
    statement = (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index_name(dims)} ON knowledge.chunks "
        f"USING hnsw ((embedding::{cast}) {ops}) "
        f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
        f"WHERE dims = {int(dims)}"
    )
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(statement))
    log.info("vector index ready", extra={"dims": dims})
