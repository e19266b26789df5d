"""Knowledge bases, documents, staged and searchable chunks (pgvector HNSW + full text), ingestion jobs.

The HNSW index for 384 dimensions (the local default embedder) is created here; other sizes
get theirs when a knowledge base of that size is created (knowledge/store/vectors.py).
m = 16, ef_construction = 64 are pgvector's defaults: on 100k chunks they give recall@10
above 0.95 with ef_search = 100 (bench/knowledge_search.py measures it) at a build cost
ingestion can afford on two cores; raising m mostly costs memory and build time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

# ruff: noqa: E501 - DDL reads better unwrapped
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK_COLUMNS = """
    knowledge_base_id uuid NOT NULL
        CONSTRAINT fk_{t}_knowledge_base_id_knowledge_bases REFERENCES knowledge.knowledge_bases (id) ON DELETE CASCADE,
    tenant_id text NOT NULL,
    generation integer NOT NULL,
    chunk_index integer NOT NULL,
    content text NOT NULL,
    token_count integer NOT NULL,
    page integer,
    heading text NOT NULL,
    start_offset bigint NOT NULL,
    end_offset bigint NOT NULL,
    dims integer NOT NULL,
    embedding public.vector NOT NULL,
    search_vector tsvector NOT NULL
"""

_UPGRADE = [
    """
CREATE TABLE knowledge.knowledge_bases (
    id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT pk_knowledge_bases PRIMARY KEY,
    tenant_id text NOT NULL,
    owner_id text NOT NULL,
    name text NOT NULL,
    description text DEFAULT '' NOT NULL,
    embedding_model text NOT NULL,
    embedding_dimensions integer NOT NULL,
    chunking jsonb DEFAULT '{}'::jsonb NOT NULL,
    retrieval jsonb DEFAULT '{}'::jsonb NOT NULL,
    shared_user_ids text[] DEFAULT '{}'::text[] NOT NULL,
    shared_roles text[] DEFAULT '{}'::text[] NOT NULL,
    document_count integer DEFAULT 0 NOT NULL,
    chunk_count bigint DEFAULT 0 NOT NULL,
    token_count bigint DEFAULT 0 NOT NULL,
    size_bytes bigint DEFAULT 0 NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL
)""",
    "CREATE INDEX ix_knowledge_bases_tenant_id_created_at ON knowledge.knowledge_bases (tenant_id, created_at, id)",
    """
CREATE TABLE knowledge.documents (
    id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT pk_documents PRIMARY KEY,
    knowledge_base_id uuid NOT NULL
        CONSTRAINT fk_documents_knowledge_base_id_knowledge_bases REFERENCES knowledge.knowledge_bases (id) ON DELETE CASCADE,
    tenant_id text NOT NULL,
    filename text DEFAULT '' NOT NULL,
    title text DEFAULT '' NOT NULL,
    mime_type text DEFAULT '' NOT NULL,
    size_bytes bigint NOT NULL,
    sha256 text NOT NULL,
    storage_key text NOT NULL,
    status text DEFAULT 'pending' NOT NULL,
    chunk_count integer DEFAULT 0 NOT NULL,
    token_count bigint DEFAULT 0 NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    source_uri text DEFAULT '' NOT NULL,
    ingestion_job_id uuid,
    failure_reason text DEFAULT '' NOT NULL,
    generation integer DEFAULT 0 NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT uq_documents_knowledge_base_id_sha256 UNIQUE (knowledge_base_id, sha256)
)""",
    "CREATE INDEX ix_documents_knowledge_base_id_created_at ON knowledge.documents (knowledge_base_id, created_at, id)",
    "CREATE INDEX ix_documents_tenant_id ON knowledge.documents (tenant_id)",
    """
CREATE TABLE knowledge.chunks (
    id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT pk_chunks PRIMARY KEY,
    document_id uuid NOT NULL
        CONSTRAINT fk_chunks_document_id_documents REFERENCES knowledge.documents (id) ON DELETE CASCADE,
"""
    + _CHUNK_COLUMNS.format(t="chunks")
    + """,
    CONSTRAINT uq_chunks_document_id_chunk_index UNIQUE (document_id, chunk_index)
)""",
    "CREATE INDEX ix_chunks_knowledge_base_id ON knowledge.chunks (knowledge_base_id)",
    "CREATE INDEX ix_chunks_search_vector ON knowledge.chunks USING gin (search_vector)",
    "CREATE INDEX ix_chunks_embedding_384 ON knowledge.chunks USING hnsw ((embedding::vector(384)) vector_cosine_ops)"
    " WITH (m = 16, ef_construction = 64) WHERE dims = 384",
    """
CREATE TABLE knowledge.staged_chunks (
    document_id uuid NOT NULL
        CONSTRAINT fk_staged_chunks_document_id_documents REFERENCES knowledge.documents (id) ON DELETE CASCADE,
"""
    + _CHUNK_COLUMNS.format(t="staged_chunks")
    + """,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    CONSTRAINT uq_staged_chunks_document_id_generation_chunk_index UNIQUE (document_id, generation, chunk_index)
)""",
    """
CREATE TABLE knowledge.ingestion_jobs (
    id uuid DEFAULT gen_random_uuid() NOT NULL CONSTRAINT pk_ingestion_jobs PRIMARY KEY,
    knowledge_base_id uuid NOT NULL
        CONSTRAINT fk_ingestion_jobs_knowledge_base_id_knowledge_bases
        REFERENCES knowledge.knowledge_bases (id) ON DELETE CASCADE,
    document_id uuid NOT NULL
        CONSTRAINT fk_ingestion_jobs_document_id_documents REFERENCES knowledge.documents (id) ON DELETE CASCADE,
    tenant_id text NOT NULL,
    generation integer NOT NULL,
    state text DEFAULT 'queued' NOT NULL,
    stage text DEFAULT '' NOT NULL,
    chunks_total integer DEFAULT 0 NOT NULL,
    chunks_embedded integer DEFAULT 0 NOT NULL,
    progress double precision DEFAULT 0 NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    error_code text DEFAULT '' NOT NULL,
    error_message text DEFAULT '' NOT NULL,
    lease_until timestamptz,
    not_before timestamptz DEFAULT now() NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    started_at timestamptz,
    ended_at timestamptz
)""",
    "CREATE INDEX ix_ingestion_jobs_knowledge_base_id_created_at"
    " ON knowledge.ingestion_jobs (knowledge_base_id, created_at, id)",
    "CREATE INDEX ix_ingestion_jobs_open ON knowledge.ingestion_jobs (updated_at)"
    " WHERE state IN ('queued', 'running')",
]


def upgrade() -> None:
    for statement in _UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for table in ("ingestion_jobs", "staged_chunks", "chunks", "documents", "knowledge_bases"):
        op.execute(f"DROP TABLE IF EXISTS knowledge.{table} CASCADE")
