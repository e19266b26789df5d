"""Search: validates the request, checks the caller may read every knowledge base named, and
hands the query to knowledge/search. A knowledge base the caller may not read is refused
(NOT_FOUND), never silently skipped."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from chatmesh.knowledge.v1 import search_pb2

from knowledge.api.access import readable_kbs
from knowledge.api.caller import caller
from knowledge.api.convert import hit_to_result
from knowledge.domain.ids import parse_ids
from knowledge.domain.settings import MAX_TOP_K, RetrievalValues
from knowledge.search.service import HYBRID, KEYWORD, VECTOR, Searcher, SearchQuery
from mesh.authz import require
from mesh.errors import FieldViolation, InvalidArgument

if TYPE_CHECKING:
    from knowledge.deps import KnowledgeDeps

__all__ = ["SearchApi"]

_MODES = {
    search_pb2.SEARCH_MODE_UNSPECIFIED: HYBRID,
    search_pb2.SEARCH_MODE_HYBRID: HYBRID,
    search_pb2.SEARCH_MODE_VECTOR: VECTOR,
    search_pb2.SEARCH_MODE_KEYWORD: KEYWORD,
}
MAX_KNOWLEDGE_BASES = 20


def _check(request: search_pb2.SearchRequest, max_query_chars: int) -> list[FieldViolation]:
    bad = []
    if not request.query.strip() or len(request.query) > max_query_chars:
        bad.append(FieldViolation("query", f"1 to {max_query_chars} characters"))
    if not 1 <= len(request.knowledge_base_ids) <= MAX_KNOWLEDGE_BASES:
        bad.append(FieldViolation("knowledge_base_ids", f"1 to {MAX_KNOWLEDGE_BASES} knowledge bases"))
    if not 0 <= request.top_k <= MAX_TOP_K:
        bad.append(FieldViolation("top_k", f"between 1 and {MAX_TOP_K} (0: the knowledge base's default)"))
    if request.mode not in _MODES:
        bad.append(FieldViolation("mode", "unknown search mode"))
    if not -1.0 <= request.min_score <= 1.0:
        bad.append(FieldViolation("min_score", "between -1 and 1"))
    for name in ("vector_weight", "keyword_weight"):
        if request.HasField(name) and not 0.0 <= getattr(request, name) <= 100.0:
            bad.append(FieldViolation(name, "between 0 and 100"))
    if request.HasField("created_after") and request.HasField("created_before"):
        if request.created_after.ToDatetime() >= request.created_before.ToDatetime():
            bad.append(FieldViolation("created_before", "must be after created_after"))
    return bad


class SearchApi:
    deps: KnowledgeDeps
    searcher: Searcher

    async def Search(self, request: search_pb2.SearchRequest, context: object) -> search_pb2.SearchResponse:
        await require("knowledge_bases:read")
        who = caller()
        bad = _check(request, self.deps.config.max_query_chars)
        if bad:
            raise InvalidArgument("invalid search", bad)
        kb_ids = parse_ids(list(request.knowledge_base_ids), "knowledge_base_ids")
        doc_ids = parse_ids(list(request.document_ids), "document_ids")
        async with self.deps.sessions() as session:
            kbs = await readable_kbs(session, who, kb_ids)
        defaults = RetrievalValues.from_json(kbs[0]["retrieval"])
        vector_weight = request.vector_weight if request.HasField("vector_weight") else defaults.vector_weight
        keyword_weight = (
            request.keyword_weight if request.HasField("keyword_weight") else defaults.keyword_weight
        )
        if vector_weight == 0 and keyword_weight == 0:
            raise InvalidArgument("invalid search", [FieldViolation("vector_weight", "both weights are 0")])
        query = SearchQuery(
            text=request.query.strip(),
            tenant_id=who.tenant_id,
            knowledge_bases=kbs,
            top_k=request.top_k or defaults.top_k,
            mode=_MODES[request.mode],
            min_score=request.min_score or defaults.score_threshold,
            vector_weight=vector_weight,
            keyword_weight=keyword_weight,
            document_ids=doc_ids,
            tags=list(request.tags),
            metadata=dict(request.metadata_filter),
            created_after=request.created_after.ToDatetime(tzinfo=UTC)
            if request.HasField("created_after")
            else None,
            created_before=request.created_before.ToDatetime(tzinfo=UTC)
            if request.HasField("created_before")
            else None,
        )
        found = await self.searcher.search(query)
        return search_pb2.SearchResponse(
            results=[
                hit_to_result(
                    f.hit, score=f.score, vector_score=f.vector_score, keyword_score=f.keyword_score
                )
                for f in found
            ]
        )
