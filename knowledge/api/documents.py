"""Document RPCs besides upload: get, list, update labels, delete, re-index, list chunks."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

from chatmesh.knowledge.v1 import documents_pb2, resources_pb2

from knowledge.api.access import readable_kb, writable_kb
from knowledge.api.caller import caller
from knowledge.api.convert import DOCUMENT_STATUS, chunk_to_proto, document_to_proto, job_to_proto
from knowledge.api.pages import Page
from knowledge.api.uploads import check_labels
from knowledge.domain.ids import parse_id
from knowledge.ingestion.submit import announce, queue_reindex
from knowledge.store import chunks as chunk_store
from knowledge.store import documents as doc_store
from knowledge.store import knowledge_bases as kb_store
from mesh.authz import require
from mesh.errors import FieldViolation, InvalidArgument, NotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from knowledge.deps import KnowledgeDeps

__all__ = ["DocumentsApi"]

_STATUS_NAMES = {number: name for name, number in DOCUMENT_STATUS.items()}


def _ids(request: Any) -> tuple[uuid.UUID, uuid.UUID]:
    return parse_id(request.knowledge_base_id, "knowledge_base_id"), parse_id(
        request.document_id, "document_id"
    )


async def _document(
    session: AsyncSession, kb_id: uuid.UUID, doc_id: uuid.UUID, *, for_update: bool = False
) -> Any:
    row = await doc_store.get_document(session, kb_id, doc_id, for_update=for_update)
    if row is None:
        raise NotFound("document not found", reason="DOCUMENT_NOT_FOUND", metadata={"id": str(doc_id)})
    return row


class DocumentsApi:
    deps: KnowledgeDeps

    async def GetDocument(
        self, request: documents_pb2.GetDocumentRequest, context: object
    ) -> documents_pb2.GetDocumentResponse:
        await require("documents:read")
        kb_id, doc_id = _ids(request)
        async with self.deps.sessions() as session:
            await readable_kb(session, caller(), kb_id)
            row = await _document(session, kb_id, doc_id)
        return documents_pb2.GetDocumentResponse(document=document_to_proto(row))

    async def ListDocuments(
        self, request: documents_pb2.ListDocumentsRequest, context: object
    ) -> documents_pb2.ListDocumentsResponse:
        await require("documents:read")
        kb_id = parse_id(request.knowledge_base_id, "knowledge_base_id")
        page = Page.of(request, self.deps.config)
        async with self.deps.sessions() as session:
            await readable_kb(session, caller(), kb_id)
            rows = await doc_store.list_documents(
                session, kb_id, status=_STATUS_NAMES.get(request.status), offset=page.offset, limit=page.limit
            )
        return documents_pb2.ListDocumentsResponse(
            documents=page.items(rows, document_to_proto), next_page_token=page.next_token(rows)
        )

    async def UpdateDocument(
        self, request: documents_pb2.UpdateDocumentRequest, context: object
    ) -> documents_pb2.UpdateDocumentResponse:
        await require("documents:update")
        kb_id, doc_id = _ids(request)
        document: resources_pb2.Document = request.document
        paths = list(request.update_mask.paths) or [
            f.name for f, _ in document.ListFields() if f.name in ("title", "metadata", "tags")
        ]
        values: dict[str, Any] = {}
        bad: list[FieldViolation] = []
        for path in paths:
            if path == "title":
                if len(document.title) > 500:
                    bad.append(FieldViolation("document.title", "at most 500 characters"))
                values["title"] = document.title.strip()
            elif path in ("metadata", "tags"):
                values[path] = (
                    dict(document.metadata) if path == "metadata" else list(dict.fromkeys(document.tags))
                )
            else:
                bad.append(FieldViolation("update_mask", f"{path!r} is not a writable field"))
        bad += check_labels(list(document.tags), dict(document.metadata), "document.")
        if not paths:
            bad.append(FieldViolation("update_mask", "names no writable field"))
        if bad:
            raise InvalidArgument("invalid document update", bad)
        async with self.deps.sessions.begin() as session:
            await writable_kb(session, caller(), kb_id)
            await _document(session, kb_id, doc_id, for_update=True)
            row = await doc_store.update_document(session, doc_id, values)
        return documents_pb2.UpdateDocumentResponse(document=document_to_proto(row))

    async def DeleteDocument(
        self, request: documents_pb2.DeleteDocumentRequest, context: object
    ) -> documents_pb2.DeleteDocumentResponse:
        await require("documents:delete")
        kb_id, doc_id = _ids(request)
        async with self.deps.sessions.begin() as session:
            await writable_kb(session, caller(), kb_id, for_update=True)
            row = await _document(session, kb_id, doc_id, for_update=True)
            await doc_store.delete_document(session, doc_id)
            await kb_store.add_stats(
                session,
                kb_id,
                docs=-1,
                chunks=-row["chunk_count"],
                tokens=-row["token_count"],
                size=-row["size_bytes"],
            )
        with contextlib.suppress(OSError):
            await self.deps.originals.delete(row["storage_key"])
        return documents_pb2.DeleteDocumentResponse()

    async def ReindexDocument(
        self, request: documents_pb2.ReindexDocumentRequest, context: object
    ) -> documents_pb2.ReindexDocumentResponse:
        await require("documents:update")
        kb_id, doc_id = _ids(request)
        async with self.deps.sessions.begin() as session:
            await writable_kb(session, caller(), kb_id)
            doc = await _document(session, kb_id, doc_id, for_update=True)
            job = await queue_reindex(session, doc)
        await announce(self.deps, job["id"])
        return documents_pb2.ReindexDocumentResponse(ingestion_job=job_to_proto(job))

    async def ListChunks(
        self, request: documents_pb2.ListChunksRequest, context: object
    ) -> documents_pb2.ListChunksResponse:
        await require("documents:read")
        kb_id, doc_id = _ids(request)
        page = Page.of(request, self.deps.config)
        async with self.deps.sessions() as session:
            await readable_kb(session, caller(), kb_id)
            await _document(session, kb_id, doc_id)
            rows = await chunk_store.list_chunks(session, doc_id, offset=page.offset, limit=page.limit)
        return documents_pb2.ListChunksResponse(
            chunks=page.items(rows, chunk_to_proto), next_page_token=page.next_token(rows)
        )
