"""The interfaces the turn runner drives, so it does not depend on how they are built.

``orchestrator.tools.registry.ToolRegistry`` and ``orchestrator.agents.lookup.AgentStore``
satisfy these structurally; tests pass small fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chatmesh.orchestrator.v1 import agents_pb2

__all__ = ["AgentLookup", "ToolOutcomeLike", "ToolRegistryLike", "ToolSpecLike"]


class ToolSpecLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def parameters(self) -> dict: ...  # type: ignore[type-arg]


class ToolOutcomeLike(Protocol):
    @property
    def status(self) -> str: ...  # "succeeded" | "failed" | "timed_out" | "rejected"
    @property
    def output(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def seconds(self) -> float: ...
    @property
    def citations(self) -> list[dict]: ...  # type: ignore[type-arg]


class ToolRegistryLike(Protocol):
    async def specs(self, tenant_id: str, names: Sequence[str]) -> Sequence[ToolSpecLike]:
        """Specs of the named tools; an unknown name raises InvalidArgument."""
        ...

    async def call(
        self,
        tenant_id: str,
        name: str,
        arguments_json: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the registry bounds each call itself (its interface)
    ) -> ToolOutcomeLike:
        """Runs one call; tool faults come back as an outcome, never as an exception."""
        ...


class AgentLookup(Protocol):
    async def get(self, tenant_id: str, agent_id: str) -> agents_pb2.Agent:
        """The agent, or NotFound."""
        ...
