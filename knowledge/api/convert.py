"""Rows ↔ protobuf for knowledge's resources (no rules here, only shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chatmesh.knowledge.v1 import resources_pb2, search_pb2
from google.protobuf import timestamp_pb2
from google.rpc import status_pb2

from knowledge.domain import jobs as states
from knowledge.domain.settings import ChunkingValues, RetrievalValues
from knowledge.store.search import ChunkHit

__all__ = [
    "DOCUMENT_STATUS",
    "JOB_STATE",
    "chunk_to_proto",
    "document_to_proto",
    "hit_to_result",
    "job_to_proto",
    "kb_to_proto",
]

DOCUMENT_STATUS = {
    "pending": resources_pb2.DOCUMENT_STATUS_PENDING,
    "processing": resources_pb2.DOCUMENT_STATUS_PROCESSING,
    "ready": resources_pb2.DOCUMENT_STATUS_READY,
    "failed": resources_pb2.DOCUMENT_STATUS_FAILED,
}
JOB_STATE = {
    states.QUEUED: resources_pb2.INGESTION_JOB_STATE_QUEUED,
    states.RUNNING: resources_pb2.INGESTION_JOB_STATE_RUNNING,
    states.SUCCEEDED: resources_pb2.INGESTION_JOB_STATE_SUCCEEDED,
    states.FAILED: resources_pb2.INGESTION_JOB_STATE_FAILED,
    states.CANCELLED: resources_pb2.INGESTION_JOB_STATE_CANCELLED,
}
_STAGE = {
    states.PARSING: resources_pb2.INGESTION_STAGE_PARSING,
    states.CHUNKING: resources_pb2.INGESTION_STAGE_CHUNKING,
    states.EMBEDDING: resources_pb2.INGESTION_STAGE_EMBEDDING,
    states.INDEXING: resources_pb2.INGESTION_STAGE_INDEXING,
    states.DONE: resources_pb2.INGESTION_STAGE_DONE,
}
_CODES = {"INVALID_ARGUMENT": 3, "NOT_FOUND": 5, "FAILED_PRECONDITION": 9, "ABORTED": 10, "UNAVAILABLE": 14}


def _ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def kb_to_proto(row: Any) -> resources_pb2.KnowledgeBase:
    chunking = ChunkingValues.from_json(row["chunking"])
    retrieval = RetrievalValues.from_json(row["retrieval"])
    return resources_pb2.KnowledgeBase(
        id=str(row["id"]),
        tenant_id=row["tenant_id"],
        owner_id=row["owner_id"],
        name=row["name"],
        description=row["description"],
        embedding_model=row["embedding_model"],
        embedding_dimensions=row["embedding_dimensions"],
        chunking=resources_pb2.ChunkingConfig(
            chunk_size_tokens=chunking.chunk_tokens,
            chunk_overlap_tokens=chunking.overlap_tokens,
            separators=list(chunking.separators),
        ),
        retrieval=resources_pb2.RetrievalConfig(
            top_k=retrieval.top_k,
            score_threshold=retrieval.score_threshold,
            vector_weight=retrieval.vector_weight,
            keyword_weight=retrieval.keyword_weight,
            rerank=retrieval.rerank,
        ),
        document_count=row["document_count"],
        chunk_count=row["chunk_count"],
        token_count=row["token_count"],
        size_bytes=row["size_bytes"],
        shared_user_ids=list(row["shared_user_ids"]),
        shared_roles=list(row["shared_roles"]),
        create_time=_ts(row["created_at"]),
        update_time=_ts(row["updated_at"]),
    )


def document_to_proto(row: Any) -> resources_pb2.Document:
    return resources_pb2.Document(
        id=str(row["id"]),
        knowledge_base_id=str(row["knowledge_base_id"]),
        tenant_id=row["tenant_id"],
        filename=row["filename"],
        title=row["title"] or row["filename"],
        mime_type=row["mime_type"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        status=DOCUMENT_STATUS.get(row["status"], resources_pb2.DOCUMENT_STATUS_UNSPECIFIED),
        chunk_count=row["chunk_count"],
        token_count=row["token_count"],
        metadata=dict(row["metadata"]),
        tags=list(row["tags"]),
        source_uri=row["source_uri"],
        ingestion_job_id=str(row["ingestion_job_id"] or ""),
        failure_reason=row["failure_reason"],
        create_time=_ts(row["created_at"]),
        update_time=_ts(row["updated_at"]),
    )


def job_to_proto(row: Any) -> resources_pb2.IngestionJob:
    job = resources_pb2.IngestionJob(
        id=str(row["id"]),
        knowledge_base_id=str(row["knowledge_base_id"]),
        document_id=str(row["document_id"]),
        state=JOB_STATE.get(row["state"], resources_pb2.INGESTION_JOB_STATE_UNSPECIFIED),
        stage=_STAGE.get(row["stage"], resources_pb2.INGESTION_STAGE_UNSPECIFIED),
        chunks_total=row["chunks_total"],
        chunks_embedded=row["chunks_embedded"],
        progress_percent=row["progress"],
        attempt=row["attempt"],
        create_time=_ts(row["created_at"]),
        start_time=_ts(row["started_at"]),
        end_time=_ts(row["ended_at"]),
    )
    if row["error_message"]:
        job.error.CopyFrom(
            status_pb2.Status(code=_CODES.get(row["error_code"], 2), message=row["error_message"])
        )
    return job


def chunk_to_proto(row: Any) -> resources_pb2.Chunk:
    return resources_pb2.Chunk(
        id=str(row["id"]),
        document_id=str(row["document_id"]),
        knowledge_base_id=str(row["knowledge_base_id"]),
        index=row["chunk_index"],
        content=row["content"],
        token_count=row["token_count"],
        page=row["page"] or 0,
        start_offset=row["start_offset"],
        end_offset=row["end_offset"],
        heading=row["heading"],
    )


def hit_to_result(
    hit: ChunkHit, *, score: float, vector_score: float, keyword_score: float
) -> search_pb2.SearchResult:
    chunk = chunk_to_proto(hit.__dict__)
    return search_pb2.SearchResult(
        chunk=chunk,
        score=score,
        vector_score=vector_score,
        keyword_score=keyword_score,
        source=search_pb2.SourceReference(
            knowledge_base_id=str(hit.knowledge_base_id),
            document_id=str(hit.document_id),
            title=hit.title or hit.filename,
            filename=hit.filename,
            source_uri=hit.source_uri,
            page=hit.page or 0,
            heading=hit.heading,
            start_offset=hit.start_offset,
            end_offset=hit.end_offset,
        ),
    )
