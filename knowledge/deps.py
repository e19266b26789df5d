"""What knowledge's servicer mixins and workers need, built once by knowledge/assembly.py (or a test)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from knowledge.config import KnowledgeSettings

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from knowledge.ingestion.embedders import Embedders
    from knowledge.ingestion.queue import JobQueue
    from knowledge.ingestion.urls import UrlFetcher
    from knowledge.originals import OriginalStore
    from mesh.clients import ServiceClients
    from mesh.config import Settings


@dataclass
class KnowledgeDeps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    originals: OriginalStore
    embedders: Embedders
    clients: ServiceClients | None = None
    config: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    queue: JobQueue | None = None
    fetcher: UrlFetcher | None = None
