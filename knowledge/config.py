"""knowledge's own knobs (env prefix ``CHATMESH_KNOWLEDGE_``), all with working defaults.

Kept apart from mesh.config so tuning ingestion or search never touches the shared settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["KnowledgeSettings"]


class KnowledgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATMESH_KNOWLEDGE_", extra="ignore")

    # Embedding model of a knowledge base created without one: "local" is the offline
    # model shipped as a wheel (no server, no download); anything else goes to model_router.
    default_embedding_model: str = "local/all-minilm-l6-v2"
    # Chunking defaults (tokens of cl100k_base).
    default_chunk_tokens: int = Field(default=512, ge=32, le=8192)
    default_overlap_tokens: int = Field(default=64, ge=0, le=2048)
    # Retrieval defaults.
    default_top_k: int = Field(default=5, ge=1, le=50)
    max_top_k: int = Field(default=50, ge=1)
    # Reciprocal rank fusion constant (the k of 1 / (k + rank)); 60 is the published default.
    rrf_k: int = Field(default=60, ge=1)
    # Candidates each ranking contributes to fusion: max(top_k * factor, floor).
    candidate_factor: int = Field(default=4, ge=1)
    candidate_floor: int = Field(default=40, ge=1)
    # HNSW search breadth (pgvector hnsw.ef_search); see knowledge/store/vectors.py.
    hnsw_ef_search: int = Field(default=100, ge=10, le=1000)

    # Where originals are kept: a directory (default: <data_dir>/knowledge/originals). The store is
    # one interface (knowledge.originals.OriginalStore); an S3-compatible backend is not built yet,
    # so the only accepted value is "filesystem" and any other stops the start naming this setting.
    storage_backend: Literal["filesystem"] = "filesystem"
    storage_path: Path | None = None

    # Upload limits and the per-tenant storage quota (bytes of originals).
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    tenant_quota_bytes: int = Field(default=1024 * 1024 * 1024, ge=0)
    max_documents_per_kb: int = Field(default=100_000, ge=1)

    # Ingestion workers (Redis Streams consumer group inside the service).
    ingest_workers: int = Field(default=2, ge=0, le=64)
    # A running job not heartbeated for this long is taken over by another worker (crash).
    job_lease_seconds: float = Field(default=60.0, gt=0)
    # Seconds between sweeps that re-queue jobs whose queue message or worker was lost.
    sweep_interval_seconds: float = Field(default=15.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    retry_backoff_seconds: float = Field(default=2.0, ge=0)
    embed_batch_size: int = Field(default=64, ge=1, le=2048)

    # URL import: hosts the fetcher may reach, and its limits.
    url_allowed_domains: list[str] = Field(default_factory=list)
    url_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    url_timeout_seconds: float = Field(default=20.0, gt=0)

    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=500, ge=1)
    max_name_chars: int = Field(default=200, ge=1)
    max_description_chars: int = Field(default=4000, ge=0)
    max_query_chars: int = Field(default=4000, ge=1)

    def originals_path(self, data_dir: Path) -> Path:
        return self.storage_path or data_dir / "knowledge" / "originals"
