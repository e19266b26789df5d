"""Search across knowledge bases: vector and full-text candidates, fused by reciprocal rank.

Each knowledge base group embedded with one model gets its own vector ranking (vectors of
different models are never compared); the full-text ranking covers all of them. Both kinds
of candidate query run concurrently on their own connections. Scores:

- VECTOR: cosine similarity (-1..1).
- KEYWORD: Postgres ``ts_rank`` (length-normalized).
- HYBRID: RRF score divided by the best attainable, so 1.0 means first in every ranking.

The threshold applies to that score; results carry the vector and keyword scores as well.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from knowledge.deps import KnowledgeDeps
from knowledge.domain.fusion import Ranking, rrf
from knowledge.search.text import cjk_tsquery
from knowledge.store import documents as doc_store
from knowledge.store import search as search_store
from knowledge.store.search import Candidate, ChunkHit

__all__ = ["Found", "SearchQuery", "Searcher"]

VECTOR, KEYWORD, HYBRID = "vector", "keyword", "hybrid"
_QUERY_CACHE = 512


@dataclass
class SearchQuery:
    text: str
    tenant_id: str
    knowledge_bases: list[Any]
    top_k: int
    mode: str = HYBRID
    min_score: float = 0.0
    vector_weight: float = 1.0
    keyword_weight: float = 1.0
    document_ids: list[uuid.UUID] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    created_after: datetime | None = None
    created_before: datetime | None = None

    @property
    def filtered(self) -> bool:
        return bool(
            self.document_ids or self.tags or self.metadata or self.created_after or self.created_before
        )


@dataclass(frozen=True)
class Found:
    hit: ChunkHit
    score: float
    vector_score: float
    keyword_score: float


class Searcher:
    def __init__(self, deps: KnowledgeDeps) -> None:
        self.deps = deps
        self._vectors: OrderedDict[tuple[str, int, str], list[float]] = OrderedDict()

    async def _query_vector(self, model: str, dims: int, text: str) -> list[float]:
        key = (model, dims, text)
        cached = self._vectors.get(key)
        if cached is not None:
            self._vectors.move_to_end(key)
            return cached
        embedder = await self.deps.embedders.get(model, dims)
        (vector,) = await embedder.embed([text], input_type="query")
        self._vectors[key] = vector
        while len(self._vectors) > _QUERY_CACHE:
            self._vectors.popitem(last=False)
        return vector

    async def _vector(
        self, q: SearchQuery, kbs: list[Any], doc_ids: list[uuid.UUID] | None, n: int
    ) -> list[Candidate]:
        model, dims = kbs[0]["embedding_model"], kbs[0]["embedding_dimensions"]
        vector = await self._query_vector(model, dims, q.text)
        async with self.deps.sessions.begin() as session:
            return await search_store.vector_candidates(
                session,
                dims=dims,
                vector=vector,
                tenant_id=q.tenant_id,
                kb_ids=[kb["id"] for kb in kbs],
                doc_ids=doc_ids,
                limit=n,
                ef_search=max(self.deps.config.hnsw_ef_search, n),
            )

    async def _keyword(self, q: SearchQuery, doc_ids: list[uuid.UUID] | None, n: int) -> list[Candidate]:
        async with self.deps.sessions() as session:
            return await search_store.keyword_candidates(
                session,
                query=q.text,
                cjk_query=cjk_tsquery(q.text),
                tenant_id=q.tenant_id,
                kb_ids=[kb["id"] for kb in q.knowledge_bases],
                doc_ids=doc_ids,
                limit=n,
            )

    async def _documents(self, q: SearchQuery) -> list[uuid.UUID] | None:
        if not q.filtered:
            return None
        async with self.deps.sessions() as session:
            return await doc_store.filtered_document_ids(
                session,
                [kb["id"] for kb in q.knowledge_bases],
                document_ids=q.document_ids,
                tags=q.tags,
                metadata=q.metadata,
                created_after=q.created_after,
                created_before=q.created_before,
            )

    async def search(self, q: SearchQuery) -> list[Found]:
        doc_ids = await self._documents(q)
        if doc_ids == []:
            return []
        config = self.deps.config
        n = max(q.top_k * config.candidate_factor, config.candidate_floor)
        groups: dict[tuple[str, int], list[Any]] = {}
        for kb in q.knowledge_bases:
            groups.setdefault((kb["embedding_model"], kb["embedding_dimensions"]), []).append(kb)
        calls: list[Any] = []
        if q.mode in (VECTOR, HYBRID):
            calls += [self._vector(q, kbs, doc_ids, n) for kbs in groups.values()]
        if q.mode in (KEYWORD, HYBRID):
            calls.append(self._keyword(q, doc_ids, n))
        lists: list[list[Candidate]] = list(await asyncio.gather(*calls))
        vector_lists = lists[: len(groups)] if q.mode in (VECTOR, HYBRID) else []
        keyword_list = lists[-1] if q.mode in (KEYWORD, HYBRID) else []
        vector_scores = {c.chunk_id: c.score for found in vector_lists for c in found}
        keyword_scores = {c.chunk_id: c.score for c in keyword_list}
        ranked = self._rank(q, vector_lists, keyword_list, vector_scores, keyword_scores)
        ranked = [(cid, s) for cid, s in ranked if s >= q.min_score][: q.top_k]
        async with self.deps.sessions() as session:
            hits = await search_store.hits(session, [cid for cid, _ in ranked])
        return [
            Found(hits[cid], score, vector_scores.get(cid, 0.0), keyword_scores.get(cid, 0.0))
            for cid, score in ranked
            if cid in hits
        ]

    def _rank(
        self,
        q: SearchQuery,
        vector_lists: list[list[Candidate]],
        keyword_list: list[Candidate],
        vector_scores: dict[uuid.UUID, float],
        keyword_scores: dict[uuid.UUID, float],
    ) -> list[tuple[uuid.UUID, float]]:
        if q.mode == VECTOR:
            return sorted(vector_scores.items(), key=lambda item: -item[1])
        if q.mode == KEYWORD:
            return [(c.chunk_id, c.score) for c in keyword_list]
        rankings = [Ranking([c.chunk_id for c in found], q.vector_weight) for found in vector_lists]
        rankings.append(Ranking([c.chunk_id for c in keyword_list], q.keyword_weight))
        fused = rrf(rankings, k=self.deps.config.rrf_k)
        # A chunk is in one vector ranking at most: the best attainable uses one vector weight.
        total = sum(r.weight for r in rankings)
        attainable = q.vector_weight + q.keyword_weight
        scale = total / attainable if attainable else 0.0
        return [(f.key, min(1.0, f.score * scale)) for f in fused]
