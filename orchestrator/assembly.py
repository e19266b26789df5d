"""Building orchestrator's dependencies from an engine, a Redis client and service clients.

Shared by __main__ and tests. Engine, Redis and clients are created and closed by the
caller; what this builds that needs closing (the cross-instance cancel listener) is
closed by :func:`close_deps`.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import session_factory
from orchestrator.config import OrchestratorSettings
from orchestrator.deps import OrchestratorDeps
from orchestrator.generation.runtime import GenerationRuntime
from orchestrator.store.agents import AgentStore
from orchestrator.tools.setup import build_tool_registry

__all__ = ["close_deps", "open_deps"]


async def open_deps(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis | None,
    clients: ServiceClients | None = None,
    *,
    config: OrchestratorSettings | None = None,
) -> OrchestratorDeps:
    """Dependencies with the generation runtime listening for cancels before the first RPC arrives."""
    config = config or OrchestratorSettings()
    runtime = GenerationRuntime(config, redis)
    await runtime.start()
    return OrchestratorDeps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        redis=redis,
        clients=clients,
        config=config,
        tools=build_tool_registry(settings, config, engine, clients),
        agents=AgentStore(engine),
        runtime=runtime,
    )


async def close_deps(deps: OrchestratorDeps) -> None:
    if deps.runtime is not None:
        await deps.runtime.close()
