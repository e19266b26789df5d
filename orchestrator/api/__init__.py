"""orchestrator's gRPC servicer: one class assembled from per-area mixins.

Each mixin (generation, agents, tools and MCP servers) serves the RPCs of one area;
together they serve every RPC of OrchestratorService (tests/unit/orchestrator/test_servicer.py
checks none is left to the generated base). Mixins reach their dependencies via
``self.deps``, which `orchestrator/assembly.py` builds.
"""

from __future__ import annotations

from chatmesh.orchestrator.v1 import orchestrator_pb2, orchestrator_pb2_grpc

from mesh.server import ServiceBinding
from orchestrator.api.agents import AgentsApi
from orchestrator.api.generation import GenerationApi
from orchestrator.api.tools import ToolsApi
from orchestrator.deps import OrchestratorDeps

__all__ = ["SERVICE_NAME", "OrchestratorServicer", "binding"]

SERVICE_NAME: str = orchestrator_pb2.DESCRIPTOR.services_by_name["OrchestratorService"].full_name


class OrchestratorServicer(
    GenerationApi, AgentsApi, ToolsApi, orchestrator_pb2_grpc.OrchestratorServiceServicer
):
    def __init__(self, deps: OrchestratorDeps) -> None:
        self.deps = deps


def binding(deps: OrchestratorDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=orchestrator_pb2_grpc.add_OrchestratorServiceServicer_to_server,
        servicer=OrchestratorServicer(deps),
    )
