"""UploadDocument (client-streaming) and ImportDocument (a URL): both end in ingestion.submit.accept.

The upload is spooled to a temporary file as it arrives (never held whole in memory);
declared size and SHA-256 are checked before anything is committed, and a refused or
broken upload leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from chatmesh.knowledge.v1 import documents_pb2

from knowledge.api.access import writable_kb
from knowledge.api.caller import caller
from knowledge.api.convert import document_to_proto, job_to_proto
from knowledge.domain.access import Reader
from knowledge.domain.ids import parse_id
from knowledge.ingestion.submit import NewDocument, accept
from knowledge.originals import SpooledUpload
from mesh.authz import require
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument

if TYPE_CHECKING:
    from knowledge.deps import KnowledgeDeps

__all__ = ["UploadsApi", "check_labels"]

MAX_CHUNK_BYTES = 1024 * 1024 + 1024
MAX_TAGS = 32
MAX_METADATA = 64


def check_labels(tags: list[str], metadata: dict[str, str], prefix: str) -> list[FieldViolation]:
    bad = []
    if len(tags) > MAX_TAGS or any(not t.strip() or len(t) > 64 for t in tags):
        bad.append(FieldViolation(f"{prefix}tags", f"at most {MAX_TAGS} tags of 1 to 64 characters"))
    if len(metadata) > MAX_METADATA or any(
        not k or len(k) > 64 or len(v) > 1024 for k, v in metadata.items()
    ):
        bad.append(
            FieldViolation(
                f"{prefix}metadata", f"at most {MAX_METADATA} keys of 1 to 64 characters, values up to 1024"
            )
        )
    return bad


def _check_metadata(meta: documents_pb2.DocumentUploadMetadata) -> None:
    bad = check_labels(list(meta.tags), dict(meta.metadata), "metadata.")
    filename = meta.filename.strip()
    if not filename or len(filename) > 255 or "/" in filename or "\\" in filename:
        bad.append(FieldViolation("metadata.filename", "a file name of 1 to 255 characters without slashes"))
    if len(meta.title) > 500:
        bad.append(FieldViolation("metadata.title", "at most 500 characters"))
    if meta.size_bytes < 0:
        bad.append(FieldViolation("metadata.size_bytes", "must not be negative"))
    if meta.sha256 and (
        len(meta.sha256) != 64 or any(c not in "0123456789abcdefABCDEF" for c in meta.sha256)
    ):
        bad.append(FieldViolation("metadata.sha256", "a hex SHA-256 (64 characters)"))
    if bad:
        raise InvalidArgument("invalid upload metadata", bad)


class UploadsApi:
    deps: KnowledgeDeps

    async def _receive(
        self, messages: AsyncIterator[documents_pb2.UploadDocumentRequest]
    ) -> tuple[documents_pb2.UploadDocumentRequest, SpooledUpload, Reader]:
        first = await anext(aiter(messages), None)
        if first is None or first.WhichOneof("payload") != "metadata":
            raise InvalidArgument(
                "the first message must carry the metadata", [FieldViolation("metadata", "required first")]
            )
        _check_metadata(first.metadata)
        who = caller()
        kb_id = parse_id(first.knowledge_base_id, "knowledge_base_id")
        async with self.deps.sessions() as session:
            await writable_kb(session, who, kb_id)
        limit = self.deps.config.max_upload_bytes
        declared = first.metadata.size_bytes
        if declared > limit:
            raise InvalidArgument(
                "the file is too large", [FieldViolation("metadata.size_bytes", f"at most {limit:,} bytes")]
            )
        upload = self.deps.originals.spool()
        try:
            async for message in messages:
                if message.WhichOneof("payload") != "chunk":
                    raise InvalidArgument(
                        "only the first message may carry metadata", [FieldViolation("metadata", "repeated")]
                    )
                if len(message.chunk) > MAX_CHUNK_BYTES:
                    raise InvalidArgument(
                        "a chunk is too large", [FieldViolation("chunk", "at most 1 MiB per message")]
                    )
                upload.write(message.chunk)
                if upload.size > limit:
                    raise InvalidArgument(
                        "the file is too large", [FieldViolation("chunk", f"at most {limit:,} bytes")]
                    )
            sha256 = await asyncio.to_thread(upload.finish)
        except BaseException:
            upload.discard()
            raise
        bad = []
        if upload.size == 0:
            bad.append(FieldViolation("chunk", "the file is empty"))
        if declared and declared != upload.size:
            bad.append(FieldViolation("metadata.size_bytes", f"declared {declared}, received {upload.size}"))
        if first.metadata.sha256 and first.metadata.sha256.lower() != sha256:
            bad.append(FieldViolation("metadata.sha256", "does not match the bytes received"))
        if bad:
            upload.discard()
            raise InvalidArgument("the upload is not what was declared", bad)
        return first, upload, who

    async def UploadDocument(
        self, request_iterator: AsyncIterator[documents_pb2.UploadDocumentRequest], context: object
    ) -> documents_pb2.UploadDocumentResponse:
        await require("documents:create")
        first, upload, who = await self._receive(request_iterator)
        meta = first.metadata
        new = NewDocument(
            knowledge_base_id=parse_id(first.knowledge_base_id, "knowledge_base_id"),
            tenant_id=who.tenant_id,
            filename=meta.filename.strip(),
            title=meta.title.strip(),
            mime_type=meta.mime_type or mimetypes.guess_type(meta.filename)[0] or "",
            sha256=upload.sha256,
            size_bytes=upload.size,
            metadata=dict(meta.metadata),
            tags=list(dict.fromkeys(t.strip() for t in meta.tags)),
            source_uri=meta.source_uri,
        )
        try:
            doc, job = await accept(self.deps, new, upload)
        finally:
            upload.discard()
        return documents_pb2.UploadDocumentResponse(
            document=document_to_proto(doc), ingestion_job=job_to_proto(job)
        )

    async def ImportDocument(
        self, request: documents_pb2.ImportDocumentRequest, context: object
    ) -> documents_pb2.ImportDocumentResponse:
        await require("documents:create")
        who = caller()
        kb_id = parse_id(request.knowledge_base_id, "knowledge_base_id")
        bad = check_labels(list(request.tags), dict(request.metadata), "")
        if not request.url or len(request.url) > 2048:
            bad.append(FieldViolation("url", "an http(s) URL of at most 2048 characters"))
        if bad:
            raise InvalidArgument("invalid import", bad)
        async with self.deps.sessions() as session:
            await writable_kb(session, who, kb_id)
        if self.deps.fetcher is None:
            raise FailedPrecondition("URL import is not enabled on this server", reason="URL_IMPORT_DISABLED")
        upload = self.deps.originals.spool()
        try:
            fetched = await self.deps.fetcher.fetch(request.url, upload)
            await asyncio.to_thread(upload.finish)
            if upload.size == 0:
                raise InvalidArgument("the URL returned no content", [FieldViolation("url", "empty body")])
            new = NewDocument(
                knowledge_base_id=kb_id,
                tenant_id=who.tenant_id,
                filename=fetched.filename,
                title=request.title.strip(),
                mime_type=fetched.media_type,
                sha256=upload.sha256,
                size_bytes=upload.size,
                metadata=dict(request.metadata),
                tags=list(dict.fromkeys(t.strip() for t in request.tags)),
                source_uri=fetched.url,
            )
            doc, job = await accept(self.deps, new, upload)
        finally:
            upload.discard()
        return documents_pb2.ImportDocumentResponse(
            document=document_to_proto(doc), ingestion_job=job_to_proto(job)
        )
