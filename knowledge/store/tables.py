"""knowledge's tables (schema ``knowledge``), mirroring ``knowledge/migrations``.

Chunks keep their vector in an unconstrained ``vector`` column with its size in ``dims``:
knowledge bases embedded with different models (384, 768, 1536 ... dimensions) share one
table, and each size gets its own partial HNSW expression index
(``(embedding::vector(N)) vector_cosine_ops WHERE dims = N``; ``halfvec`` past 2,000
dimensions), created when the first knowledge base of that size appears
(knowledge/store/vectors.py). A query casts the same way and repeats the predicate, so the
planner uses the index of its size.

An ingestion job writes into ``staged_chunks`` (no vector index, keyed by document,
generation and position, so a retried or resumed job rewrites nothing twice) and moves the
finished set into ``chunks`` in one transaction: a document is searchable completely or not
at all, and a re-index keeps the old chunks searchable until the new ones replace them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    cast,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.types import UserDefinedType

from mesh.db import outbox_table, service_metadata

__all__ = [
    "chunks",
    "documents",
    "ingestion_jobs",
    "knowledge_bases",
    "metadata",
    "outbox",
    "staged_chunks",
]

metadata = service_metadata("knowledge")
outbox = outbox_table(metadata)


class Vector(UserDefinedType[list[float]]):
    """pgvector's ``vector`` without a fixed size (values travel as text and are cast in SQL)."""

    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "vector"


class _Vector384(Vector):
    """The cast the 384-dimension index is built on (knowledge/store/vectors.py makes the others)."""

    def get_col_spec(self, **kw: object) -> str:
        return "vector(384)"


# Reflection (Alembic's comparison of these tables with the migrated schema) knows the type.
ischema_names.setdefault("vector", Vector)


def _uuid_pk() -> Column[uuid.UUID]:
    return Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _now(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


def _kb_fk() -> Column[uuid.UUID]:
    return Column(
        "knowledge_base_id",
        UUID(as_uuid=True),
        ForeignKey("knowledge.knowledge_bases.id", ondelete="CASCADE"),
        nullable=False,
    )


def _doc_fk() -> Column[uuid.UUID]:
    return Column(
        "document_id",
        UUID(as_uuid=True),
        ForeignKey("knowledge.documents.id", ondelete="CASCADE"),
        nullable=False,
    )


knowledge_bases = Table(
    "knowledge_bases",
    metadata,
    _uuid_pk(),
    Column("tenant_id", Text, nullable=False),
    Column("owner_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("embedding_model", Text, nullable=False),
    Column("embedding_dimensions", Integer, nullable=False),
    Column("chunking", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("retrieval", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("shared_user_ids", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("shared_roles", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("document_count", Integer, nullable=False, server_default=text("0")),
    Column("chunk_count", BigInteger, nullable=False, server_default=text("0")),
    Column("token_count", BigInteger, nullable=False, server_default=text("0")),
    Column("size_bytes", BigInteger, nullable=False, server_default=text("0")),
    _now("created_at"),
    _now("updated_at"),
    Index("ix_knowledge_bases_tenant_id_created_at", "tenant_id", "created_at", "id"),
)

documents = Table(
    "documents",
    metadata,
    _uuid_pk(),
    _kb_fk(),
    Column("tenant_id", Text, nullable=False),
    Column("filename", Text, nullable=False, server_default=""),
    Column("title", Text, nullable=False, server_default=""),
    Column("mime_type", Text, nullable=False, server_default=""),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("storage_key", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("chunk_count", Integer, nullable=False, server_default=text("0")),
    Column("token_count", BigInteger, nullable=False, server_default=text("0")),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("source_uri", Text, nullable=False, server_default=""),
    Column("ingestion_job_id", UUID(as_uuid=True), nullable=True),
    Column("failure_reason", Text, nullable=False, server_default=""),
    # The chunk generation now searchable (0: none yet); a job builds generation + 1.
    Column("generation", Integer, nullable=False, server_default=text("0")),
    _now("created_at"),
    _now("updated_at"),
    UniqueConstraint("knowledge_base_id", "sha256"),
    Index("ix_documents_knowledge_base_id_created_at", "knowledge_base_id", "created_at", "id"),
    Index("ix_documents_tenant_id", "tenant_id"),
)

_CHUNK_COLUMNS = (
    ("tenant_id", Text),
    ("generation", Integer),
    ("chunk_index", Integer),
    ("content", Text),
    ("token_count", Integer),
    ("page", Integer),
    ("heading", Text),
    ("start_offset", BigInteger),
    ("end_offset", BigInteger),
    ("dims", Integer),
)


def _chunk_columns() -> list[Column[object]]:
    cols: list[Column[object]] = [
        Column(name, kind, nullable=name == "page") for name, kind in _CHUNK_COLUMNS
    ]
    cols += [Column("embedding", Vector(), nullable=False), Column("search_vector", TSVECTOR, nullable=False)]
    return cols


chunks = Table(
    "chunks",
    metadata,
    _uuid_pk(),
    _doc_fk(),
    _kb_fk(),
    *_chunk_columns(),
    UniqueConstraint("document_id", "chunk_index"),
    Index("ix_chunks_knowledge_base_id", "knowledge_base_id"),
    Index("ix_chunks_search_vector", "search_vector", postgresql_using="gin"),
)

Index(
    "ix_chunks_embedding_384",
    cast(chunks.c.embedding, _Vector384()).label("embedding_384"),
    postgresql_ops={"embedding_384": "vector_cosine_ops"},
    postgresql_using="hnsw",
    postgresql_where=text("dims = 384"),
    postgresql_with={"m": 16, "ef_construction": 64},
)

staged_chunks = Table(
    "staged_chunks",
    metadata,
    _doc_fk(),
    _kb_fk(),
    *_chunk_columns(),
    Column("id", UUID(as_uuid=True), nullable=False, server_default=text("gen_random_uuid()")),
    UniqueConstraint("document_id", "generation", "chunk_index"),
)

ingestion_jobs = Table(
    "ingestion_jobs",
    metadata,
    _uuid_pk(),
    _kb_fk(),
    _doc_fk(),
    Column("tenant_id", Text, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("state", Text, nullable=False, server_default="queued"),
    Column("stage", Text, nullable=False, server_default=""),
    Column("chunks_total", Integer, nullable=False, server_default=text("0")),
    Column("chunks_embedded", Integer, nullable=False, server_default=text("0")),
    Column("progress", Float, nullable=False, server_default=text("0")),
    Column("attempt", Integer, nullable=False, server_default=text("0")),
    Column("error_code", Text, nullable=False, server_default=""),
    Column("error_message", Text, nullable=False, server_default=""),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("not_before", DateTime(timezone=True), nullable=False, server_default=func.now()),
    _now("created_at"),
    _now("updated_at"),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Index("ix_ingestion_jobs_knowledge_base_id_created_at", "knowledge_base_id", "created_at", "id"),
    Index(
        "ix_ingestion_jobs_open",
        "updated_at",
        postgresql_where=text("state IN ('queued', 'running')"),
    ),
)
