"""Uploads and ingestion: streaming checks, dedup, quota, failures with reasons, re-index, documents."""

from __future__ import annotations

import asyncio
import hashlib

import grpc
import pytest
from chatmesh.knowledge.v1 import documents_pb2, knowledge_bases_pb2, resources_pb2
from sqlalchemy import func, select

from knowledge.store.tables import chunks, staged_chunks
from mesh.config import Settings
from tests.integration.knowledge.kb_harness import (
    ALICE,
    BOB,
    MALLORY,
    HashEmbedder,
    Service,
    close_service,
    create_kb,
    kb_config,
    open_service,
    search,
    upload,
    wait_job,
)

pytestmark = pytest.mark.timeout(120)

SMALL = resources_pb2.ChunkingConfig(chunk_size_tokens=32, chunk_overlap_tokens=4)
NOTES = "\n\n".join(f"Paragraph {i} talks about topic{i} and shared words." for i in range(40)).encode()


async def _chunk_rows(kb: Service, doc_id: str) -> list[int]:
    async with kb.deps.sessions() as session:
        query = select(chunks.c.chunk_index).where(chunks.c.document_id == doc_id)
        return sorted((await session.execute(query)).scalars())


async def test_upload_in_small_pieces_is_verified_and_listed(kb: Service) -> None:
    made = await create_kb(kb, name="verified", chunking=SMALL)
    digest = hashlib.sha256(NOTES).hexdigest()
    done = await upload(
        kb, made.id, "notes.txt", NOTES, piece=100, size_bytes=len(NOTES), sha256=digest, tags=["a"]
    )
    assert done.document.sha256 == digest and done.document.size_bytes == len(NOTES)
    job = await wait_job(kb, done.ingestion_job.id)
    assert job.state == resources_pb2.INGESTION_JOB_STATE_SUCCEEDED and job.progress_percent == 100
    doc = (
        await kb.stub.GetDocument(
            documents_pb2.GetDocumentRequest(knowledge_base_id=made.id, document_id=done.document.id),
            metadata=ALICE,
        )
    ).document
    assert doc.status == resources_pb2.DOCUMENT_STATUS_READY and doc.chunk_count == job.chunks_total > 0
    assert await _chunk_rows(kb, doc.id) == list(range(doc.chunk_count))
    listed = await kb.stub.ListChunks(
        documents_pb2.ListChunksRequest(knowledge_base_id=made.id, document_id=doc.id, page_size=3),
        metadata=ALICE,
    )
    assert [c.index for c in listed.chunks] == [0, 1, 2] and listed.next_page_token
    stats = (
        await kb.stub.GetKnowledgeBase(
            knowledge_bases_pb2.GetKnowledgeBaseRequest(knowledge_base_id=made.id), metadata=ALICE
        )
    ).knowledge_base
    assert (stats.document_count, stats.chunk_count, stats.size_bytes) == (1, doc.chunk_count, len(NOTES))
    assert stats.token_count == doc.token_count > 0


