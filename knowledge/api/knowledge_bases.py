"""Knowledge base RPCs: create, get, list, update (field mask; re-index on model/chunking change), delete."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from chatmesh.knowledge.v1 import knowledge_bases_pb2, resources_pb2

from knowledge.api.access import readable_kb, writable_kb
from knowledge.api.caller import caller
from knowledge.api.convert import kb_to_proto
from knowledge.api.pages import Page
from knowledge.domain.ids import parse_id
from knowledge.domain.settings import ChunkingValues, RetrievalValues, check_chunking, check_retrieval
from knowledge.ingestion import events
from knowledge.ingestion.submit import announce, queue_reindex
from knowledge.store import documents as doc_store
from knowledge.store import knowledge_bases as kb_store
from knowledge.store.vectors import MAX_DIMENSIONS, ensure_index
from mesh.authz import require
from mesh.errors import FieldViolation, InvalidArgument

if TYPE_CHECKING:
    from knowledge.deps import KnowledgeDeps

__all__ = ["KnowledgeBasesApi"]

_WRITABLE = (
    "name",
    "description",
    "embedding_model",
    "chunking",
    "retrieval",
    "shared_user_ids",
    "shared_roles",
)
_MAX_SHARES = 200


def _chunking(config: resources_pb2.ChunkingConfig, defaults: ChunkingValues) -> ChunkingValues:
    return ChunkingValues(
        chunk_tokens=config.chunk_size_tokens or defaults.chunk_tokens,
        overlap_tokens=config.chunk_overlap_tokens if config.chunk_size_tokens else defaults.overlap_tokens,
        separators=tuple(config.separators) or defaults.separators,
    )


def _retrieval(config: resources_pb2.RetrievalConfig, defaults: RetrievalValues) -> RetrievalValues:
    unset_weights = config.vector_weight == 0 and config.keyword_weight == 0
    return RetrievalValues(
        top_k=config.top_k or defaults.top_k,
        score_threshold=config.score_threshold,
        vector_weight=defaults.vector_weight if unset_weights else config.vector_weight,
        keyword_weight=defaults.keyword_weight if unset_weights else config.keyword_weight,
        rerank=config.rerank,
    )


def _shares(values: Any, field: str) -> tuple[list[str], list[FieldViolation]]:
    cleaned = list(dict.fromkeys(v.strip() for v in values))
    bad = []
    if len(cleaned) > _MAX_SHARES:
        bad.append(FieldViolation(field, f"at most {_MAX_SHARES} entries"))
    if any(not v or len(v) > 128 for v in cleaned):
        bad.append(FieldViolation(field, "entries must be 1 to 128 characters"))
    return cleaned, bad


class KnowledgeBasesApi:
    deps: KnowledgeDeps
    _indexed_dims: set[int]

    def _defaults(self) -> tuple[ChunkingValues, RetrievalValues]:
        config = self.deps.config
        return (
            ChunkingValues(
                chunk_tokens=config.default_chunk_tokens, overlap_tokens=config.default_overlap_tokens
            ),
            RetrievalValues(top_k=config.default_top_k),
        )

    def _values(
        self, kb: resources_pb2.KnowledgeBase, paths: list[str], current: dict[str, Any]
    ) -> dict[str, Any]:
        """Column values for the masked fields, validated together (every violation at once)."""
        config = self.deps.config
        chunk_defaults, retrieval_defaults = self._defaults()
        if current:
            chunk_defaults = ChunkingValues.from_json(current["chunking"])
            retrieval_defaults = RetrievalValues.from_json(current["retrieval"])
        bad: list[FieldViolation] = []
        values: dict[str, Any] = {}
        for path in paths:
            top = path.split(".", 1)[0]
            if top == "name":
                name = kb.name.strip()
                if not name or len(name) > config.max_name_chars:
                    bad.append(
                        FieldViolation("knowledge_base.name", f"1 to {config.max_name_chars} characters")
                    )
                values["name"] = name
            elif top == "description":
                if len(kb.description) > config.max_description_chars:
                    bad.append(
                        FieldViolation(
                            "knowledge_base.description", f"at most {config.max_description_chars} characters"
                        )
                    )
                values["description"] = kb.description
            elif top == "embedding_model":
                values["embedding_model"] = kb.embedding_model.strip() or config.default_embedding_model
            elif top == "chunking":
                chunking = _chunking(kb.chunking, chunk_defaults)
                bad += check_chunking(chunking, "knowledge_base.chunking")
                values["chunking"] = chunking.to_json()
            elif top == "retrieval":
                retrieval = _retrieval(kb.retrieval, retrieval_defaults)
                bad += check_retrieval(retrieval, "knowledge_base.retrieval")
                values["retrieval"] = retrieval.to_json()
            elif top in ("shared_user_ids", "shared_roles"):
                values[top], problems = _shares(getattr(kb, top), f"knowledge_base.{top}")
                bad += problems
            else:
                bad.append(FieldViolation("update_mask", f"{path!r} is not a writable field"))
        if bad:
            raise InvalidArgument("invalid knowledge base", bad)
        return values

    async def _model(self, values: dict[str, Any]) -> None:
        """Records the model's canonical name and vector size, and makes sure its index exists."""
        model, dims = await self.deps.embedders.canonical(
            values["embedding_model"], "knowledge_base.embedding_model"
        )
        if not 1 <= dims <= MAX_DIMENSIONS:
            raise InvalidArgument(
                "unsupported embedding size",
                [
                    FieldViolation(
                        "knowledge_base.embedding_model", f"{dims} dimensions; at most {MAX_DIMENSIONS}"
                    )
                ],
            )
        indexed = self._indexed_dims
        if dims not in indexed:
            await ensure_index(self.deps.engine, dims)
            indexed.add(dims)
        values["embedding_model"], values["embedding_dimensions"] = model, dims

    async def CreateKnowledgeBase(
        self, request: knowledge_bases_pb2.CreateKnowledgeBaseRequest, context: object
    ) -> knowledge_bases_pb2.CreateKnowledgeBaseResponse:
        await require("knowledge_bases:create")
        who = caller()
        values = self._values(request.knowledge_base, ["name", *_WRITABLE[1:]], {})
        await self._model(values)
        async with self.deps.sessions.begin() as session:
            row = await kb_store.insert_kb(
                session, {**values, "tenant_id": who.tenant_id, "owner_id": who.user_id}
            )
        return knowledge_bases_pb2.CreateKnowledgeBaseResponse(knowledge_base=kb_to_proto(row))

    async def GetKnowledgeBase(
        self, request: knowledge_bases_pb2.GetKnowledgeBaseRequest, context: object
    ) -> knowledge_bases_pb2.GetKnowledgeBaseResponse:
        await require("knowledge_bases:read")
        who = caller()
        kb_id = parse_id(request.knowledge_base_id, "knowledge_base_id")
        async with self.deps.sessions() as session:
            row = await readable_kb(session, who, kb_id)
        return knowledge_bases_pb2.GetKnowledgeBaseResponse(knowledge_base=kb_to_proto(row))

    async def ListKnowledgeBases(
        self, request: knowledge_bases_pb2.ListKnowledgeBasesRequest, context: object
    ) -> knowledge_bases_pb2.ListKnowledgeBasesResponse:
        await require("knowledge_bases:read")
        who = caller()
        page = Page.of(request, self.deps.config)
        async with self.deps.sessions() as session:
            rows = await kb_store.list_readable(
                session, who, query=request.query.strip(), offset=page.offset, limit=page.limit
            )
        return knowledge_bases_pb2.ListKnowledgeBasesResponse(
            knowledge_bases=page.items(rows, kb_to_proto), next_page_token=page.next_token(rows)
        )

    async def UpdateKnowledgeBase(
        self, request: knowledge_bases_pb2.UpdateKnowledgeBaseRequest, context: object
    ) -> knowledge_bases_pb2.UpdateKnowledgeBaseResponse:
        await require("knowledge_bases:update")
        who = caller()
        kb_id = parse_id(request.knowledge_base_id, "knowledge_base_id")
        paths = list(request.update_mask.paths) or [
            f.name for f, _ in request.knowledge_base.ListFields() if f.name in _WRITABLE
        ]
        if not paths:
            raise InvalidArgument(
                "nothing to update", [FieldViolation("update_mask", "names no writable field")]
            )
        async with self.deps.sessions() as session:
            current = dict(await writable_kb(session, who, kb_id))
        values = self._values(request.knowledge_base, paths, current)
        if "embedding_model" in values:
            await self._model(values)
        reindex = any(values.get(k, current[k]) != current[k] for k in ("embedding_model", "chunking"))
        jobs = []
        async with self.deps.sessions.begin() as session:
            await writable_kb(session, who, kb_id, for_update=True)
            row = await kb_store.update_kb(session, kb_id, values)
            if reindex:
                for doc in await doc_store.all_documents(session, kb_id):
                    jobs.append(await queue_reindex(session, doc))
        for job in jobs:
            await announce(self.deps, job["id"])
        return knowledge_bases_pb2.UpdateKnowledgeBaseResponse(knowledge_base=kb_to_proto(row))

    async def DeleteKnowledgeBase(
        self, request: knowledge_bases_pb2.DeleteKnowledgeBaseRequest, context: object
    ) -> knowledge_bases_pb2.DeleteKnowledgeBaseResponse:
        await require("knowledge_bases:delete")
        who = caller()
        kb_id = parse_id(request.knowledge_base_id, "knowledge_base_id")
        async with self.deps.sessions.begin() as session:
            row = await writable_kb(session, who, kb_id, for_update=True)
            await kb_store.delete_kb(session, kb_id)
            await events.knowledge_base_deleted(session, row)
        with contextlib.suppress(OSError):
            await self.deps.originals.delete_prefix(f"kb/{kb_id}")
        return knowledge_bases_pb2.DeleteKnowledgeBaseResponse()
