"""The one place orchestrator is wired: settings → dependencies → servicer (used by __main__ and tests).

:func:`build` is what ``python -m orchestrator`` serves: shared resources from mesh.wiring
(engine, Redis, the service clients to model_router, conversation and knowledge, which
forward the caller's credentials). Resources are created here (never at import) and
released after the last RPC drained.

:func:`open_deps` builds the dependencies from an engine, a Redis client and service clients
the caller owns; what it builds that needs closing (the generation runtime: cancel listener,
lease renewal, instance heartbeat) is closed by :func:`close_deps`.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import session_factory
from mesh.secrets import secret_box
from mesh.server import ServiceParts
from mesh.wiring import Assembled, Resources, build_service
from orchestrator import api
from orchestrator.agents.lookup import AgentStore
from orchestrator.config import OrchestratorSettings, stdio_policy
from orchestrator.deps import OrchestratorDeps
from orchestrator.generation.runtime import GenerationRuntime
from orchestrator.tools.builtins import builtin_tools
from orchestrator.tools.mcp_catalog import McpCatalog
from orchestrator.tools.registry import ToolRegistry

__all__ = ["build", "build_tool_registry", "close_deps", "open_deps"]


def build_tool_registry(
    settings: Settings, config: OrchestratorSettings, engine: AsyncEngine, clients: ServiceClients | None
) -> ToolRegistry:
    """Built-ins plus each tenant's MCP tools; knowledge search goes through ``clients`` when given.

    Nothing here holds a connection or a task: MCP sessions are opened per operation, and
    knowledge's stub is taken from the service clients when a search runs.
    """
    knowledge = (lambda: clients.stub("knowledge")) if clients is not None else None
    catalog = McpCatalog(
        engine,
        secret_box(settings),
        ttl=config.mcp_list_ttl_seconds,
        private_hosts=config.mcp_private_hosts,
        stdio=stdio_policy(config),
    )
    return ToolRegistry(builtin_tools(config, knowledge), catalog)


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


async def assemble(res: Resources) -> Assembled:
    """OrchestratorDeps (CHATMESH_ORCHESTRATOR_* read from the environment) and the servicer."""
    deps = await open_deps(res.settings, res.engine, res.redis, res.service_clients())
    res.stack.push_async_callback(close_deps, deps)
    return Assembled(bindings=[api.binding(deps)])


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring) plus the orchestrator servicer."""
    return await build_service(settings, "orchestrator", assemble)
