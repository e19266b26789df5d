"""The events of ingestion and deletion, written to the outbox in the transaction of the change."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from chatmesh.events.v1 import knowledge_events_pb2 as events
from google.protobuf import duration_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.store.tables import outbox
from mesh.events import add

__all__ = ["document_ingested", "ingestion_failed", "knowledge_base_deleted"]

SOURCE = "knowledge"


async def document_ingested(
    session: AsyncSession, job: Any, *, chunks: int, tokens: int, size: int, model: str, took: timedelta
) -> None:
    duration = duration_pb2.Duration()
    duration.FromTimedelta(took)
    event = events.DocumentIngested(
        knowledge_base_id=str(job["knowledge_base_id"]),
        document_id=str(job["document_id"]),
        ingestion_job_id=str(job["id"]),
        chunk_count=chunks,
        token_count=tokens,
        size_bytes=size,
        embedding_model=model,
        duration=duration,
    )
    await add(
        session,
        outbox,
        source=SOURCE,
        event=event,
        tenant_id=job["tenant_id"],
        subject=str(job["document_id"]),
    )


async def ingestion_failed(
    session: AsyncSession, job: Any, *, code: str, message: str, will_retry: bool
) -> None:
    event = events.IngestionFailed(
        knowledge_base_id=str(job["knowledge_base_id"]),
        document_id=str(job["document_id"]),
        ingestion_job_id=str(job["id"]),
        code=code,
        message=message,
        attempt=int(job["attempt"]),
        will_retry=will_retry,
    )
    await add(
        session,
        outbox,
        source=SOURCE,
        event=event,
        tenant_id=job["tenant_id"],
        subject=str(job["document_id"]),
    )


async def knowledge_base_deleted(session: AsyncSession, kb: Any) -> None:
    event = events.KnowledgeBaseDeleted(
        knowledge_base_id=str(kb["id"]),
        owner_id=kb["owner_id"],
        document_count=int(kb["document_count"]),
        size_bytes=int(kb["size_bytes"]),
    )
    kb_id: uuid.UUID = kb["id"]
    await add(session, outbox, source=SOURCE, event=event, tenant_id=kb["tenant_id"], subject=str(kb_id))
