"""Ingestion job RPCs: get, list, watch (server-streaming until the job ends), cancel."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from chatmesh.knowledge.v1 import documents_pb2

from knowledge.api.access import readable_kb, writable_kb
from knowledge.api.caller import caller
from knowledge.api.convert import JOB_STATE, job_to_proto
from knowledge.api.pages import Page
from knowledge.domain import jobs as states
from knowledge.domain.access import Reader
from knowledge.domain.ids import parse_id
from knowledge.store import chunks as chunk_store
from knowledge.store import documents as doc_store
from knowledge.store import jobs as job_store
from mesh.authz import require
from mesh.errors import NotFound

if TYPE_CHECKING:
    from knowledge.deps import KnowledgeDeps

__all__ = ["JobsApi"]

_STATE_NAMES = {number: name for name, number in JOB_STATE.items()}
WATCH_POLL_SECONDS = 0.25


def _not_found(job_id: uuid.UUID) -> NotFound:
    return NotFound("ingestion job not found", reason="INGESTION_JOB_NOT_FOUND", metadata={"id": str(job_id)})


class JobsApi:
    deps: KnowledgeDeps

    async def _job(self, who: Reader, job_id: uuid.UUID) -> Any:
        async with self.deps.sessions() as session:
            job = await job_store.get_job(session, job_id)
            if job is None or job["tenant_id"] != who.tenant_id:
                raise _not_found(job_id)
            try:
                await readable_kb(session, who, job["knowledge_base_id"])
            except NotFound:
                raise _not_found(job_id) from None
        return job

    async def GetIngestionJob(
        self, request: documents_pb2.GetIngestionJobRequest, context: object
    ) -> documents_pb2.GetIngestionJobResponse:
        await require("documents:read")
        job = await self._job(caller(), parse_id(request.ingestion_job_id, "ingestion_job_id"))
        return documents_pb2.GetIngestionJobResponse(ingestion_job=job_to_proto(job))

    async def ListIngestionJobs(
        self, request: documents_pb2.ListIngestionJobsRequest, context: object
    ) -> documents_pb2.ListIngestionJobsResponse:
        await require("documents:read")
        kb_id = parse_id(request.knowledge_base_id, "knowledge_base_id")
        page = Page.of(request, self.deps.config)
        async with self.deps.sessions() as session:
            await readable_kb(session, caller(), kb_id)
            rows = await job_store.list_jobs(
                session, kb_id, state=_STATE_NAMES.get(request.state), offset=page.offset, limit=page.limit
            )
        return documents_pb2.ListIngestionJobsResponse(
            ingestion_jobs=page.items(rows, job_to_proto), next_page_token=page.next_token(rows)
        )

    async def WatchIngestionJob(
        self, request: documents_pb2.WatchIngestionJobRequest, context: object
    ) -> AsyncIterator[documents_pb2.WatchIngestionJobResponse]:
        """The job now, then on every change, until it ends (polling the row: cheap, and it
        sees changes made by any instance)."""
        await require("documents:read")
        job_id = parse_id(request.ingestion_job_id, "ingestion_job_id")
        job = await self._job(caller(), job_id)
        last = None
        while True:
            shown = job_to_proto(job)
            if shown != last:
                yield documents_pb2.WatchIngestionJobResponse(ingestion_job=shown)
                last = shown
            if job["state"] in states.FINISHED:
                return
            await asyncio.sleep(WATCH_POLL_SECONDS)
            async with self.deps.sessions() as session:
                job = await job_store.get_job(session, job_id)
            if job is None:
                raise _not_found(job_id)

    async def CancelIngestionJob(
        self, request: documents_pb2.CancelIngestionJobRequest, context: object
    ) -> documents_pb2.CancelIngestionJobResponse:
        await require("documents:update")
        who = caller()
        job_id = parse_id(request.ingestion_job_id, "ingestion_job_id")
        job = await self._job(who, job_id)
        async with self.deps.sessions.begin() as session:
            await writable_kb(session, who, job["knowledge_base_id"])
            job = await job_store.get_job(session, job_id, for_update=True)
            if job is None:
                raise _not_found(job_id)
            if job["state"] in states.OPEN:
                finished = await job_store.finish(
                    session,
                    job_id,
                    states.CANCELLED,
                    error_code="CANCELLED",
                    error_message="cancelled by the user",
                )
                job = finished if finished is not None else job
                doc = await doc_store.get_document_by_id(session, job["document_id"], for_update=True)
                if doc is not None and doc["generation"] == 0:
                    await doc_store.update_document(
                        session, doc["id"], {"status": "failed", "failure_reason": "ingestion was cancelled"}
                    )
                await chunk_store.discard_staged(session, job["document_id"])
        return documents_pb2.CancelIngestionJobResponse(ingestion_job=job_to_proto(job))
