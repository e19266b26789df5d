"""Accepting a document: quota, deduplication, the document row and its job in one transaction.

The original is already stored (under a key made of fresh ids) when the transaction runs;
if the transaction fails, the original is removed again, so a refused upload leaves
nothing behind. The job is announced only after commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.deps import KnowledgeDeps
from knowledge.domain import jobs as states
from knowledge.originals import SpooledUpload
from knowledge.store import chunks as chunk_store
from knowledge.store import documents as doc_store
from knowledge.store import jobs as job_store
from knowledge.store import knowledge_bases as kb_store
from mesh.errors import AlreadyExists, FailedPrecondition, QuotaViolation, ResourceExhausted

__all__ = ["NewDocument", "accept", "announce", "queue_reindex", "storage_key"]


@dataclass
class NewDocument:
    knowledge_base_id: uuid.UUID
    tenant_id: str
    filename: str
    title: str
    mime_type: str
    sha256: str
    size_bytes: int
    metadata: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    source_uri: str = ""


def storage_key(kb_id: uuid.UUID, doc_id: uuid.UUID) -> str:
    return f"kb/{kb_id}/{doc_id}"


async def _check_quota(session: AsyncSession, deps: KnowledgeDeps, tenant_id: str, size: int) -> None:
    await kb_store.lock_tenant(session, tenant_id)
    used = await kb_store.tenant_bytes(session, tenant_id)
    quota = deps.config.tenant_quota_bytes
    if used + size > quota:
        raise ResourceExhausted(
            f"the tenant's knowledge storage quota of {quota:,} bytes would be exceeded "
            f"({used:,} bytes used, this document has {size:,})",
            [QuotaViolation(f"tenant:{tenant_id}", "knowledge storage bytes")],
            reason="KNOWLEDGE_QUOTA_EXCEEDED",
            metadata={"quota_bytes": str(quota), "used_bytes": str(used), "document_bytes": str(size)},
        )


async def accept(deps: KnowledgeDeps, new: NewDocument, upload: SpooledUpload) -> tuple[Any, Any]:
    """Store the original and commit the document with its queued job; returns (document, job)."""
    doc_id = uuid.uuid4()
    key = storage_key(new.knowledge_base_id, doc_id)
    await deps.originals.put(key, upload)
    try:
        async with deps.sessions.begin() as session:
            await _check_quota(session, deps, new.tenant_id, new.size_bytes)
            kb = await kb_store.get_kb(session, new.knowledge_base_id, new.tenant_id, for_update=True)
            if kb is None:
                raise FailedPrecondition("the knowledge base was deleted", reason="KNOWLEDGE_BASE_GONE")
            if kb["document_count"] >= deps.config.max_documents_per_kb:
                raise ResourceExhausted(
                    f"a knowledge base holds at most {deps.config.max_documents_per_kb:,} documents",
                    reason="KNOWLEDGE_BASE_FULL",
                )
            existing = await doc_store.find_by_sha(session, new.knowledge_base_id, new.sha256)
            if existing is not None:
                raise AlreadyExists(
                    "this file is already in the knowledge base",
                    reason="DOCUMENT_DUPLICATE",
                    metadata={"document_id": str(existing["id"])},
                )
            doc = await doc_store.insert_document(
                session,
                {
                    "id": doc_id,
                    "knowledge_base_id": new.knowledge_base_id,
                    "tenant_id": new.tenant_id,
                    "filename": new.filename,
                    "title": new.title,
                    "mime_type": new.mime_type,
                    "size_bytes": new.size_bytes,
                    "sha256": new.sha256,
                    "storage_key": key,
                    "metadata": new.metadata,
                    "tags": new.tags,
                    "source_uri": new.source_uri,
                },
            )
            job = await _new_job(session, doc)
            doc = await doc_store.update_document(session, doc_id, {"ingestion_job_id": job["id"]})
            await kb_store.add_stats(session, new.knowledge_base_id, docs=1, size=new.size_bytes)
    except BaseException:
        await deps.originals.delete(key)
        raise
    await announce(deps, job["id"])
    return doc, job


async def _new_job(session: AsyncSession, doc: Any) -> Any:
    await chunk_store.discard_staged(session, doc["id"])
    return await job_store.insert_job(
        session,
        {
            "knowledge_base_id": doc["knowledge_base_id"],
            "document_id": doc["id"],
            "tenant_id": doc["tenant_id"],
            "generation": doc["generation"] + 1,
            "state": states.QUEUED,
        },
    )


async def queue_reindex(session: AsyncSession, doc: Any) -> Any:
    """A new job for the document (its open job when it has one); call in a transaction."""
    open_job = await job_store.open_job_for_document(session, doc["id"])
    if open_job is not None:
        return open_job
    job = await _new_job(session, doc)
    status = doc["status"] if doc["generation"] > 0 else "pending"
    await doc_store.update_document(session, doc["id"], {"ingestion_job_id": job["id"], "status": status})
    return job


async def announce(deps: KnowledgeDeps, job_id: uuid.UUID) -> None:
    if deps.queue is not None:
        await deps.queue.kick(job_id)
