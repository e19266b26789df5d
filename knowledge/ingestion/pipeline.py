"""One ingestion job, top to bottom: claim → parse → chunk → embed (staged) → publish.

Restart-safe by construction: every embedded batch is staged with the progress write that
renews the lease, so a job taken over after a crash embeds only the chunks not staged yet;
publishing swaps the document's chunks in one transaction, so search sees all of them or
none. A document the parser rejects fails at once with the parser's reason; anything else
(model or database unavailable) is retried with backoff up to ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from knowledge.chunking import ChunkingSettings, chunk_document
from knowledge.deps import KnowledgeDeps
from knowledge.domain import jobs as states
from knowledge.domain.settings import ChunkingValues
from knowledge.embedding.base import EmbeddingError
from knowledge.ingestion import events
from knowledge.parsing import DocumentRejected, parse_document
from knowledge.search.text import cjk_lexemes
from knowledge.store import chunks as chunk_store
from knowledge.store import documents as doc_store
from knowledge.store import jobs as job_store
from knowledge.store import knowledge_bases as kb_store
from mesh.errors import DomainError

__all__ = ["Pipeline"]

log = logging.getLogger(__name__)


class _Stopped(Exception):
    """The job was cancelled or its document deleted while it ran."""


class Pipeline:
    def __init__(self, deps: KnowledgeDeps, kick: Callable[[uuid.UUID, float], Awaitable[None]]) -> None:
        self.deps = deps
        self._kick = kick

    async def run(self, job_id: uuid.UUID) -> None:
        config = self.deps.config
        async with self.deps.sessions.begin() as session:
            job = await job_store.claim(session, job_id, config.job_lease_seconds)
        if job is None:
            return  # finished, cancelled, not due yet, or running elsewhere
        if job["attempt"] > config.max_attempts:
            await self._fail(job, "ABORTED", f"gave up after {config.max_attempts} attempts", retry=False)
            return
        try:
            await self._ingest(job)
        except _Stopped:
            log.info("ingestion job stopped", extra={"job_id": str(job_id)})
        except DocumentRejected as exc:
            await self._fail(job, "INVALID_ARGUMENT", exc.reason, retry=False)
        except EmbeddingError as exc:
            retry = exc.retryable and job["attempt"] < config.max_attempts
            await self._fail(
                job, "UNAVAILABLE" if exc.retryable else "FAILED_PRECONDITION", str(exc), retry=retry
            )
        except asyncio.CancelledError:
            raise  # shutdown: the lease lapses and another worker resumes the job
        except Exception as exc:
            code, message = _describe(exc)
            log.warning("ingestion attempt failed", extra={"job_id": str(job_id), "error": message})
            await self._fail(job, code, message, retry=job["attempt"] < config.max_attempts)

    async def _progress(self, job: Any, **values: Any) -> None:
        async with self.deps.sessions.begin() as session:
            if not await job_store.record_progress(
                session, job["id"], self.deps.config.job_lease_seconds, **values
            ):
                raise _Stopped

    async def _ingest(self, job: Any) -> None:
        started = datetime.now(UTC)
        async with self.deps.sessions() as session:
            doc = await doc_store.get_document_by_id(session, job["document_id"])
            kb = await kb_store.get_kb(session, job["knowledge_base_id"], job["tenant_id"])
        if doc is None or kb is None:
            raise _Stopped
        data = await self.deps.originals.get(doc["storage_key"])
        parsed = await asyncio.to_thread(
            parse_document, data, filename=doc["filename"], media_type=doc["mime_type"] or None
        )
        del data
        chunking = ChunkingValues.from_json(kb["chunking"])
        pieces = await asyncio.to_thread(
            chunk_document,
            parsed,
            ChunkingSettings(chunking.chunk_tokens, chunking.overlap_tokens, chunking.separators or None),
        )
        if not pieces:
            raise DocumentRejected("the document contains no text to index")
        title = doc["title"] or parsed.title
        await self._embed(job, kb, pieces, title)
        await self._publish(job, kb, parsed_title=parsed.title, started=started)

    async def _embed(self, job: Any, kb: Any, pieces: list[Any], title: str) -> None:
        total = len(pieces)
        async with self.deps.sessions() as session:
            done = await chunk_store.staged_positions(session, job["document_id"], job["generation"])
        todo = [p for p in pieces if p.index not in done]
        embedded = total - len(todo)
        await self._progress(
            job,
            stage=states.EMBEDDING,
            chunks_total=total,
            chunks_embedded=embedded,
            progress=states.progress(states.EMBEDDING, embedded, total),
        )
        embedder = await self.deps.embedders.get(kb["embedding_model"], kb["embedding_dimensions"])
        size = self.deps.config.embed_batch_size
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            vectors = await embedder.embed([p.embedding_text(title) for p in batch])
            if len(vectors) != len(batch) or any(len(v) != kb["embedding_dimensions"] for v in vectors):
                raise RuntimeError(
                    f"the embedding model {kb['embedding_model']!r} returned vectors of another size "
                    f"than the knowledge base's {kb['embedding_dimensions']}"
                )
            rows = [_staged(job, p, v) for p, v in zip(batch, vectors, strict=True)]
            embedded += len(batch)
            async with self.deps.sessions.begin() as session:
                alive = await job_store.record_progress(
                    session,
                    job["id"],
                    self.deps.config.job_lease_seconds,
                    chunks_embedded=embedded,
                    progress=states.progress(states.EMBEDDING, embedded, total),
                )
                if not alive:
                    raise _Stopped
                await chunk_store.stage(session, rows)

    async def _publish(self, job: Any, kb: Any, *, parsed_title: str, started: datetime) -> None:
        async with self.deps.sessions.begin() as session:
            current = await job_store.get_job(session, job["id"], for_update=True)
            doc = await doc_store.get_document_by_id(session, job["document_id"], for_update=True)
            if current is None or current["state"] != states.RUNNING or doc is None:
                raise _Stopped
            count, tokens = await chunk_store.publish(session, doc["id"], job["generation"])
            await doc_store.update_document(
                session,
                doc["id"],
                {
                    "status": "ready",
                    "generation": job["generation"],
                    "chunk_count": count,
                    "token_count": tokens,
                    "failure_reason": "",
                    "title": doc["title"] or parsed_title,
                },
            )
            await kb_store.add_stats(
                session, kb["id"], chunks=count - doc["chunk_count"], tokens=tokens - doc["token_count"]
            )
            finished = await job_store.finish(
                session, job["id"], states.SUCCEEDED, stage=states.DONE, progress=100.0, chunks_total=count
            )
            await events.document_ingested(
                session,
                finished,
                chunks=count,
                tokens=tokens,
                size=doc["size_bytes"],
                model=kb["embedding_model"],
                took=datetime.now(UTC) - started,
            )

    async def _fail(self, job: Any, code: str, message: str, *, retry: bool) -> None:
        config = self.deps.config
        delay = states.retry_delay(job["attempt"], config.retry_backoff_seconds)
        async with self.deps.sessions.begin() as session:
            current = await job_store.get_job(session, job["id"], for_update=True)
            if current is None or current["state"] != states.RUNNING:
                return
            if retry:
                await job_store.set_state(
                    session,
                    job["id"],
                    state=states.QUEUED,
                    lease_until=None,
                    not_before=datetime.now(UTC) + timedelta(seconds=delay),
                    error_code=code,
                    error_message=message,
                )
            else:
                await _fail_for_good(session, current, code, message)
            await events.ingestion_failed(session, current, code=code, message=message, will_retry=retry)
        if retry:
            await self._kick(job["id"], delay)


async def _fail_for_good(session: Any, job: Any, code: str, message: str) -> None:
    """The job and (unless an older version stays searchable) the document are FAILED."""
    await job_store.finish(session, job["id"], states.FAILED, error_code=code, error_message=message)
    doc = await doc_store.get_document_by_id(session, job["document_id"], for_update=True)
    if doc is None:
        return
    status = doc["status"] if doc["generation"] > 0 else "failed"
    await doc_store.update_document(session, doc["id"], {"status": status, "failure_reason": message})
    await chunk_store.discard_staged(session, doc["id"])


def _staged(job: Any, piece: Any, vector: list[float]) -> chunk_store.StagedChunk:
    return chunk_store.StagedChunk(
        document_id=job["document_id"],
        knowledge_base_id=job["knowledge_base_id"],
        tenant_id=job["tenant_id"],
        generation=job["generation"],
        chunk_index=piece.index,
        content=piece.text,
        token_count=piece.token_count,
        page=piece.page,
        heading=" > ".join(piece.heading_path),
        start_offset=piece.char_start,
        end_offset=piece.char_end,
        embedding=vector,
        cjk_lexemes=cjk_lexemes(piece.text),
    )


def _describe(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, DomainError):
        return exc.code.name, exc.message
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc.code().name, exc.details() or exc.code().name
    return "UNAVAILABLE", f"{type(exc).__name__}: {exc}"
