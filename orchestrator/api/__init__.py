"""orchestrator's gRPC servicer: one class assembled from per-area mixins.

Each mixin (generation: orch-gen, agents and tools: orch-tools) overrides the RPCs it
builds; whatever none of them overrides still answers UNIMPLEMENTED through the
sanctioned stub base. Mixins reach their dependencies via ``self.deps``, which
`orchestrator/assembly.py` builds.
"""

from __future__ import annotations

from chatmesh.orchestrator.v1 import orchestrator_pb2, orchestrator_pb2_grpc

from mesh.server import ServiceBinding, unimplemented
from orchestrator.api.agents import AgentsApi
from orchestrator.api.generation import GenerationApi
from orchestrator.api.tools import ToolsApi
from orchestrator.deps import OrchestratorDeps

__all__ = ["SERVICE_NAME", "OrchestratorServicer", "binding"]

SERVICE_NAME: str = orchestrator_pb2.DESCRIPTOR.services_by_name["OrchestratorService"].full_name

_Unbuilt = unimplemented(orchestrator_pb2_grpc.OrchestratorServiceServicer, issue="issue 6")


class OrchestratorServicer(GenerationApi, AgentsApi, ToolsApi, _Unbuilt):  # type: ignore[misc,valid-type]
    def __init__(self, deps: OrchestratorDeps) -> None:
        self.deps = deps


def binding(deps: OrchestratorDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=orchestrator_pb2_grpc.add_OrchestratorServiceServicer_to_server,
        servicer=OrchestratorServicer(deps),
    )