async def test_bad_uploads_leave_nothing(kb: Service) -> None:
    made = await create_kb(kb, name="strict")
    for meta, reason in (
        ({"size_bytes": len(NOTES) + 1}, "metadata.size_bytes"),
        ({"sha256": "0" * 64}, "metadata.sha256"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await upload(kb, made.id, "notes.txt", NOTES, **meta)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert reason in str(error.value.trailing_metadata())
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await upload(kb, made.id, "empty.txt", b"")
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as slash:
        await upload(kb, made.id, "../etc/passwd", b"x")
    assert slash.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    listed = await kb.stub.ListDocuments(
        documents_pb2.ListDocumentsRequest(knowledge_base_id=made.id), metadata=ALICE
    )
    assert list(listed.documents) == []
    spool = kb.deps.config.originals_path(kb.deps.settings.data_dir) / ".spool"
    assert not spool.exists() or list(spool.iterdir()) == []


async def test_other_users_and_tenants_cannot_upload(kb: Service) -> None:
    made = await create_kb(kb, name="mine")
    with pytest.raises(grpc.aio.AioRpcError) as plain_user:
        await upload(kb, made.id, "a.txt", b"hello", who=BOB)
    assert plain_user.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as other_tenant:
        await upload(kb, made.id, "a.txt", b"hello", who=MALLORY)
    assert other_tenant.value.code() == grpc.StatusCode.NOT_FOUND


async def test_the_same_file_twice_is_refused_with_the_first_document(kb: Service) -> None:
    made = await create_kb(kb, name="dedup")
    first = await upload(kb, made.id, "a.txt", b"the same bytes")
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await upload(kb, made.id, "b.txt", b"the same bytes")
    assert again.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert first.document.id in str(again.value.trailing_metadata())
    other = await create_kb(kb, name="dedup elsewhere")
    await upload(kb, other.id, "a.txt", b"the same bytes")


async def test_quota_is_per_tenant_with_a_clear_error(kb_settings: Settings) -> None:
    service = await open_service(kb_settings, kb_config(tenant_quota_bytes=10_000_000), HashEmbedder())
    try:
        async with service.deps.sessions() as session:
            from knowledge.store.knowledge_bases import tenant_bytes

            used = await tenant_bytes(session, "t1")
        await close_service(service)
        service = await open_service(kb_settings, kb_config(tenant_quota_bytes=used + 100), HashEmbedder())
        made = await create_kb(service, name="quota")
        await upload(service, made.id, "small.txt", b"x" * 60)
        with pytest.raises(grpc.aio.AioRpcError) as full:
            await upload(service, made.id, "big.txt", b"y" * 60)
        assert full.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "quota" in full.value.details()
        other_tenant = await create_kb(service, MALLORY, name="their quota")
        await upload(service, other_tenant.id, "big.txt", b"y" * 60, who=MALLORY)
    finally:
        await close_service(service)


async def test_a_rejected_document_fails_with_its_reason_and_nothing_indexed(kb: Service) -> None:
    made = await create_kb(kb, name="broken")
    done = await upload(kb, made.id, "broken.pdf", b"%PDF-1.7\n this is not really a pdf \x00\x01\x02")
    job = await wait_job(kb, done.ingestion_job.id)
    assert job.state == resources_pb2.INGESTION_JOB_STATE_FAILED and job.error.message
    doc = (
        await kb.stub.GetDocument(
            documents_pb2.GetDocumentRequest(knowledge_base_id=made.id, document_id=done.document.id),
            metadata=ALICE,
        )
    ).document
    assert doc.status == resources_pb2.DOCUMENT_STATUS_FAILED and doc.failure_reason == job.error.message
    assert await _chunk_rows(kb, doc.id) == []
    async with kb.deps.sessions() as session:
        staged = await session.scalar(select(func.count()).where(staged_chunks.c.document_id == doc.id))
    assert staged == 0


async def test_reindex_keeps_the_document_searchable_and_delete_removes_it(kb: Service) -> None:
    made = await create_kb(kb, name="reindex", chunking=SMALL)
    done = await upload(kb, made.id, "notes.txt", NOTES)
    await wait_job(kb, done.ingestion_job.id)
    before = await _chunk_rows(kb, done.document.id)
    again = await kb.stub.ReindexDocument(
        documents_pb2.ReindexDocumentRequest(knowledge_base_id=made.id, document_id=done.document.id),
        metadata=ALICE,
    )
    assert (await search(kb, "topic7", [made.id]))[0].chunk.document_id == done.document.id
    job = await wait_job(kb, again.ingestion_job.id)
    assert job.state == resources_pb2.INGESTION_JOB_STATE_SUCCEEDED
    assert await _chunk_rows(kb, done.document.id) == before
    await kb.stub.DeleteDocument(
        documents_pb2.DeleteDocumentRequest(knowledge_base_id=made.id, document_id=done.document.id),
        metadata=ALICE,
    )
    assert await search(kb, "topic7", [made.id]) == []
    stats = (
        await kb.stub.GetKnowledgeBase(
            knowledge_bases_pb2.GetKnowledgeBaseRequest(knowledge_base_id=made.id), metadata=ALICE
        )
    ).knowledge_base
    assert (stats.document_count, stats.chunk_count, stats.size_bytes) == (0, 0, 0)


async def test_cancelling_a_running_job_fails_the_document(kb_settings: Settings) -> None:
    service = await open_service(kb_settings, embedder=HashEmbedder(delay=0.3))
    try:
        made = await create_kb(service, name="cancel", chunking=SMALL)
        done = await upload(service, made.id, "notes.txt", NOTES * 3)
        while True:
            job = (
                await service.stub.GetIngestionJob(
                    documents_pb2.GetIngestionJobRequest(ingestion_job_id=done.ingestion_job.id),
                    metadata=ALICE,
                )
            ).ingestion_job
            if job.chunks_embedded > 0:
                break
            await asyncio.sleep(0.05)
        cancelled = await service.stub.CancelIngestionJob(
            documents_pb2.CancelIngestionJobRequest(ingestion_job_id=done.ingestion_job.id), metadata=ALICE
        )
        assert cancelled.ingestion_job.state == resources_pb2.INGESTION_JOB_STATE_CANCELLED
        final = await wait_job(service, done.ingestion_job.id)
        assert final.state == resources_pb2.INGESTION_JOB_STATE_CANCELLED
        assert await _chunk_rows(service, done.document.id) == []
    finally:
        await close_service(service)
