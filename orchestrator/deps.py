"""What orchestrator's servicer mixins need, built once by `orchestrator/assembly.py` (or by a test).

Areas may add fields for what they need (one line each, with a default when they can)
and construct them in assembly.open_deps. ``tools`` and ``agents`` are filled by orch-tools;
while they are None, turns naming tools or an agent fail with FAILED_PRECONDITION.
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
    tools: ToolRegistryLike | None = None  # orch-tools: orchestrator.tools.registry.ToolRegistry
    agents: AgentLookup | None = None  # orch-tools: orchestrator.agents store
    runtime: GenerationRuntime | None = None  # orch-gen: queue, running turns, cross-instance cancel
