"""Building knowledge's dependencies from an engine and a Redis client: shared by __main__ and tests.

Engine, Redis and clients are created and closed by the caller; what this builds that
needs closing (the ingestion workers, the embedders) is closed by :func:`close_deps`.
"""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge.config import KnowledgeSettings
from knowledge.deps import KnowledgeDeps
from knowledge.ingestion.embedders import Embedders
from knowledge.ingestion.pipeline import Pipeline
from knowledge.ingestion.queue import JobQueue
from knowledge.ingestion.urls import UrlFetcher
from knowledge.originals import FilesystemStore, OriginalStore
from knowledge.store.embedding_cache import RedisCacheStore
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import session_factory

__all__ = ["close_deps", "open_deps"]


def _originals(config: KnowledgeSettings, data_dir: Path) -> OriginalStore:
    return FilesystemStore(config.originals_path(data_dir))


async def open_deps(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis,
    clients: ServiceClients | None = None,
    *,
    config: KnowledgeSettings | None = None,
    embedders: Embedders | None = None,
    workers: bool = True,
) -> KnowledgeDeps:
    """``workers=False`` leaves the ingestion workers unstarted (tests start them themselves)."""
    config = config or KnowledgeSettings()
    router = (lambda: clients.stub("model_router")) if clients is not None else None
    deps = KnowledgeDeps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        redis=redis,
        originals=_originals(config, settings.data_dir),
        embedders=embedders
        or Embedders(router, batch_size=config.embed_batch_size, cache=RedisCacheStore(redis)),
        clients=clients,
        config=config,
        fetcher=UrlFetcher(
            config.url_allowed_domains, max_bytes=config.url_max_bytes, timeout=config.url_timeout_seconds
        )
        if config.url_allowed_domains
        else None,
    )
    deps.queue = make_queue(deps)
    if workers:
        await deps.embedders.warm_up()
        await deps.queue.start()
    return deps


def make_queue(deps: KnowledgeDeps, consumer: str | None = None) -> JobQueue:
    """The job queue whose workers run ingestion.pipeline (re-announcing retries through itself)."""
    holder: list[JobQueue] = []

    async def kick(job_id: object, delay: float) -> None:
        await holder[0].kick(job_id, delay)  # type: ignore[arg-type]

    pipeline = Pipeline(deps, kick)
    queue = JobQueue(deps.redis, deps.sessions, deps.config, pipeline.run, consumer=consumer)
    holder.append(queue)
    return queue


async def close_deps(deps: KnowledgeDeps) -> None:
    """Releases what open_deps started."""
    if deps.queue is not None:
        await deps.queue.stop()
    await deps.embedders.close()
