"""Agents as the turn runner reads them (orchestrator.generation.ports.AgentLookup).

Nothing is cached: a turn reads the agent when it starts, so an update applies from
the next turn on every instance.
"""

from __future__ import annotations

from chatmesh.orchestrator.v1 import agents_pb2
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.agents.messages import agent_message
from orchestrator.store import agents as store

__all__ = ["AgentStore"]


class AgentStore:
    """Reads one agent of a tenant per call, as its protobuf message."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, tenant_id: str, agent_id: str) -> agents_pb2.Agent:
        """The agent of this tenant; NotFound for another tenant's or a malformed id."""
        parsed = store.parse_agent_id(agent_id)
        if parsed is None:
            raise store.not_found(agent_id)
        async with self._engine.connect() as conn:
            row = await store.get_agent(conn, tenant_id, parsed)
        if row is None:
            raise store.not_found(agent_id)
        return agent_message(row)
