"""What orchestrator's servicer mixins need, built once by `orchestrator/assembly.py` (or by a test).

A feature adds a field for what it needs (one line, with a default when it can) and
constructs it in assembly.open_deps. While ``tools`` or ``agents`` is None (a test that
does not need them), turns naming tools or an agent fail with FAILED_PRECONDITION.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator.config import OrchestratorSettings

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from mesh.clients import ServiceClients
    from mesh.config import Settings
    from orchestrator.generation.ports import AgentLookup, ToolRegistryLike
    from orchestrator.generation.runtime import GenerationRuntime


@dataclass
class OrchestratorDeps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis | None
    clients: ServiceClients | None
    config: OrchestratorSettings = field(default_factory=OrchestratorSettings)
    tools: ToolRegistryLike | None = None  # orchestrator.tools.registry.ToolRegistry
    agents: AgentLookup | None = None  # orchestrator.agents.lookup.AgentStore
    runtime: GenerationRuntime | None = None  # queue, running turns, cross-instance cancel
