"""Building conversation's dependencies from an engine and a Redis client: shared by __main__ and tests.

Engine, Redis and clients are created and closed by the caller; what this builds that
needs closing (the purge task) is closed by :func:`close_deps`.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.config import ConversationConfig
from conversation.deps import ConversationDeps
from conversation.generation.wiring import close_generations, open_generations
from conversation.purge import PurgeTask
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import session_factory

__all__ = ["close_deps", "open_deps"]


async def open_deps(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis | None,
    clients: ServiceClients | None = None,
    *,
    config: ConversationConfig | None = None,
    purge: bool = True,
) -> ConversationDeps:
    """``purge=False`` leaves the purge task unstarted (tests drive it with ``deps.purge.run_once``)."""
    deps = ConversationDeps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        redis=redis,
        clients=clients,
        config=config or ConversationConfig(),
    )
    deps.purge = PurgeTask(deps.sessions, deps.config)
    if purge:
        deps.purge.start()
    deps.generations = await open_generations(deps)  # conv-stream
    return deps


async def close_deps(deps: ConversationDeps) -> None:
    """Releases what open_deps started."""
    if deps.purge is not None:
        await deps.purge.stop()
    await close_generations(deps)  # conv-stream
